"""The expert assessment's emails, all queued in the outbox (core.outbox) through core.notifications.queue, so they
honour the recipient's notification settings and survive a failing mail server. Notifications take a primary key and
run in the worker after commit (registered in core.notifications); reminders are queued by the send_reminders command
itself (reviews.reminders), which delivers the outbox before it exits. Which kinds are essential is documented in
core.notifications: the escalation to the secretariat and a declared conflict are; the rest is not."""

from collections import defaultdict
from collections.abc import Callable
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet


def secretariat() -> QuerySet[Any]:
    return get_user_model().objects.filter(is_secretariat=True, is_active=True)


def _queue(template: str, pk: object, event: object, users: Any, context: dict, *, essential: bool) -> int:
    from core.notifications import queue  # core.notifications imports this module

    return queue(template, pk, event, users, context, essential=essential)


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
        ctx = {"reviewer": reviewer, "assignments": assignments}
        sent += _queue("reviews_assigned", pk, pk, [reviewer], ctx, essential=False)
    return sent


def conflict_declared(pk: int) -> int:
    """The secretariat hears of a declared conflict (it may need another reviewer); the reason stays in the app."""
    from core.notifications import last_entry_id

    from .models import Conflict

    conflict = Conflict.objects.select_related("application", "reviewer").get(pk=pk)
    ctx = {"conflict": conflict}
    return _queue("conflict_declared", pk, last_entry_id(conflict), secretariat(), ctx, essential=True)


def conflict_waived(pk: int) -> int:
    from core.notifications import last_entry_id

    from .models import Conflict

    conflict = Conflict.objects.select_related("application", "reviewer").get(pk=pk)
    if conflict.waived_at is None:  # declared again before the worker ran
        return 0
    ctx = {"conflict": conflict}
    return _queue("conflict_waived", pk, last_entry_id(conflict), [conflict.reviewer], ctx, essential=False)


def review_reopened(pk: int) -> int:
    from audit.services import history

    from .models import Review

    review = Review.objects.select_related("application", "reviewer").get(pk=pk)
    entry = history(review).filter(action="reviews.review.reopen").last()
    ctx = {"review": review, "entry": entry}
    return _queue("review_reopened", pk, entry.pk if entry else None, [review.reviewer], ctx, essential=False)


def review_reminder(assignment: Any, today: date, window_start: date) -> int:
    """Queue the reviewer's reminder (not essential): the deadline is `days` away (0: today). Once per reminder
    window and deadline: "notify:review_reminder:<assignment pk>:<deadline>/<window start>:<user pk>"."""
    days = (assignment.deadline - today).days
    ctx = {"assignment": assignment, "days": days}
    event = f"{assignment.deadline.isoformat()}/{window_start.isoformat()}"
    return _queue("review_reminder", assignment.pk, event, [assignment.reviewer], ctx, essential=False)


def overdue_reviews(assignments: list[Any], today: date, entry_id: int) -> int:
    """Queue the secretariat's escalation (essential): reviews past their deadline, newly overdue on `today`. Once
    per escalation: keyed by the first of its audit entries (`entry_id`)."""
    ctx = {"assignments": assignments, "today": today}
    return _queue("reviews_overdue", today.isoformat(), entry_id, secretariat(), ctx, essential=True)


NOTIFICATIONS: dict[str, Callable[[int], int]] = {
    "assignments_made": assignments_made,
    "conflict_declared": conflict_declared,
    "conflict_waived": conflict_waived,
    "review_reopened": review_reopened,
}
