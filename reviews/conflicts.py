"""Conflicts of interest between a reviewer and an application: one rule, for one pair and as SQL conditions.

A reviewer has a conflict with an application when they are
- a member of the applicant registry (`registry_member`; never waivable: such a member is the applicant),
- a member of a registry in `application.participating_registries` (`participating_registry`),
- employed (`User.organisation`) at a unit in `application.participating_units`, or in the same health trust as one
  (`health_trust`),
- named in `application.team` (`named_in_project`),
- or has declared one (`declared`: a Conflict row that is not waived).
The secretariat may waive every source but the first for the pair: a waived Conflict row (its `source` is what was
waived) waives the pair as it was judged; a new declaration by the reviewer clears the waiver.

The same conditions serve one pair (`conflicts_of`), a user's list of applications (`conflict_q`) and rows that pair
an application with a reviewer (`conflicted_pair`, e.g. reviews and scores, so conflicted scores never count).

Health trust: the organisation tree is nation → RHF → HF → hospital, so a unit's trust is the unit itself when it is
an HF, else the nearest HF at most two steps up; a unit with no HF above it (an RHF) stands for itself.
"""

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import BooleanField, Case, Exists, F, OuterRef, Q, QuerySet, Subquery, Value, When
from django.db.models.lookups import Exact
from django.utils.translation import gettext as _

from accounts.rules import registry_ids
from grants.models import Application
from registries.enums import UnitLevel
from registries.models import Membership

from .enums import ConflictSource
from .models import Conflict

Ref = Callable[[str], Any]

# In the order a refusal names them.
SOURCES = [
    ConflictSource.REGISTRY_MEMBER,
    ConflictSource.PARTICIPATING_REGISTRY,
    ConflictSource.HEALTH_TRUST,
    ConflictSource.NAMED_IN_PROJECT,
    ConflictSource.DECLARED,
]
AUTOMATIC = SOURCES[:4]
UNWAIVABLE = {ConflictSource.REGISTRY_MEMBER}
FALSE = Value(False, output_field=BooleanField())

UnitLink = Application.participating_units.through
TeamLink = Application.team.through


def trust_key(field: Ref) -> Case:
    """The health trust (an orgnr) of the organisation reached by `field("organisation...")`; NULL without one."""
    hf = Value(UnitLevel.HF)
    return Case(
        When(Exact(field("organisation__level"), hf), then=field("organisation_id")),
        When(Exact(field("organisation__parent__level"), hf), then=field("organisation__parent_id")),
        When(Exact(field("organisation__parent__parent__level"), hf), then=field("organisation__parent__parent_id")),
        default=field("organisation_id"),
    )


def _deeper(ref: Any) -> Any:
    """`ref` as seen one subquery further in."""
    return OuterRef(ref) if isinstance(ref, OuterRef) else ref


def _conditions(application: Any, reviewer: Any) -> dict[str, Any]:
    """Each source as a boolean expression. `application` and `reviewer` are primary keys or expressions (OuterRef)
    as a subquery of the filtered rows sees them."""
    reviewer_trust = Subquery(
        get_user_model().objects.filter(pk=_deeper(reviewer)).annotate(k=trust_key(F)).values("k")[:1]
    )
    same_trust = UnitLink.objects.filter(Exact(trust_key(F), reviewer_trust), application_id=application)
    return {
        ConflictSource.REGISTRY_MEMBER: Exists(
            Membership.objects.filter(user_id=reviewer, registry__applications=application)
        ),
        ConflictSource.PARTICIPATING_REGISTRY: Exists(
            Membership.objects.filter(user_id=reviewer, registry__participations=application)
        ),
        ConflictSource.HEALTH_TRUST: Exists(same_trust),
        ConflictSource.NAMED_IN_PROJECT: Exists(TeamLink.objects.filter(application_id=application, user_id=reviewer)),
        ConflictSource.DECLARED: Exists(
            Conflict.objects.filter(application_id=application, reviewer_id=reviewer, waived_at__isnull=True)
        ),
        "waived": Exists(
            Conflict.objects.filter(application_id=application, reviewer_id=reviewer, waived_at__isnull=False)
        ),
    }


def _combined(flags: dict[str, Any]) -> Q:
    waivable = Q(flags[ConflictSource.PARTICIPATING_REGISTRY]) | Q(flags[ConflictSource.HEALTH_TRUST])
    waivable |= Q(flags[ConflictSource.NAMED_IN_PROJECT]) | Q(flags[ConflictSource.DECLARED])
    return Q(flags[ConflictSource.REGISTRY_MEMBER]) | (waivable & ~Q(flags["waived"]))


def conflict_between(application: Any, reviewer: Any) -> Q:
    """Condition: `reviewer` has a conflict of interest with `application` (each a primary key or an OuterRef)."""
    return _combined(_conditions(application, reviewer))


def conflict_q(user: Any) -> Q:
    """Condition on Application rows: `user` has a conflict of interest with the application."""
    if not user.is_authenticated:
        return Q(pk__in=[])
    flags = _conditions(OuterRef("pk"), user.pk)
    own = registry_ids(user)  # cached on the user: no subquery needed for the applicant registry
    flags[ConflictSource.REGISTRY_MEMBER] = Q(registry_id__in=own) if own else FALSE
    return _combined(flags)


def conflicted_pair(application: str = "application", reviewer: str = "reviewer") -> Q:
    """Condition on rows that pair an application with a reviewer by field name (assignments, reviews; scores with
    `review__application`/`review__reviewer`): the reviewer has a conflict of interest with the application."""
    return conflict_between(OuterRef(application), OuterRef(reviewer))


def _sources(flags: dict[str, bool]) -> list[str]:
    if flags["waived"]:
        return [s for s in AUTOMATIC if s in UNWAIVABLE and flags[s]]
    return [s for s in SOURCES if flags[s]]


def conflicts_of(user: Any, application: Application) -> list[str]:
    """The sources of `user`'s conflicts of interest with `application` that are not waived ([] for none)."""
    if not user.is_authenticated:
        return []
    names = {str(k): v for k, v in _conditions(OuterRef("pk"), user.pk).items()}
    row = Application.objects.filter(pk=application.pk).annotate(**names).values(*names).first()
    return _sources(row) if row else []


def automatic_sources(user: Any, application: Application) -> list[str]:
    """The automatic sources, waived or not (what a waiver would cover)."""
    flags = {str(k): v for k, v in _conditions(OuterRef("pk"), user.pk).items()}
    row = Application.objects.filter(pk=application.pk).annotate(**flags).values(*flags).first() or {}
    return [s for s in AUTOMATIC if row.get(s)]


def with_conflicts(rows: QuerySet[Any], application: Application, reviewer: str = "user") -> QuerySet[Any]:
    """Rows with a reviewer field (e.g. expert-group members, field `user`) annotated with one flag per source for
    `application` (`conflict_<source>`, `conflict_waived`); read them with `sources_of(row)`."""
    flags = _conditions(application.pk, OuterRef(reviewer))
    return rows.annotate(**{f"conflict_{k}": v for k, v in flags.items()})


def sources_of(row: Any) -> list[str]:
    """The unwaived sources of a row annotated by `with_conflicts`."""
    flags = {k: getattr(row, f"conflict_{k}") for k in [*SOURCES, "waived"]}
    return _sources(flags)


def describe(user: Any, application: Application, source: str) -> str:
    """Why `user` may not review `application`, in words (for refusals and the bulk-assignment report)."""
    messages = {
        ConflictSource.REGISTRY_MEMBER: _("%(user)s is a member of %(registry)s and so has a conflict of interest."),
        ConflictSource.PARTICIPATING_REGISTRY: _(
            "%(user)s is a member of a registry taking part in the application and so has a conflict of interest."
        ),
        ConflictSource.HEALTH_TRUST: _(
            "%(user)s works in a health trust taking part in the application and so has a conflict of interest."
        ),
        ConflictSource.NAMED_IN_PROJECT: _("%(user)s is named in the project team and so has a conflict of interest."),
        ConflictSource.DECLARED: _("%(user)s has declared a conflict of interest with this application."),
    }
    return messages[ConflictSource(source)] % {"user": user, "registry": application.registry}
