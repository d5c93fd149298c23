"""Named permission predicates for schemes, calls and applications: (user, object) -> bool.

The same predicate guards the view, the button in the template and the transition (via `as_permission`).
"""

from collections.abc import Callable
from typing import Any

from accounts.rules import committee_scheme_ids, is_decider, is_member_of, is_secretariat, registry_ids

from .enums import EDITABLE, FOR_DECIDERS, HANDED_IN, WITHDRAWABLE, ApplicationState


def as_permission(predicate: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    """django-fsm calls permission(instance, user); our predicates take (user, obj)."""

    def permission(instance: Any, user: Any) -> bool:
        return predicate(user, instance)

    permission.__name__ = predicate.__name__
    return permission


# Calls
def can_manage_calls(user: Any, call: Any = None) -> bool:
    return is_secretariat(user)


def can_view_call(user: Any, call: Any) -> bool:
    return user.is_authenticated and (call.state != "draft" or is_secretariat(user))


# Applications
def is_applicant_of(user: Any, application: Any) -> bool:
    return is_member_of(user, application.registry_id)


def can_view_application(user: Any, application: Any) -> bool:
    """Mirror of selectors.applications_visible_to for one object (reviewers: see reviews.rules)."""
    if not user.is_authenticated:
        return False
    if is_applicant_of(user, application):
        return True
    if application.state == ApplicationState.DRAFT:
        return False
    if is_secretariat(user):
        return was_handed_in(application)
    if is_decider(user) and application.state in FOR_DECIDERS:
        return True
    from reviews.rules import can_read_as_reviewer

    return can_read_as_reviewer(user, application)


def was_handed_in(application: Any) -> bool:
    """Mirror of selectors.handed_in: a draft withdrawn before submission never reached the secretariat."""
    withdrawn_draft = application.state == ApplicationState.WITHDRAWN and application.submitted_at is None
    return application.state in HANDED_IN and not withdrawn_draft


def can_edit_application(user: Any, application: Any) -> bool:
    return is_applicant_of(user, application) and application.state in EDITABLE


def can_submit(user: Any, application: Any) -> bool:
    return is_applicant_of(user, application)


def can_withdraw(user: Any, application: Any) -> bool:
    return is_applicant_of(user, application) and application.state in WITHDRAWABLE


def can_screen(user: Any, application: Any) -> bool:
    return is_secretariat(user)


def can_manage_review(user: Any, application: Any) -> bool:
    return is_secretariat(user)


def can_decide(user: Any, application: Any) -> bool:
    return is_decider(user)


def can_create_application(user: Any, registry_id: int) -> bool:
    return is_member_of(user, registry_id)


def sits_in_expert_group(user: Any, scheme_id: int) -> bool:
    return scheme_id in committee_scheme_ids(user)


# Statistics
def can_view_statistics(user: Any, obj: Any = None) -> bool:
    """The secretariat for the whole portfolio, a registry member for their own registries. Nobody else: a reviewer
    or a decider would see figures built from applications they may not open."""
    return is_secretariat(user) or bool(registry_ids(user))


__all__ = ["EDITABLE"]
