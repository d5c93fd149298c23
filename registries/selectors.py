"""Indicator values rolled up through the organisation tree (hospital → HF → RHF → nation)."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet

from accounts.rules import is_secretariat, registry_ids

from .models import Indicator, IndicatorImport, IndicatorValue, Organisation

NATION = 1


@dataclass(frozen=True)
class Sums:
    numerator: Decimal
    denominator: Decimal

    def __add__(self, other: "Sums") -> "Sums":
        return Sums(self.numerator + other.numerator, self.denominator + other.denominator)

    @property
    def value(self) -> Decimal | None:
        return self.numerator / self.denominator if self.denominator else None


@dataclass(frozen=True)
class Tree:
    parent: dict[int, int | None]
    level: dict[int, str]

    @classmethod
    def load(cls) -> "Tree":
        rows = list(Organisation.objects.values_list("orgnr", "parent_id", "level"))
        return cls({o: p for o, p, _lvl in rows}, {o: lvl for o, _p, lvl in rows})

    def ancestors(self, orgnr: int) -> list[int]:
        """The unit's parents up to the root, guarding against a cycle in imported data."""
        result: list[int] = []
        parent = self.parent.get(orgnr)
        while parent is not None and parent != orgnr and parent not in result:
            result.append(parent)
            orgnr, parent = parent, self.parent.get(parent)
        return result


def total(parts: Iterable[Sums]) -> Sums:
    """Several units together: the sum of their numerators over the sum of their denominators."""
    return sum(parts, Sums(Decimal(0), Decimal(0)))


def nested_units(units: Iterable[int], tree: Tree) -> set[int]:
    """The chosen units that lie under another chosen unit: already inside that unit's rolled-up sums, so a sum of
    the chosen units leaves them out (a hospital chosen with its health trust is not counted twice)."""
    chosen = set(units)
    return {u for u in chosen if chosen.intersection(tree.ancestors(u))}


def roll_up(delivered: dict[int, Sums], tree: Tree) -> dict[int, Sums]:
    """Sums per unit for one indicator and year.

    A unit's own delivered row wins (SKDE's aggregated files carry national rows, orgnr 1); otherwise the unit is the
    sum of the rows delivered below it. A row is added to each ancestor up to the first one with its own delivered
    row, so a hospital is not counted twice when its HF is delivered too.
    """
    result: dict[int, Sums] = dict(delivered)
    for orgnr, sums in delivered.items():
        for ancestor in tree.ancestors(orgnr):
            if ancestor in delivered:
                break
            result[ancestor] = result[ancestor] + sums if ancestor in result else sums
    return result


def rolled_up_values(
    indicator_ids: Iterable[str], *, year: int | None = None, tree: Tree | None = None
) -> dict[str, dict[int, dict[int, Sums]]]:
    """indicator id → year → orgnr → sums, for every unit at every level (two queries)."""
    tree = tree or Tree.load()
    rows = IndicatorValue.objects.filter(indicator_id__in=list(indicator_ids))
    if year is not None:
        rows = rows.filter(year=year)
    delivered: dict[str, dict[int, dict[int, Sums]]] = defaultdict(lambda: defaultdict(dict))
    for ind, org, yr, num, den in rows.values_list(
        "indicator_id", "organisation_id", "year", "numerator", "denominator"
    ):
        delivered[ind][yr][org] = Sums(num, den)
    return {ind: {yr: roll_up(units, tree) for yr, units in years.items()} for ind, years in delivered.items()}


def latest_national(indicator_ids: Iterable[str]) -> dict[str, tuple[int, Sums]]:
    """indicator id → (latest year with a national value, its sums)."""
    result = {}
    for ind, years in rolled_up_values(indicator_ids).items():
        with_nation = [yr for yr, units in years.items() if NATION in units]
        if with_nation:
            latest = max(with_nation)
            result[ind] = (latest, years[latest][NATION])
    return result


# ---------------------------------------------------------------- values as shown: suppression and coverage

# DOMAIN.md: a unit whose coverage (the linked dekningsgrad indicator) is under 60 % is marked as uncertain.
LOW_COVERAGE = Decimal("0.6")


@dataclass(frozen=True)
class UnitValue:
    """One indicator's result for one unit and year, as every page, chart and export shows it."""

    orgnr: int
    unit_level: str
    year: int
    numerator: Decimal
    denominator: Decimal
    raw_value: Decimal | None  # numerator / denominator, even when suppressed (for sums and the outcome only)
    attainment: str | None  # high / moderate / low / None (no thresholds, or suppressed)
    suppressed: bool  # the denominator is under the indicator's minimum: shown as "fewer than N"
    min_denominator: int
    coverage: Decimal | None  # the linked coverage indicator's share for this unit and year, when delivered
    low_coverage: bool

    @property
    def value(self) -> Decimal | None:
        """What may be shown: nothing when suppressed."""
        return None if self.suppressed else self.raw_value


def unit_value(
    indicator: Indicator, year: int, orgnr: int, sums: Sums, tree: Tree, coverage: Sums | None = None
) -> UnitValue:
    suppressed = sums.denominator < indicator.min_denominator
    raw = sums.value
    share = coverage.value if coverage is not None else None
    return UnitValue(
        orgnr=orgnr,
        unit_level=tree.level.get(orgnr, "hospital"),
        year=year,
        numerator=sums.numerator,
        denominator=sums.denominator,
        raw_value=raw,
        attainment=None if suppressed else indicator.level_for(raw),
        suppressed=suppressed,
        min_denominator=indicator.min_denominator,
        coverage=share,
        low_coverage=share is not None and share < LOW_COVERAGE,
    )


def unit_values(
    indicators: Iterable[Indicator],
    *,
    year: int | None = None,
    orgnrs: Iterable[int] | None = None,
    tree: Tree | None = None,
) -> dict[str, dict[int, dict[int, UnitValue]]]:
    """indicator id → year → orgnr → UnitValue for every unit at every level (or only `orgnrs`), with suppression
    and the coverage mark; three queries whatever the number of indicators."""
    indicators = list(indicators)
    tree = tree or Tree.load()
    wanted = set(orgnrs) if orgnrs is not None else None
    coverage_ids = {i.coverage_indicator_id for i in indicators if i.coverage_indicator_id}
    sums = rolled_up_values({i.pk for i in indicators} | coverage_ids, year=year, tree=tree)
    result: dict[str, dict[int, dict[int, UnitValue]]] = {}
    for indicator in indicators:
        coverage = sums.get(indicator.coverage_indicator_id, {}) if indicator.coverage_indicator_id else {}
        years = result.setdefault(indicator.pk, {})
        for yr, units in sums.get(indicator.pk, {}).items():
            years[yr] = {
                orgnr: unit_value(indicator, yr, orgnr, unit_sums, tree, coverage.get(yr, {}).get(orgnr))
                for orgnr, unit_sums in units.items()
                if wanted is None or orgnr in wanted
            }
    return result


def imports_visible_to(user: Any) -> QuerySet[IndicatorImport]:
    """Web imports: the secretariat sees all; a registry member those restricted to one of their registries."""
    imports = IndicatorImport.objects.select_related("uploaded_by", "registry")
    if is_secretariat(user):
        return imports
    return imports.filter(registry_id__in=registry_ids(user))
