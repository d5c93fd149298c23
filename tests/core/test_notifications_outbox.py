"""Notifications and review reminders go through the outbox: the recipient's choice (off, weekly) is honoured for
what is not essential, escalations still reach the secretariat, and a failing mail server delays a message without
losing or doubling it."""

from datetime import date, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import ngettext

from core import outbox
from core.models import OutboxMessage
from core.tasks import deliver_outbox, send_notification
from grants.enums import ApplicationState as S
from grants.services import APPLICATION_ACTIONS
from tests.core.lifecycle import sent
from tests.factories import ApplicationFactory, AssignmentFactory, UserFactory, member_of

from .mail_backends import REFUSING, WORKING

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
WEDNESDAY = datetime(2027, 3, 10, 8, 0, tzinfo=OSLO)
NEXT_MONDAY = datetime(2027, 3, 15, 7, 0, tzinfo=OSLO)
DEADLINE = date(2027, 3, 15)
REFUSED = "SMTPServerDisconnected: Connection unexpectedly closed"


def overdue(n):
    with translation.override("nb"):
        return ngettext("%(n)s review is overdue", "%(n)s reviews are overdue", n) % {"n": n}


def rows():
    return list(OutboxMessage.objects.order_by("pk").values_list("kind", "to", "essential", "state", "attempts"))


@pytest.fixture
def now(time_machine):
    time_machine.move_to(WEDNESDAY, tick=False)
    return WEDNESDAY


def request_changes(app, by, callbacks):
    with callbacks(execute=True):
        APPLICATION_ACTIONS["request_changes"](app, by=by, comment="Budsjettet mangler reiser.")


def test_a_reviewer_who_turned_notifications_off_gets_no_reminder_but_the_escalation_reaches_the_secretariat(now):
    assignment = AssignmentFactory(deadline=DEADLINE, application__title="Bedre dekning")
    reviewer = assignment.reviewer.email
    type(assignment.reviewer).objects.filter(pk=assignment.reviewer_id).update(notification_mode="off")
    secretariat = UserFactory(is_secretariat=True, email="s@x.no", notification_mode="off")

    for day in (DEADLINE - timedelta(days=3), DEADLINE, DEADLINE + timedelta(days=1)):
        call_command("send_reminders", "--date", day.isoformat(), stdout=StringIO())

    assert sent() == [(overdue(1), [secretariat.email])]
    assert rows() == [
        ("review_reminder", reviewer, False, "skipped", 0),
        ("review_reminder", reviewer, False, "skipped", 0),
        ("reviews_overdue", "s@x.no", True, "sent", 1),
    ]


def test_a_weekly_users_notification_waits_for_the_monday_digest(now, time_machine, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state=S.SUBMITTED, title="Kvalitet & data")
    weekly = member_of(app.registry, notification_mode="weekly")
    at_once = member_of(app.registry)
    secretariat = UserFactory(is_secretariat=True)

    request_changes(app, secretariat, django_capture_on_commit_callbacks)
    before = [m.to for m in mail.outbox]
    mail.outbox.clear()
    time_machine.move_to(NEXT_MONDAY, tick=False)
    digests = outbox.send_digests(NEXT_MONDAY)

    assert before == [[at_once.email]]
    assert (digests, [m.to for m in mail.outbox]) == (1, [[weekly.email]])
    assert "Budsjettet mangler reiser." in mail.outbox[0].body
    assert OutboxMessage.objects.get(to=weekly.email).sent_at == NEXT_MONDAY


def test_a_failing_mail_server_leaves_the_notification_pending_and_it_is_sent_once_later(
    now, settings, time_machine, django_capture_on_commit_callbacks
):
    app = ApplicationFactory(state=S.SUBMITTED)
    member = member_of(app.registry, email="m@x.no")
    secretariat = UserFactory(is_secretariat=True)
    settings.MAILERS = REFUSING

    request_changes(app, secretariat, django_capture_on_commit_callbacks)
    after_failure = (rows(), OutboxMessage.objects.get().last_error, list(mail.outbox))
    settings.MAILERS = WORKING
    time_machine.move_to(now + timedelta(minutes=5), tick=False)
    later, again = deliver_outbox.call(), deliver_outbox.call()
    rerun = send_notification.call("changes_requested", app.pk)  # the task run again queues nothing new

    assert after_failure == ([("application_status", "m@x.no", False, "pending", 1)], REFUSED, [])
    assert (later, again, rerun) == (1, 0, 0)
    assert [m.to for m in mail.outbox] == [[member.email]]
    assert "Budsjettet mangler reiser." in mail.outbox[0].body
    assert rows() == [("application_status", "m@x.no", False, "sent", 2)]
