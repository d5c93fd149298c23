"""Role predicates. Memberships are read once per user object and cached on it."""

from typing import Any


def is_secretariat(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_secretariat or user.is_superuser))


def is_decider(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_decider)


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and user.is_superuser)


def registry_ids(user: Any) -> frozenset[int]:
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_registry_ids", None)
    if cached is None:
        cached = frozenset(user.memberships.values_list("registry_id", flat=True))
        user._registry_ids = cached
    return cached


def committee_scheme_ids(user: Any) -> frozenset[int]:
    """Schemes whose expert group this user sits in."""
    if not user.is_authenticated:
        return frozenset()
    cached = getattr(user, "_committee_scheme_ids", None)
    if cached is None:
        cached = frozenset(user.committee_memberships.values_list("group__scheme_id", flat=True))
        user._committee_scheme_ids = cached
    return cached


def is_applicant(user: Any) -> bool:
    return bool(registry_ids(user))


def is_reviewer(user: Any) -> bool:
    return bool(committee_scheme_ids(user))


def is_member_of(user: Any, registry_id: int) -> bool:
    return registry_id in registry_ids(user)


def needs_mfa(user: Any) -> bool:
    """The secretariat, deciders, reviewers and anyone who may open the Django admin (staff, superusers)."""
    return bool(is_secretariat(user) or is_decider(user) or is_reviewer(user) or is_admin(user) or user.is_staff)


def roles(user: Any) -> list[str]:
    result = []
    if is_applicant(user):
        result.append("applicant")
    if is_reviewer(user):
        result.append("reviewer")
    if is_secretariat(user):
        result.append("secretariat")
    if is_decider(user):
        result.append("decider")
    if is_admin(user):
        result.append("admin")
    return result


def forget(user: Any) -> None:
    """Drop cached memberships (after they change)."""
    for attr in ("_registry_ids", "_committee_scheme_ids"):
        if hasattr(user, attr):
            delattr(user, attr)
