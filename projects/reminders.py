"""Project follow-up reminders, queued in the outbox by `manage.py send_reminders` (and the worker's daily task).

What is chased, while the project is active: milestones not yet reported (planned, or returned for revision),
progress reports not yet in (due, or returned), and the final report (`Project.final_report_due`; an active project
has not submitted it, or had it returned).

Who hears:
- the project lead LEAD_OFFSETS days from the due date: 14 days before, on the day, 7 days after. The project lead is
  the person who created the application, while still an active member of the project's registry; otherwise every
  active member of the registry (someone must hear, and any member may report).
- the secretariat (every active secretariat user) 30 days after: an escalation, essential, so it is sent whatever
  their notification settings.

Each offset is a window that lasts until the next one ([-14, -1], [0, 6], [7, 29]; the escalation [30, 59]): a
missed run sends the reminder on the first run inside its window, and a run after the window has passed sends
nothing for it (a first install does not flood anyone with old news). The outbox key
"reminder:<kind>:<pk>:<offset>:<due date>:<user pk>" makes each reminder once-only across runs and workers; a moved
due date (an approved extension) is a new key, so the reminders follow the new date.
"""

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from core import outbox
from core.models import OutboxMessage

from .enums import MilestoneState, ProgressReportState, ProjectState
from .models import Milestone, ProgressReport, Project

LEAD_OFFSETS = (-14, 0, 7)
ESCALATION_OFFSET = 30
ESCALATION_WINDOW = 30  # days the escalation may still be caught up


@dataclass(frozen=True)
class Deadline:
    kind: str  # milestone, progress_report, final_report
    pk: int
    due: date
    project: Project
    what: Any  # a lazy label, translated when the email is rendered

    def key(self, offset: int, user_pk: int) -> str:
        return f"reminder:{self.kind}:{self.pk}:{offset}:{self.due.isoformat()}:{user_pk}"


def current_offset(due: date, today: date) -> int | None:
    """The lead's offset whose window holds `today`, if any."""
    days = (today - due).days
    ends = [*LEAD_OFFSETS[1:], ESCALATION_OFFSET]
    for offset, end in zip(LEAD_OFFSETS, ends, strict=True):
        if offset <= days < end:
            return offset
    return None


def escalation_due(due: date, today: date) -> bool:
    return ESCALATION_OFFSET <= (today - due).days < ESCALATION_OFFSET + ESCALATION_WINDOW


def deadlines(today: date) -> Iterator[Deadline]:
    """Every open deadline whose reminder windows may hold `today`."""
    start = today - timedelta(days=ESCALATION_OFFSET + ESCALATION_WINDOW - 1)
    end = today - timedelta(days=LEAD_OFFSETS[0])
    active = {"project__state": ProjectState.ACTIVE}
    milestones = Milestone.objects.filter(
        state__in=[MilestoneState.PLANNED, MilestoneState.REVISION_REQUESTED], due_date__range=(start, end), **active
    )
    for m in milestones.select_related("project", "project__registry", "project__application").order_by("pk"):
        yield Deadline("milestone", m.pk, m.due_date, m.project, format_lazy(_("Milestone “{title}”"), title=m.title))
    reports = ProgressReport.objects.filter(
        state__in=[ProgressReportState.DUE, ProgressReportState.RETURNED], due_date__range=(start, end), **active
    )
    for r in reports.select_related("project", "project__registry", "project__application").order_by("pk"):
        label = format_lazy(_("Progress report {number}"), number=r.number)
        yield Deadline("progress_report", r.pk, r.due_date, r.project, label)
    projects = Project.objects.filter(state=ProjectState.ACTIVE, final_report_due__range=(start, end))
    for p in projects.select_related("registry", "application").order_by("pk"):
        assert p.final_report_due is not None
        yield Deadline("final_report", p.pk, p.final_report_due, p, _("The final report"))


def project_leads(project: Project) -> QuerySet[Any]:
    users = get_user_model().objects.filter(is_active=True, memberships__registry_id=project.registry_id)
    creator = users.filter(pk=project.application.created_by_id)
    return creator if creator.exists() else users.order_by("pk")


def secretariat() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_active=True, is_secretariat=True).order_by("pk")


def _queue(deadline: Deadline, offset: int, today: date, users: Iterable[Any], template: str, essential: bool) -> int:
    """Queue one reminder per user unless already queued; the text counts the days as they are on `today` (a
    caught-up reminder says how late it really is)."""
    keys = {user.pk: deadline.key(offset, user.pk) for user in users}
    known = set(OutboxMessage.objects.filter(key__in=keys.values()).values_list("key", flat=True))
    days = (today - deadline.due).days
    context = {"what": deadline.what, "project": deadline.project, "due": deadline.due, "days": days, "n": abs(days)}
    queued = 0
    with transaction.atomic():
        for user in users:
            if keys[user.pk] not in known:
                queued += outbox.enqueue_template(keys[user.pk], template, user, context, essential=essential)
    return queued


def queue_lead_reminders(today: date) -> int:
    """Queue the project leads' reminders due on `today`; the number of new outbox rows."""
    queued = 0
    for deadline in deadlines(today):
        offset = current_offset(deadline.due, today)
        if offset is not None:
            queued += _queue(deadline, offset, today, list(project_leads(deadline.project)), "project_reminder", False)
    return queued


def queue_escalations(today: date) -> int:
    """Queue the secretariat's escalations due on `today` (essential); the number of new outbox rows."""
    queued = 0
    users = list(secretariat())
    for deadline in deadlines(today):
        if escalation_due(deadline.due, today):
            queued += _queue(deadline, ESCALATION_OFFSET, today, users, "project_overdue", True)
    return queued
