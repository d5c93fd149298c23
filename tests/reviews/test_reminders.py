"""`manage.py send_reminders`: the exact messages for a date, and a rerun for the same date sends nothing."""

from datetime import date, timedelta
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from audit.services import history
from reviews import services
from tests.core.lifecycle import sent
from tests.factories import AssignmentFactory, ReviewFactory, UserFactory

from .conflict_cases import make_conflict

pytestmark = pytest.mark.django_db

DEADLINE = date(2027, 3, 15)


def run(day):
    """Run the command for `day`; the messages it sent (subject, recipients), and forget them."""
    out = StringIO()
    call_command("send_reminders", "--date", day.isoformat(), stdout=out)
    messages = sent()
    mail.outbox.clear()
    return messages


def due_in(days, title):
    with translation.override("nb"):
        if days == 0:
            return gettext("Review due today: %(title)s") % {"title": title}
        return ngettext("Review due in %(days)s day: %(title)s", "Review due in %(days)s days: %(title)s", days) % {
            "days": days,
            "title": title,
        }


def overdue(n):
    with translation.override("nb"):
        return ngettext("%(n)s review is overdue", "%(n)s reviews are overdue", n) % {"n": n}


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


@pytest.fixture
def assignment():
    return AssignmentFactory(deadline=DEADLINE, application__title="Bedre dekning")


def test_the_reviewer_is_reminded_three_days_before_and_on_the_day_then_the_secretariat_is_told(
    assignment, secretariat
):
    reviewer = assignment.reviewer.email

    by_day = {offset: run(DEADLINE + timedelta(days=offset)) for offset in range(-5, 4)}

    assert by_day == {
        -5: [],
        -4: [],
        -3: [(due_in(3, "Bedre dekning"), [reviewer])],
        -2: [],
        -1: [],
        0: [(due_in(0, "Bedre dekning"), [reviewer])],
        1: [(overdue(1), [secretariat.email])],
        2: [],
        3: [],
    }


def test_running_twice_for_the_same_date_sends_nothing_new(assignment, secretariat):
    for offset in (-3, 0, 1):
        day = DEADLINE + timedelta(days=offset)

        first, second = run(day), run(day)

        assert (len(first), second) == (1, [])


def test_a_missed_run_catches_up_inside_the_window(assignment):
    first = run(DEADLINE - timedelta(days=1))
    later = run(DEADLINE - timedelta(days=1))

    assert (first, later) == ([(due_in(1, "Bedre dekning"), [assignment.reviewer.email])], [])


def test_the_reminder_names_the_deadline_and_links_the_application(assignment):
    call_command("send_reminders", "--date", str(DEADLINE - timedelta(days=3)), stdout=StringIO())

    with translation.override("nb"):
        deadline = formats.date_format(DEADLINE, "DATE_FORMAT")
    [message] = mail.outbox
    assert f"/applications/{assignment.application_id}/" in message.body
    assert deadline in message.body


def test_the_escalation_lists_every_newly_overdue_review(secretariat):
    first = AssignmentFactory(deadline=DEADLINE, application__title="Første")
    second = AssignmentFactory(deadline=DEADLINE - timedelta(days=1), application__title="Andre")

    messages = run(DEADLINE + timedelta(days=1))

    assert messages == [(overdue(2), [secretariat.email])]
    assert [e.action for e in history(first)] + [e.action for e in history(second)] == [
        "reviews.assignment.escalate",
        "reviews.assignment.escalate",
    ]


@pytest.mark.parametrize("why", ["submitted", "conflicted", "no_deadline", "left_review", "decided"])
def test_no_reminder_when_no_review_is_expected(why, secretariat):
    assignment = AssignmentFactory(deadline=None if why == "no_deadline" else DEADLINE)
    app = assignment.application
    if why == "submitted":
        ReviewFactory(application=app, reviewer=assignment.reviewer, state="submitted")
    elif why == "conflicted":
        make_conflict("declared", app, assignment.reviewer)
    elif why == "left_review":
        type(app).objects.filter(pk=app.pk).update(state="assessed")
    elif why == "decided":
        services.start_discussion(app.call, by=secretariat)
        services.close_review(app.call, by=secretariat)

    messages = [run(DEADLINE + timedelta(days=offset)) for offset in (-3, 0, 1)]

    assert messages == [[], [], []]


def test_a_moved_deadline_is_reminded_and_escalated_again(assignment, secretariat):
    run(DEADLINE + timedelta(days=1))  # escalated once
    new_deadline = DEADLINE + timedelta(days=10)
    type(assignment).objects.filter(pk=assignment.pk).update(deadline=new_deadline, reminded_on=None)

    messages = run(new_deadline + timedelta(days=1))

    assert messages == [(overdue(1), [secretariat.email])]


def test_the_command_says_what_it_sent(assignment):
    out = StringIO()

    call_command("send_reminders", "--date", str(DEADLINE - timedelta(days=3)), stdout=out)

    assert out.getvalue().splitlines() == [
        "send_review_reminders: 1 queued",
        "send_overdue_escalations: 0 queued",
        "queue_lead_reminders: 0 queued",
        "queue_escalations: 0 queued",
        "outbox: 1",
        "weekly digests: 0",
        f"1 messages sent for {DEADLINE - timedelta(days=3)}.",
    ]


def test_a_bad_date_is_refused():
    with pytest.raises(CommandError) as exc:
        call_command("send_reminders", "--date", "15.03.2027", stdout=StringIO())

    assert str(exc.value) == "--date must be a date as YYYY-MM-DD, not '15.03.2027'."


def test_with_the_console_backend_the_messages_appear_on_standard_output(assignment, settings, capsys):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}

    call_command("send_reminders", "--date", str(DEADLINE), stdout=StringIO())

    assert f"/applications/{assignment.application_id}/" in capsys.readouterr().out
