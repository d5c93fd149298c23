"""Who may see and score what in the expert-group assessment."""

from typing import Any

from accounts.rules import is_member_of, is_secretariat
from grants.enums import ApplicationState as S

# States in which an assigned reviewer sees the application.
REVIEW_VISIBLE = [S.IN_REVIEW, S.ASSESSED, S.RECOMMENDED, S.NOT_RECOMMENDED, S.GRANTED, S.REJECTED]


def has_conflict(user: Any, application: Any) -> bool:
    if is_member_of(user, application.registry_id):
        return True
    return application.conflicts.filter(reviewer=user, waived_at__isnull=True).exists()


def is_assigned(user: Any, application: Any) -> bool:
    return user.is_authenticated and application.assignments.filter(reviewer=user).exists()


def can_review_application(user: Any, application: Any) -> bool:
    """Assigned, not conflicted, and the application has reached review."""
    return (
        user.is_authenticated
        and application.state in REVIEW_VISIBLE
        and is_assigned(user, application)
        and not has_conflict(user, application)
    )


def can_score(user: Any, application: Any) -> bool:
    return application.state == S.IN_REVIEW and can_review_application(user, application)


def can_declare_conflict(user: Any, application: Any) -> bool:
    return user.is_authenticated and is_assigned(user, application)


def can_assign_reviewers(user: Any, application: Any) -> bool:
    return is_secretariat(user)


def can_submit_review(review: Any, user: Any) -> bool:
    return review.reviewer_id == user.pk and can_score(user, review.application)


def can_see_all_reviews(user: Any, application: Any) -> bool:
    """Secretariat always; a reviewer only after submitting their own (no peeking)."""
    if is_secretariat(user):
        return True
    if not can_review_application(user, application):
        return False
    return application.reviews.filter(reviewer=user, state="submitted").exists()


def can_see_ranking(user: Any, call: Any) -> bool:
    from accounts.rules import committee_scheme_ids

    return is_secretariat(user) or call.scheme_id in committee_scheme_ids(user)
