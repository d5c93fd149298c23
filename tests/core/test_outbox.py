"""The outbox: once-only keys, delivery by the recipient's choice, the weekly digest, and a mail server that fails
(the message is retried, not lost, not doubled). Time is frozen with time-machine."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.tasks import TaskResultStatus, task_backends
from django.utils import translation
from django.utils.translation import ngettext
from django_tasks_db.models import DBTaskResult

from core import outbox
from core.models import OutboxMessage
from core.tasks import deliver_outbox
from tests.factories import UserFactory

from .mail_backends import REFUSING, UNREACHABLE, WORKING

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
WEDNESDAY = datetime(2027, 3, 10, 8, 0, tzinfo=OSLO)
NEXT_MONDAY = datetime(2027, 3, 15, 7, 0, tzinfo=OSLO)


def digest_subject(n):
    with translation.override("nb"):
        return ngettext("Your weekly summary: %(n)s notification", "Your weekly summary: %(n)s notifications", n) % {
            "n": n
        }


@pytest.fixture
def now(time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    return WEDNESDAY


def put(key, user, *, essential=False, subject=None):
    return outbox.enqueue(
        key,
        kind="test",
        recipient=user,
        subject=subject or f"Emne {key}",
        body=f"Tekst {key}",
        html=f"<p>Tekst {key}</p>",
        essential=essential,
    )


def row(key):
    r = OutboxMessage.objects.get(key=key)
    return (r.state, r.attempts, r.last_error, r.send_after, r.sent_at)


def test_the_same_key_is_queued_once(now):
    user = UserFactory()

    first, second = put("k1", user), put("k1", user, subject="Annet emne")

    assert (first, second) == (True, False)
    assert list(OutboxMessage.objects.values_list("key", "subject", "to")) == [("k1", "Emne k1", user.email)]


def test_delivery_sends_each_pending_row_once_and_marks_it_sent(now):
    user = UserFactory()
    put("k1", user)

    first, second = outbox.deliver(now), outbox.deliver(now)

    assert (first, second) == (1, 0)
    assert [(m.subject, m.to, m.body, m.alternatives[0][0]) for m in mail.outbox] == [
        ("Emne k1", [user.email], "Tekst k1", "<p>Tekst k1</p>")
    ]
    assert row("k1") == ("sent", 1, "", None, now)


def test_a_row_queued_in_a_transaction_is_delivered_after_the_commit(now, django_capture_on_commit_callbacks):
    user = UserFactory()

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        put("k1", user)
        assert mail.outbox == []

    assert (len(callbacks), [m.subject for m in mail.outbox], row("k1")[0]) == (1, ["Emne k1"], "sent")


def test_a_row_claimed_and_sent_by_another_worker_is_not_sent_again(now):
    """SQLite-safe half of the race: worker A lists the due rows, worker B sends them first, then A gets to them."""
    user = UserFactory()
    put("k1", user)
    put("k2", user)
    listed_by_a = list(outbox.due(now).values_list("pk", flat=True))

    sent_by_b = outbox.deliver(now)
    sent_by_a = sum(outbox.deliver_one(pk, now) for pk in listed_by_a)

    assert (sent_by_b, sent_by_a, sorted(m.subject for m in mail.outbox)) == (2, 0, ["Emne k1", "Emne k2"])


# ---------------------------------------------------------------- the recipient's choice


def test_off_skips_what_is_not_essential_but_essential_messages_still_go(now):
    user = UserFactory(notification_mode="off")
    put("reminder", user)
    put("escalation", user, essential=True)

    sent = outbox.deliver(now)

    assert (sent, [m.subject for m in mail.outbox]) == (1, ["Emne escalation"])
    assert (row("reminder")[0], row("escalation")[0]) == ("skipped", "sent")


def test_weekly_parks_the_rows_and_the_monday_digest_gathers_them_into_one_email(now, time_machine):
    weekly, other = UserFactory(notification_mode="weekly"), UserFactory(notification_mode="weekly")
    put("a", weekly, subject="Milepæl om 14 dager")
    put("b", weekly, subject="Framdriftsrapport i dag")
    put("c", other, subject="Sluttrapport")
    put("urgent", weekly, essential=True)

    sent = outbox.deliver(now)
    before_monday = outbox.send_digests(now + timedelta(days=4))  # Sunday
    time_machine.move_to(NEXT_MONDAY, tick=False)
    on_monday = outbox.send_digests(NEXT_MONDAY)
    again = outbox.send_digests(NEXT_MONDAY + timedelta(hours=1))

    assert (sent, before_monday, on_monday, again) == (1, 0, 2, 0)
    urgent, *digests = mail.outbox
    assert urgent.subject == "Emne urgent"
    by_recipient = {m.to[0]: m for m in digests}
    assert sorted(by_recipient) == sorted([weekly.email, other.email])
    mine = by_recipient[weekly.email]
    assert mine.subject == digest_subject(2)
    assert mine.body.index("== Milepæl om 14 dager ==") < mine.body.index("== Framdriftsrapport i dag ==")
    assert "Tekst a" in mine.body and "Tekst b" in mine.body and "Sluttrapport" not in mine.body
    assert [row(k)[0] for k in ("a", "b", "c")] == ["sent", "sent", "sent"]
    assert row("a")[4] == NEXT_MONDAY


def test_a_missed_monday_is_caught_up_and_a_row_parked_on_monday_waits_a_week(now, time_machine):
    weekly = UserFactory(notification_mode="weekly")
    put("old", weekly)
    outbox.deliver(now)
    time_machine.move_to(NEXT_MONDAY + timedelta(hours=2), tick=False)
    put("new", weekly)
    outbox.deliver(NEXT_MONDAY + timedelta(hours=2))

    tuesday = outbox.send_digests(NEXT_MONDAY + timedelta(days=1))

    assert (tuesday, [m.subject for m in mail.outbox]) == (1, [digest_subject(1)])
    assert (row("old")[0], row("new")[0]) == ("sent", "digest")


# ---------------------------------------------------------------- a failing mail server


@pytest.mark.parametrize(
    ("mailers", "error"),
    [
        (REFUSING, "SMTPServerDisconnected: Connection unexpectedly closed"),
        (UNREACHABLE, "ConnectionRefusedError: [Errno 111] Connection refused"),
    ],
    ids=["refused", "unreachable"],
)
def test_a_failing_mail_server_keeps_the_row_and_it_is_sent_once_after_the_pause(now, settings, mailers, error):
    user = UserFactory()
    put("k1", user)
    settings.MAILERS = mailers

    failed = outbox.deliver(now)
    state_after_failure = row("k1")
    settings.MAILERS = WORKING
    too_soon = outbox.deliver(now + timedelta(minutes=4))
    after_pause = outbox.deliver(now + timedelta(minutes=5))
    later = outbox.deliver(now + timedelta(hours=1))

    assert state_after_failure == ("pending", 1, error, now + timedelta(minutes=5), None)
    assert (failed, too_soon, after_pause, later) == (0, 0, 1, 0)
    assert [m.subject for m in mail.outbox] == ["Emne k1"]
    assert row("k1") == ("sent", 2, error, now + timedelta(minutes=5), now + timedelta(minutes=5))


def test_the_pause_doubles_and_the_row_fails_after_the_last_attempt(now, settings):
    put("k1", UserFactory())
    settings.MAILERS = REFUSING
    pauses = []
    at = now
    for _attempt in range(outbox.MAX_ATTEMPTS):
        outbox.deliver(at)
        state, _attempts, _error, send_after, _sent = row("k1")
        if state == "pending":
            pauses.append(send_after - at)
            at = send_after

    assert pauses == [timedelta(minutes=5 * 2**n) for n in range(outbox.MAX_ATTEMPTS - 1)]
    assert row("k1")[:2] == ("failed", outbox.MAX_ATTEMPTS)
    settings.MAILERS = WORKING
    assert (outbox.deliver(at + timedelta(days=30)), mail.outbox) == (0, [])


def test_a_digest_that_cannot_be_sent_stays_parked_for_the_next_run(now, settings, time_machine):
    weekly = UserFactory(notification_mode="weekly")
    put("a", weekly)
    outbox.deliver(now)
    time_machine.move_to(NEXT_MONDAY, tick=False)
    settings.MAILERS = REFUSING

    failed = outbox.send_digests(NEXT_MONDAY)
    parked = row("a")[:3]
    settings.MAILERS = WORKING
    next_day = outbox.send_digests(NEXT_MONDAY + timedelta(days=1))

    assert (failed, parked, next_day) == (0, ("digest", 1, "SMTPServerDisconnected: Connection unexpectedly closed"), 1)
    assert [m.subject for m in mail.outbox] == [digest_subject(1)]


def test_the_worker_queues_itself_for_the_retry_of_a_refused_row(now, settings):
    put("k1", UserFactory())
    settings.MAILERS = REFUSING
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}

    sent = deliver_outbox.call()

    assert sent == 0
    assert [(r.task.name, r.task.run_after) for r in task_backends["default"].results] == [
        ("deliver_outbox", now + timedelta(minutes=5))
    ]


def test_with_the_database_backend_one_retry_is_queued_however_often_the_worker_runs(now, settings):
    put("k1", UserFactory())
    settings.MAILERS = REFUSING
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

    deliver_outbox.call()
    deliver_outbox.call()

    queued = DBTaskResult.objects.filter(task_path="core.tasks.deliver_outbox", status=TaskResultStatus.READY)
    assert list(queued.values_list("run_after", flat=True)) == [now + timedelta(minutes=5)]
