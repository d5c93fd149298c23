"""The expert assessment's emails. Notifications take a primary key and run in the worker after commit (registered
in core.notifications); reminders are sent by the send_reminders command itself (reviews.reminders)."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model

from core import emails


def secretariat_emails() -> list[str]:
    users = get_user_model().objects.filter(is_secretariat=True, is_active=True)
    return list(users.values_list("email", flat=True))


def assignments_made(pk: int) -> int:
    """After a whole call was assigned (audit entry `pk`): one message per reviewer listing all of theirs."""
    from audit.models import AuditEntry

    from .models import Assignment

    entry = AuditEntry.objects.get(pk=pk)
    pairs = [tuple(pair) for pair in entry.data.get("assignments", [])]
    wanted = {(a, r) for a, r in pairs}
    rows = Assignment.objects.filter(application_id__in={a for a, _r in pairs}, reviewer_id__in={r for _a, r in pairs})
    per_reviewer: dict[Any, list[Assignment]] = defaultdict(list)
    for assignment in rows.select_related("application", "application__registry", "reviewer").order_by(
        "application_id"
    ):
        if (assignment.application_id, assignment.reviewer_id) in wanted:
            per_reviewer[assignment.reviewer].append(assignment)
    sent = 0
    for reviewer, assignments in sorted(per_reviewer.items(), key=lambda item: item[0].pk):
        sent += emails.send("reviews_assigned", [reviewer.email], {"reviewer": reviewer, "assignments": assignments})
    return sent


def conflict_declared(pk: int) -> int:
    """The secretariat hears of a declared conflict (it may need another reviewer); the reason stays in the app."""
    from .models import Conflict

    conflict = Conflict.objects.select_related("application", "reviewer").get(pk=pk)
    return emails.send("conflict_declared", secretariat_emails(), {"conflict": conflict})


def conflict_waived(pk: int) -> int:
    from .models import Conflict

    conflict = Conflict.objects.select_related("application", "reviewer").get(pk=pk)
    if conflict.waived_at is None:  # declared again before the worker ran
        return 0
    return emails.send("conflict_waived", [conflict.reviewer.email], {"conflict": conflict})


def review_reopened(pk: int) -> int:
    from audit.services import history

    from .models import Review

    review = Review.objects.select_related("application", "reviewer").get(pk=pk)
    entry = history(review).filter(action="reviews.review.reopen").last()
    return emails.send("review_reopened", [review.reviewer.email], {"review": review, "entry": entry})


def review_reminder(assignment: Any, today: date) -> int:
    """The reviewer's reminder: the deadline is `days` away (0: today)."""
    days = (assignment.deadline - today).days
    return emails.send("review_reminder", [assignment.reviewer.email], {"assignment": assignment, "days": days})


def overdue_reviews(assignments: list[Any], today: date) -> int:
    """The secretariat's escalation: reviews past their deadline, newly overdue on `today`."""
    ctx = {"assignments": assignments, "today": today}
    return emails.send("reviews_overdue", secretariat_emails(), ctx)


NOTIFICATIONS: dict[str, Callable[[int], int]] = {
    "assignments_made": assignments_made,
    "conflict_declared": conflict_declared,
    "conflict_waived": conflict_waived,
    "review_reopened": review_reopened,
}
