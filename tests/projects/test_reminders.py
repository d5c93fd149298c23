"""Project follow-up reminders through `send_reminders` and the worker's daily run, with frozen time: the project lead
14 days before, on the day and 7 days after; the secretariat 30 days after; each once."""

from datetime import date, datetime, time, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.management import call_command
from django.tasks import task_backends
from django.utils import formats, translation
from django.utils.translation import gettext, ngettext

from core.models import OutboxMessage
from core.scheduling import schedule_daily_reminders
from core.tasks import daily_reminders
from projects.models import Milestone, ProgressReport
from registries.models import Membership
from tests.factories import MilestoneFactory, ProjectFactory, RegistryFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
DUE = date(2027, 6, 30)
PROJECT = "Bedre dekning"


@pytest.fixture
def cast():
    registry = RegistryFactory()
    lead, colleague = member_of(registry), member_of(registry)
    secretariat = UserFactory(is_secretariat=True)
    project = ProjectFactory(
        state="active", title=PROJECT, application__registry=registry, application__created_by=lead
    )
    return {"lead": lead, "colleague": colleague, "secretariat": secretariat, "project": project}


@pytest.fixture
def milestone(cast):
    return MilestoneFactory(project=cast["project"], title="Datauttrekk", due_date=DUE)


def run(time_machine, day):
    """The daily run on `day` (time frozen that morning): the messages it sent (subject, recipients)."""
    time_machine.move_to(datetime.combine(day, time(7, 0), tzinfo=OSLO), tick=False)
    call_command("send_reminders", stdout=StringIO())
    messages = [(m.subject, sorted(m.to + m.bcc)) for m in mail.outbox]
    mail.outbox.clear()
    return messages


def nb_what(kind, **params):
    with translation.override("nb"):
        label = {"milestone": "Milestone “{title}”", "progress_report": "Progress report {number}"}.get(
            kind, "The final report"
        )
        return gettext(label).format(**params)


def lead_subject(days, what, project=PROJECT):
    params = {"what": what, "project": project, "n": abs(days)}
    with translation.override("nb"):
        if days == 0:
            return gettext("Due today: %(what)s – %(project)s") % params
        if days < 0:
            return (
                ngettext("Due in %(n)s day: %(what)s – %(project)s", "Due in %(n)s days: %(what)s – %(project)s", -days)
                % params
            )
        return (
            ngettext("%(n)s day overdue: %(what)s – %(project)s", "%(n)s days overdue: %(what)s – %(project)s", days)
            % params
        )


def digest_subject(n):
    with translation.override("nb"):
        return ngettext("Your weekly summary: %(n)s notification", "Your weekly summary: %(n)s notifications", n) % {
            "n": n
        }


def escalation_subject(days, what, project=PROJECT):
    with translation.override("nb"):
        return ngettext(
            "Overdue by %(n)s day: %(what)s – %(project)s", "Overdue by %(n)s days: %(what)s – %(project)s", days
        ) % {"what": what, "project": project, "n": days}


def test_the_lead_hears_14_days_before_on_the_day_and_7_days_after_then_the_secretariat_at_30(
    cast, milestone, time_machine
):
    what = nb_what("milestone", title="Datauttrekk")
    lead, secretariat = [cast["lead"].email], [cast["secretariat"].email]

    by_day = {offset: run(time_machine, DUE + timedelta(days=offset)) for offset in range(-16, 62)}

    assert {offset: messages for offset, messages in by_day.items() if messages} == {
        -14: [(lead_subject(-14, what), lead)],
        0: [(lead_subject(0, what), lead)],
        7: [(lead_subject(7, what), lead)],
        30: [(escalation_subject(30, what), secretariat)],
    }


def test_the_email_names_the_item_and_its_date_and_links_to_the_project(cast, milestone, time_machine, settings):
    settings.SITE_URL = "https://tilskudd.example.no"
    time_machine.move_to(datetime.combine(DUE, time(7, 0), tzinfo=OSLO), tick=False)

    call_command("send_reminders", stdout=StringIO())

    (message,) = mail.outbox
    link = f"https://tilskudd.example.no/projects/{cast['project'].pk}/"
    with translation.override("nb"):
        first_line = gettext("%(what)s of the project “%(project)s” (%(registry)s) is due %(date)s.") % {
            "what": nb_what("milestone", title="Datauttrekk"),
            "project": PROJECT,
            "registry": cast["project"].registry,
            "date": formats.date_format(DUE, "DATE_FORMAT"),
        }
    assert message.body.splitlines()[0] == first_line
    assert link in message.body.splitlines()
    assert f'<a href="{link}">' in message.alternatives[0][0]


@pytest.mark.parametrize("kind", ["progress_report", "final_report"])
def test_progress_and_final_reports_have_the_same_offsets(cast, time_machine, kind):
    project = cast["project"]
    if kind == "progress_report":
        ProgressReport.objects.create(
            project=project, number=2, period_start=date(2027, 1, 1), period_end=date(2027, 6, 1), due_date=DUE
        )
        what = nb_what(kind, number=2)
    else:
        project.final_report_due = DUE
        project.save(update_fields=["final_report_due"])
        what = nb_what(kind)
    lead, secretariat = [cast["lead"].email], [cast["secretariat"].email]

    messages = {offset: run(time_machine, DUE + timedelta(days=offset)) for offset in (-15, -14, 0, 7, 29, 30, 31)}

    assert messages == {
        -15: [],
        -14: [(lead_subject(-14, what), lead)],
        0: [(lead_subject(0, what), lead)],
        7: [(lead_subject(7, what), lead)],
        29: [],
        30: [(escalation_subject(30, what), secretariat)],
        31: [],
    }


def test_running_twice_for_the_same_date_sends_nothing_new(cast, milestone, time_machine):
    for offset in (-14, 0, 7, 30):
        day = DUE + timedelta(days=offset)
        first, second = run(time_machine, day), run(time_machine, day)

        assert (len(first), second) == (1, [])
    assert OutboxMessage.objects.count() == 4


def test_a_missed_run_catches_up_once_and_says_how_late_it_really_is(cast, milestone, time_machine):
    what = nb_what("milestone", title="Datauttrekk")
    lead, secretariat = [cast["lead"].email], [cast["secretariat"].email]

    messages = {offset: run(time_machine, DUE + timedelta(days=offset)) for offset in (-10, -9, 3, 4, 12, 40, 41)}

    assert messages == {
        -10: [(lead_subject(-10, what), lead)],
        -9: [],
        3: [(lead_subject(3, what), lead)],
        4: [],
        12: [(lead_subject(12, what), lead)],
        40: [(escalation_subject(40, what), secretariat)],
        41: [],
    }


def test_a_run_long_after_every_window_sends_nothing(cast, milestone, time_machine):
    assert run(time_machine, DUE + timedelta(days=60)) == []


def test_a_moved_due_date_gets_reminders_for_the_new_date(cast, milestone, time_machine):
    what = nb_what("milestone", title="Datauttrekk")
    new_due = DUE + timedelta(days=60)  # an approved extension
    before = run(time_machine, DUE - timedelta(days=14))
    Milestone.objects.filter(pk=milestone.pk).update(due_date=new_due)

    old_day, new_before, new_day = (run(time_machine, d) for d in (DUE, new_due - timedelta(days=14), new_due))

    assert [s for s, _to in before + new_before + new_day] == [
        lead_subject(-14, what),
        lead_subject(-14, what),
        lead_subject(0, what),
    ]
    assert old_day == []


@pytest.mark.parametrize(
    ("milestone_state", "project_state"),
    [("reported", "active"), ("approved", "active"), ("planned", "final_report_submitted"), ("planned", "closed")],
)
def test_nothing_is_chased_once_reported_or_when_the_project_is_not_active(
    cast, time_machine, milestone_state, project_state
):
    project = cast["project"]
    type(project).objects.filter(pk=project.pk).update(state=project_state)
    MilestoneFactory(project=project, due_date=DUE, state=milestone_state)

    assert [run(time_machine, DUE + timedelta(days=d)) for d in (-14, 0, 7, 30)] == [[], [], [], []]


def test_a_milestone_returned_for_revision_is_chased_again(cast, time_machine):
    MilestoneFactory(project=cast["project"], title="Datauttrekk", due_date=DUE, state="revision_requested")

    assert run(time_machine, DUE) == [
        (lead_subject(0, nb_what("milestone", title="Datauttrekk")), [cast["lead"].email])
    ]


def test_without_its_creator_in_the_registry_every_active_member_hears(cast, milestone, time_machine):
    Membership.objects.filter(user=cast["lead"]).delete()
    inactive = member_of(cast["project"].registry, is_active=False)

    messages = run(time_machine, DUE)

    assert sorted(to for _s, to in messages) == [[cast["colleague"].email]]
    assert inactive.email not in str(messages)


def test_a_lead_who_turned_reminders_off_hears_nothing_but_the_secretariat_is_still_told(cast, milestone, time_machine):
    type(cast["lead"]).objects.filter(pk=cast["lead"].pk).update(notification_mode="off")
    cast["secretariat"].notification_mode = "off"
    cast["secretariat"].save(update_fields=["notification_mode"])

    messages = [run(time_machine, DUE + timedelta(days=d)) for d in (-14, 0, 7, 30)]

    assert messages == [
        [],
        [],
        [],
        [(escalation_subject(30, nb_what("milestone", title="Datauttrekk")), [cast["secretariat"].email])],
    ]
    assert list(OutboxMessage.objects.order_by("pk").values_list("state", flat=True)) == [
        "skipped",
        "skipped",
        "skipped",
        "sent",
    ]


def test_a_weekly_lead_gets_the_reminder_in_the_monday_digest(cast, milestone, time_machine):
    type(cast["lead"]).objects.filter(pk=cast["lead"].pk).update(notification_mode="weekly")
    what = nb_what("milestone", title="Datauttrekk")
    on_the_day = run(time_machine, DUE)  # a Wednesday
    time_machine.move_to(datetime(2027, 7, 5, 7, 0, tzinfo=OSLO), tick=False)  # the next Monday

    daily_reminders.call()

    (digest,) = mail.outbox
    assert on_the_day == []
    assert (digest.to, digest.subject) == ([cast["lead"].email], digest_subject(1))
    assert f"== {lead_subject(0, what)} ==" in digest.body


def test_with_the_console_backend_the_messages_appear_on_standard_output(
    cast, milestone, time_machine, settings, capsys
):
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.console.EmailBackend"}}
    time_machine.move_to(datetime.combine(DUE, time(7, 0), tzinfo=OSLO), tick=False)
    out = StringIO()

    call_command("send_reminders", stdout=out)

    assert f"/projects/{cast['project'].pk}/" in capsys.readouterr().out
    assert out.getvalue().splitlines() == [
        "send_review_reminders: 0 queued",
        "send_overdue_escalations: 0 queued",
        "queue_lead_reminders: 1 queued",
        "queue_escalations: 0 queued",
        "outbox: 1",
        "weekly digests: 0",
        "1 messages sent for 2027-06-30.",
    ]


def test_the_daily_run_sends_today_and_queues_itself_for_the_next_morning(cast, milestone, time_machine, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    time_machine.move_to(datetime.combine(DUE, time(7, 30), tzinfo=OSLO), tick=False)

    daily_reminders.call()

    queued = task_backends["default"].results
    assert [m.to for m in mail.outbox] == [[cast["lead"].email]]
    assert [(r.task.name, r.task.run_after) for r in queued] == [
        ("daily_reminders", datetime(2027, 7, 1, 7, 0, tzinfo=OSLO))
    ]


def test_schedule_starts_the_daily_run_at_the_next_reminder_hour(time_machine, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    time_machine.move_to(datetime(2027, 6, 30, 5, 0, tzinfo=OSLO), tick=False)
    out = StringIO()

    call_command("send_reminders", "--schedule", stdout=out)

    (result,) = task_backends["default"].results
    assert result.task.run_after == datetime(2027, 6, 30, 7, 0, tzinfo=OSLO)
    assert out.getvalue().splitlines()[-1] == "daily run scheduled for 2027-06-30T07:00:00+02:00"


def test_with_the_database_backend_starting_the_daily_run_twice_queues_it_once(time_machine, settings):
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    time_machine.move_to(datetime(2027, 6, 30, 9, 0, tzinfo=OSLO), tick=False)

    first = schedule_daily_reminders()
    second = schedule_daily_reminders()

    rows = DBTaskResult.objects.filter(task_path="core.tasks.daily_reminders", status=TaskResultStatus.READY)
    assert first == second == datetime(2027, 7, 1, 7, 0, tzinfo=OSLO)
    assert rows.count() == 1
