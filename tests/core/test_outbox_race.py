"""Two workers deliver the outbox at the same moment: every row is sent exactly once.

Each worker claims a row with SELECT ... FOR UPDATE SKIP LOCKED and re-reads it as pending, so the other skips what
one holds and finds it sent afterwards. Threads have their own connections, so the rows must be committed
(transaction=True). SQLite has no row locks (it serialises writes); tests/core/test_outbox.py has the SQLite half.
"""

from django.core import mail
from django.utils import timezone

from core import outbox
from core.models import OutboxMessage
from tests.factories import UserFactory
from tests.race import POSTGRES_RACE, race

pytestmark = POSTGRES_RACE


def test_two_workers_racing_send_every_row_exactly_once(settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}  # queued, not run at once
    users = [UserFactory() for _ in range(3)]
    for n in range(40):
        outbox.enqueue(f"race:{n}", kind="test", recipient=users[n % 3], subject=f"Emne {n}", body="Tekst")
    now = timezone.now()

    results = race(lambda: outbox.deliver(now), lambda: outbox.deliver(now), timeout=60)

    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == 40
    assert sorted(m.subject for m in mail.outbox) == sorted(f"Emne {n}" for n in range(40))
    assert set(OutboxMessage.objects.values_list("state", "attempts")) == {("sent", 1)}


def test_two_runs_queueing_the_same_key_at_once_make_one_row():
    user = UserFactory()

    def put():
        return outbox.enqueue("race:same", kind="test", recipient=user, subject="Emne", body="Tekst")

    results = race(put, put, timeout=60)

    assert sorted(results) == [False, True]
    assert OutboxMessage.objects.filter(key="race:same").count() == 1
