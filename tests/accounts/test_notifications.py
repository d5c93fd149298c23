"""Notification settings and the personal iCal feed of deadlines."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from icalendar import Calendar

from accounts import services
from audit.models import AuditEntry
from projects.models import ProgressReport
from tests.factories import AssignmentFactory, MilestoneFactory, ProjectFactory, RegistryFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def user_client(client):
    user = UserFactory()
    client.force_login(user)
    return user, client


def feed_path(token):
    return reverse("calendar:feed", args=[token])


def events(response):
    calendar = Calendar.from_ical(response.content)
    return sorted(
        (str(e["uid"]).split("@")[0], e.decoded("dtstart"), str(e["summary"])) for e in calendar.walk("VEVENT")
    )


# ---------------------------------------------------------------- the mode


def test_choosing_the_weekly_digest_is_saved_and_audited(user_client):
    user, client = user_client

    response = client.post(reverse("accounts:notifications"), {"notification_mode": "weekly"})

    user.refresh_from_db()
    assert (response.status_code, response["Location"]) == (302, reverse("accounts:notifications"))
    assert user.notification_mode == "weekly"
    entry = AuditEntry.objects.get(action="accounts.user.notifications")
    assert (entry.actor_id, entry.source, entry.target) == (user.pk, "immediate", "weekly")


def test_an_unknown_mode_is_refused_naming_the_field_and_nothing_changes(user_client):
    user, client = user_client

    response = client.post(reverse("accounts:notifications"), {"notification_mode": "hourly"})

    user.refresh_from_db()
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "notification_mode": ["Select a valid choice. hourly is not one of the available choices."]
    }
    assert (user.notification_mode, AuditEntry.objects.filter(action="accounts.user.notifications").count()) == (
        "immediate",
        0,
    )


def test_the_service_refuses_an_unknown_mode():
    user = UserFactory()

    with pytest.raises(services.ActionRefused) as exc:
        services.set_notification_mode(user, "daily", by=user)

    assert exc.value.errors == {"notification_mode": ["Choose one of: at once, weekly digest, off."]}


def test_someone_else_may_not_change_my_mode():
    user, other = UserFactory(), UserFactory()

    with pytest.raises(services.NotPermitted):
        services.set_notification_mode(user, "off", by=other)


# ---------------------------------------------------------------- the calendar address


def test_the_address_is_shown_once_and_works(user_client, settings):
    settings.SITE_URL = "https://tilskudd.example.no"
    _user, client = user_client

    created = client.post(reverse("accounts:calendar_create"))
    url = created.context["feed_url"]
    again = client.get(reverse("accounts:notifications"))

    assert url.startswith("https://tilskudd.example.no/calendar/") and url.endswith(".ics")
    assert url in created.content.decode()
    assert (again.context["feed_url"], again.context["has_feed"]) == (None, True)
    assert url not in again.content.decode()
    feed = client.get(url.removeprefix("https://tilskudd.example.no"))
    assert (feed.status_code, feed["Content-Type"]) == (200, "text/calendar; charset=utf-8")


def test_a_new_address_replaces_the_old_and_revoking_ends_it(client):
    user = UserFactory()
    old = services.create_calendar_token(user, by=user)
    new = services.create_calendar_token(user, by=user)

    before = (client.get(feed_path(old)).status_code, client.get(feed_path(new)).status_code)
    client.force_login(user)
    client.post(reverse("accounts:calendar_revoke"))
    client.logout()

    assert before == (404, 200)
    assert client.get(feed_path(new)).status_code == 404
    user.refresh_from_db()
    assert (user.calendar_token_hash, user.calendar_token_created_at) == ("", None)
    assert list(AuditEntry.objects.filter(object_id=user.pk).values_list("action", flat=True)) == [
        "accounts.user.calendar_create",
        "accounts.user.calendar_create",
        "accounts.user.calendar_revoke",
    ]


def test_only_a_hash_of_the_secret_is_stored():
    user = UserFactory()

    token = services.create_calendar_token(user, by=user)

    user.refresh_from_db()
    assert token not in user.calendar_token_hash
    assert len(user.calendar_token_hash) == 64


def test_an_inactive_users_feed_is_gone(client):
    user = UserFactory()
    token = services.create_calendar_token(user, by=user)
    type(user).objects.filter(pk=user.pk).update(is_active=False)

    assert client.get(feed_path(token)).status_code == 404


# ---------------------------------------------------------------- the feed's content


def test_the_feed_lists_my_projects_deadlines_and_my_reviews_and_nothing_else(client, settings):
    settings.SITE_URL = "https://tilskudd.example.no"
    registry = RegistryFactory()
    user = member_of(registry)
    project = ProjectFactory(state="active", title="Bedre dekning", application__registry=registry)
    project.final_report_due = date(2028, 3, 31)
    project.save(update_fields=["final_report_due"])
    open_milestone = MilestoneFactory(project=project, title="Uttrekk; del 1, vask", due_date=date(2027, 6, 30))
    MilestoneFactory(project=project, title="Godkjent", due_date=date(2027, 3, 1), state="approved")
    report = ProgressReport.objects.create(
        project=project,
        number=1,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 31),
    )
    MilestoneFactory(project__state="active", title="Andres milepæl")  # another registry's project
    assignment = AssignmentFactory(reviewer=user, deadline=date(2027, 4, 1), application__title="Søknad X")
    AssignmentFactory(deadline=date(2027, 4, 2))  # someone else's review
    token = services.create_calendar_token(user, by=user)

    response = client.get(feed_path(token))

    assert events(response) == [
        (f"final-report-{project.pk}", date(2028, 3, 31), "Final report – Bedre dekning"),
        (f"milestone-{open_milestone.pk}", date(2027, 6, 30), "Milestone “Uttrekk; del 1, vask” – Bedre dekning"),
        (f"progress-report-{report.pk}", date(2027, 7, 31), "Progress report 1 – Bedre dekning"),
        (f"review-{assignment.pk}", date(2027, 4, 1), "Review due – Søknad X"),
    ]
    raw = response.content.decode()
    assert "SUMMARY:Milestone “Uttrekk\\; del 1\\, vask” – Bedre dekning\r\n" in raw
    assert raw.startswith("BEGIN:VCALENDAR\r\n") and raw.endswith("END:VCALENDAR\r\n")
    assert f"URL:https://tilskudd.example.no/projects/{project.pk}/\r\n" in raw


@pytest.mark.parametrize("n", [1, 30])
def test_the_feed_takes_the_same_number_of_queries_for_1_and_30_deadlines(client, n):
    registry = RegistryFactory()
    user = member_of(registry)
    for _ in range(n):
        project = ProjectFactory(state="active", application__registry=registry, final_report_due=date(2028, 3, 31))
        MilestoneFactory(project=project)
        ProgressReport.objects.create(
            project=project,
            number=1,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 6, 30),
            due_date=date(2027, 7, 31),
        )
        AssignmentFactory(reviewer=user, deadline=date(2027, 4, 1))
    token = services.create_calendar_token(user, by=user)

    with CaptureQueriesContext(connection) as queries:
        response = client.get(feed_path(token))

    assert len(events(response)) == 4 * n
    assert len(queries) == 5  # the user, then one per kind of deadline
