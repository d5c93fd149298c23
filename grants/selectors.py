"""Visibility: which applications and calls a user may know exist. Mirrors grants.rules.can_view_application."""

from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.rules import is_decider, is_secretariat, registry_ids

from .enums import FOR_DECIDERS, HANDED_IN, ApplicationState
from .models import Application, Call


def applications_visible_to(user: Any, qs: QuerySet[Application] | None = None) -> QuerySet[Application]:
    from reviews.conflicts import conflict_q
    from reviews.models import Assignment, ExpertGroupMember
    from reviews.rules import OPEN_TO_GROUP, REVIEW_VISIBLE

    qs = Application.objects.all() if qs is None else qs
    if not user.is_authenticated:
        return qs.none()
    own = Q(registry_id__in=registry_ids(user))
    if is_secretariat(user):
        return qs.filter(own | handed_in())
    condition = own
    if is_decider(user):
        condition |= Q(state__in=FOR_DECIDERS)
    # A reviewer: assigned, or in the scheme's expert group once the call's review is in discussion; never with a
    # conflict of interest (reviews.conflicts; mirrored by reviews.rules.can_read_as_reviewer).
    as_reviewer = Q(Exists(Assignment.objects.filter(application=OuterRef("pk"), reviewer=user)))
    in_group = ExpertGroupMember.objects.filter(group__scheme_id=OuterRef("call__scheme_id"), user=user)
    as_reviewer |= Q(Exists(in_group), call__review_round__phase__in=OPEN_TO_GROUP)
    condition |= as_reviewer & Q(state__in=REVIEW_VISIBLE) & ~conflict_q(user)
    return qs.filter(condition)


def handed_in(prefix: str = "") -> Q:
    """What the secretariat has received: every state but draft, and a withdrawn application only if it was ever
    submitted (a draft withdrawn before submission never left the registry). `prefix` reaches it through a relation."""
    withdrawn_draft = Q(**{f"{prefix}state": ApplicationState.WITHDRAWN, f"{prefix}submitted_at__isnull": True})
    return Q(**{f"{prefix}state__in": HANDED_IN}) & ~withdrawn_draft


def calls_visible_to(user: Any) -> QuerySet[Call]:
    if is_secretariat(user):
        return Call.objects.all()
    if not user.is_authenticated:
        return Call.objects.none()
    return Call.objects.exclude(state="draft")


__all__ = ["ApplicationState"]
