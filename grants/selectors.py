"""Visibility: which applications and calls a user may know exist. Mirrors grants.rules.can_view_application."""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from accounts.rules import is_decider, is_secretariat, registry_ids
from core import listing
from core.listing import ListFilters, ListSpec
from registries.models import Indicator, Organisation
from registries.selectors import NATION, Sums, Tree, UnitValue, nested_units, rolled_up_values, total, unit_value

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


APPLICATION_LIST = ListSpec(
    filters={
        "scheme": "call__scheme__code",
        "call": "call_id",
        "year": "call__year",
        "region": "registry__region",
        "registry": "registry_id",
        "state": "state",
    },
    search=("title", "summary", "aims", "registry__name", "registry__short_name"),
    sorts={
        "title": "title",
        "registry": "registry__name",
        "call": "call__title",
        "year": "call__year",
        "amount": "requested_amount_nok",
        "granted": "granted_amount_nok",
        "state": "state",
        "submitted": "submitted_at",
    },
    default_order=("-call__year", "call__title", "registry__name", "pk"),
    states=tuple(ApplicationState.values),
)


def application_list(user: Any, filters: ListFilters) -> QuerySet[Application]:
    """The applications this user may see, filtered, searched and sorted, with what a row shows (one query)."""
    qs = applications_visible_to(user).select_related("call__scheme", "registry")
    return listing.apply(qs, filters, APPLICATION_LIST)


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


# ---------------------------------------------------------------- baselines from the registry's data

# Baselines are stored with the column's six decimals.
BASELINE_PLACES = Decimal("0.000001")


@dataclass(frozen=True)
class BaselineUnit:
    """One participating unit's value in the baseline year (None: the unit has no value that year)."""

    orgnr: int
    name: str
    unit_level: str
    value: UnitValue | None
    counted: bool  # False when its health trust is chosen too: counted there, not twice


@dataclass(frozen=True)
class Baseline:
    """An indicator's baseline for an application: each participating unit, the units together, the nation."""

    indicator: Indicator
    year: int | None  # the chosen year, or the latest with data when none was chosen
    years: tuple[int, ...]  # years with data, newest first
    units: tuple[BaselineUnit, ...]
    combined: UnitValue | None  # the participating units together; the nation when no unit is chosen
    nation: UnitValue | None

    @property
    def covers_nation(self) -> bool:
        return not self.units

    @property
    def value(self) -> Decimal | None:
        """What fills the application's baseline value: nothing when suppressed or missing."""
        if self.combined is None or self.combined.value is None:
            return None
        return self.combined.value.quantize(BASELINE_PLACES, rounding=ROUND_HALF_UP)


def baselines(
    wanted: Sequence[tuple[Indicator, int | None]], units: Sequence[Organisation], *, tree: Tree | None = None
) -> list[Baseline]:
    """One Baseline per (indicator, year or None for the latest), for the chosen units; two queries in all.

    The units' combined value is the sum of their rolled-up numerators over the sum of their denominators; a unit
    whose ancestor is chosen too is shown but not added twice.
    """
    tree = tree or Tree.load()
    indicators = [ind for ind, _year in wanted]
    coverage_ids = {i.coverage_indicator_id for i in indicators if i.coverage_indicator_id}
    sums = rolled_up_values({i.pk for i in indicators} | coverage_ids, tree=tree)
    nested = nested_units((u.orgnr for u in units), tree)
    counted = {u.orgnr: u.orgnr not in nested for u in units}
    ordered = sorted(units, key=lambda u: (u.name, u.orgnr))
    return [_baseline(ind, year, ordered, counted, sums, tree) for ind, year in wanted]


def _baseline(
    indicator: Indicator,
    year: int | None,
    units: Sequence[Organisation],
    counted: dict[int, bool],
    sums: dict[str, dict[int, dict[int, Sums]]],
    tree: Tree,
) -> Baseline:
    by_year = sums.get(indicator.pk, {})
    years = tuple(sorted(by_year, reverse=True))
    year = year if year is not None else (years[0] if years else None)
    values = by_year.get(year, {}) if year is not None else {}
    coverage = sums.get(indicator.coverage_indicator_id, {}).get(year, {}) if year is not None else {}

    def shown(orgnr: int, unit_sums: Sums | None, cov: Sums | None) -> UnitValue | None:
        if unit_sums is None or year is None:
            return None
        return unit_value(indicator, year, orgnr, unit_sums, tree, cov)

    rows = tuple(
        BaselineUnit(
            u.orgnr, u.name, u.level, shown(u.orgnr, values.get(u.orgnr), coverage.get(u.orgnr)), counted[u.orgnr]
        )
        for u in units
    )
    nation = shown(NATION, values.get(NATION), coverage.get(NATION))
    return Baseline(
        indicator, year, years, rows, _combined(indicator, year, units, counted, values, coverage, tree, nation), nation
    )


def _combined(
    indicator: Indicator,
    year: int | None,
    units: Sequence[Organisation],
    counted: dict[int, bool],
    values: dict[int, Sums],
    coverage: dict[int, Sums],
    tree: Tree,
    nation: UnitValue | None,
) -> UnitValue | None:
    if not units:
        return nation
    together = [u.orgnr for u in units if counted[u.orgnr] and u.orgnr in values]
    if year is None or not together:
        return None
    cover = [coverage[o] for o in together if o in coverage]
    value = unit_value(indicator, year, 0, total(values[o] for o in together), tree, total(cover) if cover else None)
    return replace(value, unit_level="combined")
