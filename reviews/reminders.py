"""Review reminders, sent by `manage.py send_reminders` for one date.

- The reviewer of an open assignment (application in review, review not submitted, no conflict of interest) hears
  `REVIEW_REMINDER_DAYS` days (setting; default 3) before the deadline, and again on the day. A missed run catches
  up: the reminder goes out on the first run inside its window ([deadline - N, deadline - 1], then the day itself).
  `Assignment.reminded_on` records the last one, so a rerun for the same date sends nothing.
- The secretariat gets one message listing the reviews that are past their deadline and not yet escalated; each is
  escalated once per deadline (an audit entry `reviews.assignment.escalate` with the deadline records it).

Both are queued in the outbox (core.outbox; the command delivers it before it exits): the reminder is not essential,
so it follows the reviewer's notification settings (immediate, weekly digest, off); the escalation is essential and
reaches the secretariat whatever they chose. A failing mail server leaves them pending, to be retried.

Each function takes the date and returns how many outbox rows it queued.
"""

from datetime import date, timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import CharField, Exists, OuterRef, QuerySet
from django.db.models.fields.json import KT
from django.db.models.functions import Cast

from audit.models import AuditEntry
from audit.services import record
from grants.enums import ApplicationState

from . import emails
from .conflicts import conflicted_pair
from .enums import ReviewPhase, ReviewState
from .models import Assignment, Review


def days_before() -> int:
    return int(getattr(settings, "REVIEW_REMINDER_DAYS", 3))


def open_assignments() -> QuerySet[Assignment]:
    """Assignments whose review is still expected: application in review in a round that is not decided, review not
    submitted, reviewer active and without a conflict of interest."""
    submitted = Review.objects.filter(
        application=OuterRef("application"), reviewer=OuterRef("reviewer"), state=ReviewState.SUBMITTED
    )
    return (
        Assignment.objects.filter(deadline__isnull=False, application__state=ApplicationState.IN_REVIEW)
        .filter(reviewer__is_active=True)
        .exclude(application__call__review_round__phase=ReviewPhase.DECIDED)
        .exclude(Exists(submitted))
        .exclude(conflicted_pair())
    )


def send_review_reminders(today: date) -> int:
    n = days_before()
    candidates = open_assignments().filter(deadline__gte=today, deadline__lte=today + timedelta(days=n))
    sent = 0
    for pk in candidates.order_by("deadline", "pk").values_list("pk", flat=True):
        sent += _remind(pk, today, n)
    return sent


def _remind(pk: int, today: date, n: int) -> int:
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update()
            .select_related("application", "application__registry", "reviewer")
            .get(pk=pk)
        )
        deadline = assignment.deadline
        assert deadline is not None  # open_assignments() filtered on it
        window_start = deadline if today == deadline else deadline - timedelta(days=n)
        if assignment.reminded_on is not None and assignment.reminded_on >= window_start:
            return 0
        sent = emails.review_reminder(assignment, today, window_start)
        assignment.reminded_on = today
        assignment.save(update_fields=["reminded_on"])
        record(assignment, "reviews.assignment.remind", data={"date": today.isoformat(), "deadline": str(deadline)})
    return sent


def _escalated() -> Exists:
    """An escalation of the assignment for its current deadline is on record."""
    entries = AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Assignment),
        object_id=OuterRef("pk"),
        action="reviews.assignment.escalate",
    )
    return Exists(
        entries.annotate(deadline=KT("data__deadline")).filter(deadline=Cast(OuterRef("deadline"), CharField()))
    )


def send_overdue_escalations(today: date) -> int:
    with transaction.atomic():
        overdue = list(
            open_assignments()
            .filter(deadline__lt=today)
            .exclude(_escalated())
            .select_related("application", "reviewer")
            .select_for_update(of=("self",))
            .order_by("deadline", "application_id", "reviewer_id")
        )
        if not overdue:
            return 0
        entries = []
        for assignment in overdue:
            data = {"date": today.isoformat(), "deadline": str(assignment.deadline)}
            entries.append(record(assignment, "reviews.assignment.escalate", data=data))
        return emails.overdue_reviews(overdue, today, entries[0].pk)
