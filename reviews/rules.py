"""Who may see and do what in the expert-group assessment.

Phases (per call, reviews.ReviewRound): in the independent phase a reviewer sees the application they are assigned
and no other review until their own is submitted; in the discussion phase every expert-group member without a
conflict of interest sees every application of the call in review, all submitted reviews and the internal comment
thread; once decided, all of it is read-only. A conflict of interest (reviews.conflicts) hides the application.
"""

from typing import Any

from accounts.rules import committee_scheme_ids, is_secretariat
from grants.enums import ApplicationState as S

from .enums import ReviewPhase, ReviewState

# States in which an assigned reviewer sees the application.
REVIEW_VISIBLE = [S.IN_REVIEW, S.ASSESSED, S.RECOMMENDED, S.NOT_RECOMMENDED, S.GRANTED, S.REJECTED]
# Phases in which the whole expert group sees the call's applications, reviews and discussion.
OPEN_TO_GROUP = [ReviewPhase.DISCUSSION, ReviewPhase.DECIDED]
# Phases in which reviews and comments may still change.
WRITABLE = [ReviewPhase.INDEPENDENT, ReviewPhase.DISCUSSION]


def phase_of(call: Any) -> str:
    """The call's review phase (independent until the secretariat moves it). Read fresh: phases change under us."""
    from .models import ReviewRound

    phase = ReviewRound.objects.filter(call_id=call.pk).values_list("phase", flat=True).first()
    return phase or ReviewPhase.INDEPENDENT


def has_conflict(user: Any, application: Any) -> bool:
    from .conflicts import conflicts_of

    return bool(conflicts_of(user, application))


def is_assigned(user: Any, application: Any) -> bool:
    return user.is_authenticated and application.assignments.filter(reviewer=user).exists()


def in_expert_group(user: Any, application: Any) -> bool:
    return application.call.scheme_id in committee_scheme_ids(user)


def can_review_application(user: Any, application: Any) -> bool:
    """Assigned, not conflicted, and the application has reached review: writes (and reads) their own review."""
    return (
        user.is_authenticated
        and application.state in REVIEW_VISIBLE
        and is_assigned(user, application)
        and not has_conflict(user, application)
    )


def can_read_as_reviewer(user: Any, application: Any) -> bool:
    """Sees the application as a reviewer: assigned, or in the expert group once the call is in discussion; never
    with a conflict of interest. Mirrors grants.selectors.applications_visible_to."""
    if not user.is_authenticated or application.state not in REVIEW_VISIBLE:
        return False
    as_group = in_expert_group(user, application) and phase_of(application.call) in OPEN_TO_GROUP
    if not as_group and not is_assigned(user, application):
        return False
    return not has_conflict(user, application)


def can_score(user: Any, application: Any) -> bool:
    return (
        application.state == S.IN_REVIEW
        and phase_of(application.call) in WRITABLE
        and can_review_application(user, application)
    )


def knows_of(user: Any, application: Any) -> bool:
    """May learn that the application exists without seeing it: assigned to it, or in the scheme's expert group
    once it is in review (the ranking names it)."""
    return user.is_authenticated and (
        is_assigned(user, application) or (in_expert_group(user, application) and application.state in REVIEW_VISIBLE)
    )


def can_declare_conflict(user: Any, application: Any) -> bool:
    """Any time: an assigned reviewer, or a member of the scheme's expert group once the application is in review."""
    return knows_of(user, application)


def can_waive_conflict(user: Any, application: Any) -> bool:
    return is_secretariat(user)


def can_assign_reviewers(user: Any, application: Any) -> bool:
    return is_secretariat(user)


def can_manage_round(user: Any, call: Any = None) -> bool:
    """Move a call's review phases, set its review deadline, assign reviewers for the whole call."""
    return is_secretariat(user)


def can_manage_expert_groups(user: Any, group: Any = None) -> bool:
    return is_secretariat(user)


def can_submit_review(review: Any, user: Any) -> bool:
    return review.reviewer_id == user.pk and can_score(user, review.application)


def can_reopen_review(review: Any, user: Any) -> bool:
    return (
        is_secretariat(user)
        and review.state == ReviewState.SUBMITTED
        and review.application.state == S.IN_REVIEW
        and phase_of(review.application.call) in WRITABLE
    )


def can_see_all_reviews(user: Any, application: Any) -> bool:
    """Secretariat always; in the independent phase a reviewer only after submitting their own (no peeking); in
    discussion (and after) every expert-group member without a conflict."""
    if is_secretariat(user):
        return True
    if not can_read_as_reviewer(user, application):
        return False
    if phase_of(application.call) in OPEN_TO_GROUP:
        return True
    return application.reviews.filter(reviewer=user, state=ReviewState.SUBMITTED).exists()


def can_see_discussion(user: Any, application: Any) -> bool:
    """The internal comment thread: the secretariat, and the expert group (no conflict) once in discussion. Never
    applicants or deciders as such."""
    if is_secretariat(user):
        return True
    return phase_of(application.call) in OPEN_TO_GROUP and can_read_as_reviewer(user, application)


def can_comment(user: Any, application: Any) -> bool:
    return (
        application.state in REVIEW_VISIBLE
        and phase_of(application.call) == ReviewPhase.DISCUSSION
        and can_see_discussion(user, application)
    )


def can_see_ranking(user: Any, call: Any) -> bool:
    return is_secretariat(user) or call.scheme_id in committee_scheme_ids(user)


# The chair's consensus score. Who: the secretariat, and the chair of the scheme's expert group unless the chair
# has a conflict of interest with the application. When: while the application is in review or assessed and the
# call's review is in discussion (the consensus is what the discussion agrees; after it all is read-only).
CONSENSUS_STATES = [S.IN_REVIEW, S.ASSESSED]


def is_chair(user: Any, scheme_id: int) -> bool:
    from .models import ExpertGroupMember

    return scheme_id in committee_scheme_ids(user) and (
        ExpertGroupMember.objects.filter(group__scheme_id=scheme_id, user=user, is_chair=True).exists()
    )


def manages_consensus(user: Any, call: Any) -> bool:
    """The secretariat, or the chair of the call's expert group (for the applications they have no conflict with)."""
    return is_secretariat(user) or is_chair(user, call.scheme_id)


def may_set_consensus(user: Any, application: Any) -> bool:
    """Who: `manages_consensus`, and a chair without a conflict of interest with the application."""
    if is_secretariat(user):
        return True
    return is_chair(user, application.call.scheme_id) and not has_conflict(user, application)


def consensus_open(application: Any, phase: str | None = None) -> bool:
    """When: the application is in review or assessed and the call's review is in discussion."""
    if application.state not in CONSENSUS_STATES:
        return False
    return (phase or phase_of(application.call)) == ReviewPhase.DISCUSSION


def can_set_consensus(user: Any, application: Any) -> bool:
    return may_set_consensus(user, application) and consensus_open(application)
