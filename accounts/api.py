"""Users, for the secretariat (finding a reviewer to assign), and the caller's own profile."""

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from core.api import problem_responses
from core.exceptions import NotPermitted

from . import rules
from .models import User

router = Router(tags=["users"])


class UserOut(Schema):
    id: int
    email: str
    full_name: str
    roles: list[str] = Field(description="applicant, reviewer, secretariat, decider, admin.")
    registries: list[int] = Field(description="Ids of the registries the user is a member of.")
    committees: list[str] = Field(description="Codes of the schemes whose expert group the user sits in.")


class UsersQuery(Schema):
    email: str | None = Field(None, description="Exact email address (case does not matter).")


def _with_memberships(qs: QuerySet[User]) -> list[User]:
    """Users with their memberships read in two queries; accounts.rules then needs none per user."""
    from reviews.models import ExpertGroupMember

    users = list(
        qs.prefetch_related(
            "memberships",
            Prefetch("committee_memberships", ExpertGroupMember.objects.select_related("group__scheme")),
        )
    )
    for user in users:
        committees = list(user.committee_memberships.all())
        user._registry_ids = frozenset(m.registry_id for m in user.memberships.all())
        user._committee_scheme_ids = frozenset(m.group.scheme_id for m in committees)
        user.committees = sorted(m.group.scheme.code for m in committees)
    return users


def _out(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "full_name": user.full_name,
        "roles": rules.roles(user),
        "registries": sorted(rules.registry_ids(user)),
        "committees": user.committees,
    }


@router.get("/users", response={200: list[UserOut], **problem_responses(403)})
def list_users(request: HttpRequest, filters: Query[UsersQuery]) -> list[dict[str, Any]]:
    """Secretariat only."""
    if not rules.is_secretariat(request.user):
        raise NotPermitted("Only the secretariat may look up users.")
    qs = User.objects.filter(is_active=True)
    if filters.email:
        qs = qs.filter(email__iexact=filters.email.strip())
    return [_out(user) for user in _with_memberships(qs)]


@router.get("/users/me", response=UserOut)
def me(request: HttpRequest) -> dict[str, Any]:
    return _out(_with_memberships(User.objects.filter(pk=request.user.pk))[0])
