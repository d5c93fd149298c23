"""Races on PostgreSQL: actions run in threads released together, each with its own database connection."""

import threading

import pytest
from django.db import connection

# Threads need committed rows (transaction=True); SQLite serialises writes, so there is nothing to race there.
POSTGRES_RACE = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs PostgreSQL: SQLite has no row locks (it serialises whole-database writes), so there is no race",
    ),
    pytest.mark.django_db(transaction=True),
]


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
