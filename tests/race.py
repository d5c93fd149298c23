"""Races: actions run in threads released together, each with its own database connection. On PostgreSQL the rows
are locked (select_for_update); on SQLite every write transaction begins IMMEDIATE, so the second waits for the
first to commit and then finds the new state (the test database is a file, so it waits instead of failing)."""

import threading

import pytest
from django.db import connection

# Threads need committed rows (transaction=True).
POSTGRES_RACE = [pytest.mark.django_db(transaction=True)]


def race(*actions, timeout: float = 30) -> list:
    """Run the actions in threads released together; return what each returned or raised."""
    barrier = threading.Barrier(len(actions))
    results: list = [None] * len(actions)

    def run(i, action):
        try:
            barrier.wait(timeout=10)
            results[i] = action()
        except Exception as exc:
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert not any(t.is_alive() for t in threads)
    return results
