"""The personal iCal feed of deadlines (RFC 5545, written by the icalendar package).

The address holds a secret; only its SHA-256 is stored on the user (like API tokens), a new one replaces the old and
revoking empties it, so an unknown or revoked secret finds nobody. The feed lists, as all-day events:
- the open milestones, progress reports and final reports of the projects of the user's registries (the same items
  the reminders chase: projects waiting for their agreement or active);
- the deadlines of the reviews the user is still expected to write (reviews.reminders.open_assignments).
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from projects.enums import MilestoneState, ProgressReportState, ProjectState
from projects.models import Milestone, ProgressReport, Project
from reviews.reminders import open_assignments

from .models import ApiToken, User

OPEN_PROJECT = [ProjectState.AGREEMENT_PENDING, ProjectState.ACTIVE]


@dataclass(frozen=True)
class Entry:
    uid: str
    day: date
    summary: str
    url: str


def user_for_token(token: str) -> User | None:
    if not token:
        return None
    return User.objects.filter(calendar_token_hash=ApiToken.hash(token), is_active=True).first()


def feed_url(token: str) -> str:
    return settings.SITE_URL + reverse("calendar:feed", args=[token])


def entries(user: User) -> Iterator[Entry]:
    registries = user.memberships.values("registry_id")
    yield from _milestones(registries)
    yield from _progress_reports(registries)
    yield from _final_reports(registries)
    yield from _reviews(user)


def _project_url(project_id: int) -> str:
    return settings.SITE_URL + reverse("projects:project_detail", args=[project_id])


def _milestones(registries: object) -> Iterator[Entry]:
    rows = Milestone.objects.filter(
        project__registry_id__in=registries,
        project__state__in=OPEN_PROJECT,
        state__in=[MilestoneState.PLANNED, MilestoneState.REVISION_REQUESTED],
    ).select_related("project")
    for m in rows.order_by("due_date", "pk"):
        summary = _("Milestone “%(title)s” – %(project)s") % {"title": m.title, "project": m.project.title}
        yield Entry(f"milestone-{m.pk}", m.due_date, summary, _project_url(m.project_id))


def _progress_reports(registries: object) -> Iterator[Entry]:
    rows = ProgressReport.objects.filter(
        project__registry_id__in=registries,
        project__state__in=OPEN_PROJECT,
        state__in=[ProgressReportState.DUE, ProgressReportState.RETURNED],
    ).select_related("project")
    for r in rows.order_by("due_date", "pk"):
        summary = _("Progress report %(number)s – %(project)s") % {"number": r.number, "project": r.project.title}
        yield Entry(f"progress-report-{r.pk}", r.due_date, summary, _project_url(r.project_id))


def _final_reports(registries: object) -> Iterator[Entry]:
    rows = Project.objects.filter(registry_id__in=registries, state__in=OPEN_PROJECT, final_report_due__isnull=False)
    for p in rows.order_by("final_report_due", "pk"):
        assert p.final_report_due is not None
        summary = _("Final report – %(project)s") % {"project": p.title}
        yield Entry(f"final-report-{p.pk}", p.final_report_due, summary, _project_url(p.pk))


def _reviews(user: User) -> Iterator[Entry]:
    rows = open_assignments().filter(reviewer=user).select_related("application")
    for a in rows.order_by("deadline", "pk"):
        assert a.deadline is not None
        summary = _("Review due – %(title)s") % {"title": a.application.title}
        url = settings.SITE_URL + reverse("grants:application_detail", args=[a.application_id])
        yield Entry(f"review-{a.pk}", a.deadline, summary, url)


def ical(user: User, now: datetime | None = None) -> bytes:
    stamp = now or timezone.now()
    calendar = Calendar()
    calendar.add("prodid", "-//Registry Grants//Deadlines//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", _("Registry Grants deadlines"))
    host = settings.SITE_URL.split("://", 1)[-1].split("/", 1)[0].split(":", 1)[0] or "registry-grants"
    for entry in entries(user):
        event = Event()
        event.add("uid", f"{entry.uid}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", entry.day)
        event.add("dtend", entry.day + timedelta(days=1))
        event.add("summary", entry.summary)
        event.add("url", entry.url)
        calendar.add_component(event)
    return calendar.to_ical()
