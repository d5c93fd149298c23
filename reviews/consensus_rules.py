"""Who may set the expert group's consensus score, and when (kept apart from rules.py only while another change
is under way there; the predicates belong beside the others in reviews.rules).

Who: the secretariat, and the chair of the scheme's expert group unless the chair has a conflict of interest with
the application. When: while the application is in review or assessed, and the call's review is in the discussion
phase (the consensus is what the discussion agrees; before it the group has not met, after it all is read-only).
"""

from typing import Any

from accounts.rules import committee_scheme_ids, is_secretariat
from grants.enums import ApplicationState as S

from .enums import ReviewPhase
from .rules import has_conflict, phase_of

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
