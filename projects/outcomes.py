"""Did the project move the indicator? The outcome of a project for each of its target indicators.

Definition (the same for the project page, the reports, the frozen final-report outcome and the portfolio):

- Funded units: the application's participating units. When none is chosen the nation (orgnr 1) stands for the
  project alone, and there is no difference-in-differences (it would compare the nation with itself).
- Baseline year: the application indicator's `baseline_year`; otherwise the last year with data before the
  project's start year. Follow-up year: the latest year with data up to the target date's year (otherwise up to the
  project's end year; otherwise any year) and after the baseline year. A year "has data" when at least one funded
  unit has a delivered denominator in it. With no such year the outcome is "not measurable yet", with the reason.
- Per unit: the value and goal-attainment level before and after, as every page shows them: a value with a
  denominator under the indicator's minimum is suppressed ("fewer than N") and not judged.
- The funded units combined: the sum of their numerators over the sum of their denominators, before and after,
  over the units with data in both years (so a unit that starts or stops delivering does not move the result by
  itself); the combined value is suppressed like any other under the minimum denominator. change = after − before.
  The national change likewise (orgnr 1). Difference-in-differences (DiD) = change − national change; the funded
  units did "better than the nation" when DiD × (+1 higher-is-better, −1 lower-is-better) > 0.
- Target reached: kind value → the combined value after ≥ the target (higher is better) or ≤ (lower is better);
  kind level → the combined level after is at least the target level (high > moderate > low); rule no_unit_low →
  no judged unit is at low after; rule all_units_high → every judged unit is at high after. None (not judged)
  when it cannot be told: no follow-up, a suppressed or missing value, no thresholds or direction, no judged unit.

`evaluate` is pure (Decimals in, Decimals out, no database); `project_outcomes` and `outcomes_for_projects` load
what it needs through `registries.selectors.unit_values`. `to_json`/`from_json` give the frozen form kept in
`FinalReport.outcome` (Decimals as strings).
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _

from registries.enums import Direction, Level, TargetKind, TargetRule
from registries.models import Indicator
from registries.selectors import NATION, Sums, Tree, UnitValue, nested_units, total, unit_values

LEVEL_RANK = {Level.LOW: 0, Level.MODERATE: 1, Level.HIGH: 2}

# Why an outcome cannot be measured yet: codes in the frozen JSON, words when shown (in the reader's language).
NO_START_YEAR = "no_start_year"
NO_BASELINE = "no_baseline_data"
NO_FOLLOWUP = "no_followup_data"
REASONS = {
    NO_START_YEAR: _("The project has no start year and no baseline year is given."),
    NO_BASELINE: _("There are no data for the baseline year."),
    NO_FOLLOWUP: _("There are no data after the baseline year yet."),
}


@dataclass(frozen=True)
class Target:
    kind: str = TargetKind.VALUE
    value: Decimal | None = None
    level: str = ""
    rule: str = ""
    baseline_year: int | None = None
    target_year: int | None = None

    @classmethod
    def of(cls, target: Any) -> "Target":
        """From an ApplicationIndicator."""
        return cls(
            kind=target.target_kind,
            value=target.target_value,
            level=target.target_level,
            rule=target.target_rule,
            baseline_year=target.baseline_year,
            target_year=target.target_date.year if target.target_date else None,
        )


@dataclass(frozen=True)
class Cell:
    """One value as shown (the same attributes as a UnitValue, so `{% unit_value %}` renders either)."""

    value: Decimal | None  # None when suppressed
    attainment: str | None
    suppressed: bool
    min_denominator: int
    coverage: Decimal | None = None
    low_coverage: bool = False


@dataclass(frozen=True)
class UnitOutcome:
    orgnr: int
    name: str
    before: Cell | None  # None: no data that year
    after: Cell | None


@dataclass(frozen=True)
class Outcome:
    indicator_id: str
    title: str
    measure_unit: str
    direction: int | None
    nation_only: bool
    reason: str = ""  # a key of REASONS; "" when measurable
    baseline_year: int | None = None
    followup_year: int | None = None
    units: tuple[UnitOutcome, ...] = ()
    combined_before: Cell | None = None
    combined_after: Cell | None = None
    change: Decimal | None = None
    national_before: Cell | None = None
    national_after: Cell | None = None
    national_change: Decimal | None = None
    did: Decimal | None = None
    better_than_nation: bool | None = None
    target_reached: bool | None = None

    @property
    def measurable(self) -> bool:
        return not self.reason

    @property
    def reason_text(self) -> str:
        return str(REASONS.get(self.reason, "")) if self.reason else ""


# ---------------------------------------------------------------- the pure evaluation


def _has_data(row: Mapping[int, UnitValue], units: Iterable[int]) -> bool:
    return any(u in row and row[u].denominator > 0 for u in units)


def _cell(uv: UnitValue | None) -> Cell | None:
    if uv is None:
        return None
    return Cell(uv.value, uv.attainment, uv.suppressed, uv.min_denominator, uv.coverage, uv.low_coverage)


def _sums_cell(indicator: Indicator, sums: Sums | None) -> tuple[Cell | None, Decimal | None]:
    """The cell of a sum of units and its raw value (None when suppressed or empty)."""
    if sums is None or not sums.denominator:
        return None, None
    suppressed = sums.denominator < indicator.min_denominator
    raw = None if suppressed else sums.value
    return Cell(raw, None if suppressed else indicator.level_for(raw), suppressed, indicator.min_denominator), raw


def _judged(cell: Cell | None) -> str | None:
    return cell.attainment if cell is not None and not cell.suppressed else None


Values = Mapping[int, Mapping[int, UnitValue]]


def _years(
    values: Values, units: Sequence[int], target: Target, start: int | None, end: int | None
) -> tuple[str, int | None, int | None]:
    with_data = sorted(y for y, row in values.items() if _has_data(row, units))
    if target.baseline_year is not None:
        baseline: int | None = target.baseline_year
        if baseline not in with_data:
            return NO_BASELINE, baseline, None
    elif start is None:
        return NO_START_YEAR, None, None
    else:
        before = [y for y in with_data if y < start]
        if not before:
            return NO_BASELINE, None, None
        baseline = before[-1]
    limit = target.target_year if target.target_year is not None else end
    after = [y for y in with_data if y > baseline and (limit is None or y <= limit)]
    return (NO_FOLLOWUP, baseline, None) if not after else ("", baseline, after[-1])


def target_reached(
    indicator: Indicator, target: Target, combined_after: Cell | None, unit_levels: Sequence[str | None]
) -> bool | None:
    if target.kind == TargetKind.VALUE:
        after = combined_after.value if combined_after is not None else None
        if after is None or target.value is None or indicator.direction is None:
            return None
        higher = indicator.direction == Direction.HIGHER_IS_BETTER
        return after >= target.value if higher else after <= target.value
    if target.kind == TargetKind.LEVEL:
        level = _judged(combined_after)
        if level is None or target.level not in LEVEL_RANK:
            return None
        return LEVEL_RANK[level] >= LEVEL_RANK[target.level]  # type: ignore[index]
    judged = [lvl for lvl in unit_levels if lvl is not None]
    if not judged:
        return None
    if target.rule == TargetRule.NO_UNIT_LOW:
        return Level.LOW not in judged
    if target.rule == TargetRule.ALL_UNITS_HIGH:
        return all(lvl == Level.HIGH for lvl in judged)
    return None


def _combined(
    indicator: Indicator, values: Mapping[int, Mapping[int, UnitValue]], units: Sequence[int], years: tuple[int, int]
) -> tuple[Cell | None, Cell | None, Decimal | None]:
    first, last = values.get(years[0], {}), values.get(years[1], {})
    both = [u for u in units if u in first and u in last]
    before = total(Sums(first[u].numerator, first[u].denominator) for u in both)
    after = total(Sums(last[u].numerator, last[u].denominator) for u in both)
    cell_before, raw_before = _sums_cell(indicator, before if both else None)
    cell_after, raw_after = _sums_cell(indicator, after if both else None)
    change = raw_after - raw_before if raw_before is not None and raw_after is not None else None
    return cell_before, cell_after, change


def evaluate(
    indicator: Indicator,
    target: Target,
    values: Mapping[int, Mapping[int, UnitValue]],
    *,
    units: Sequence[int],
    start_year: int | None,
    end_year: int | None,
    names: Mapping[int, str] | None = None,
    combined: Sequence[int] | None = None,
) -> Outcome:
    """The outcome for one target indicator. `values`: year → orgnr → UnitValue (funded units and the nation);
    `combined`: the units to sum (default `units`; leave out a hospital whose health trust is funded too)."""
    nation_only = not units
    units = list(units) or [NATION]
    names = names or {}
    head: dict[str, Any] = {
        "indicator_id": indicator.pk,
        "title": indicator.title,
        "measure_unit": indicator.measure_unit,
        "direction": indicator.direction,
        "nation_only": nation_only,
    }
    reason, baseline, followup = _years(values, units, target, start_year, end_year)
    if reason or baseline is None or followup is None:
        return Outcome(**head, reason=reason or NO_FOLLOWUP, baseline_year=baseline)
    rows = [values.get(baseline, {}), values.get(followup, {})]
    unit_rows = tuple(UnitOutcome(u, names.get(u, str(u)), _cell(rows[0].get(u)), _cell(rows[1].get(u))) for u in units)
    combined_before, combined_after, change = _combined(
        indicator, values, list(combined) if combined is not None else units, (baseline, followup)
    )
    nation = [_cell(rows[0].get(NATION)), _cell(rows[1].get(NATION))]
    national = [c.value if c is not None else None for c in nation]
    national_change = national[1] - national[0] if national[0] is not None and national[1] is not None else None
    did = change - national_change if not nation_only and change is not None and national_change is not None else None
    sign = 1 if indicator.direction == Direction.HIGHER_IS_BETTER else -1
    return Outcome(
        **head,
        baseline_year=baseline,
        followup_year=followup,
        units=unit_rows,
        combined_before=combined_before,
        combined_after=combined_after,
        change=change,
        national_before=nation[0],
        national_after=nation[1],
        national_change=national_change,
        did=did,
        better_than_nation=None if did is None or indicator.direction is None else did * sign > 0,
        target_reached=target_reached(indicator, target, combined_after, [_judged(u.after) for u in unit_rows]),
    )


# ---------------------------------------------------------------- the frozen form (FinalReport.outcome)


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _undec(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _cell_json(cell: Cell | None) -> dict[str, Any] | None:
    if cell is None:
        return None
    return {
        "value": _dec(cell.value),
        "level": cell.attainment,
        "suppressed": cell.suppressed,
        "min_denominator": cell.min_denominator,
        "coverage": _dec(cell.coverage),
        "low_coverage": cell.low_coverage,
    }


def _cell_from(data: dict[str, Any] | None) -> Cell | None:
    if data is None:
        return None
    return Cell(
        _undec(data["value"]),
        data["level"],
        data["suppressed"],
        data["min_denominator"],
        _undec(data.get("coverage")),
        bool(data.get("low_coverage")),
    )


CELLS = ("combined_before", "combined_after", "national_before", "national_after")
NUMBERS = ("change", "national_change", "did")
PLAIN = (
    "indicator_id",
    "title",
    "measure_unit",
    "direction",
    "nation_only",
    "reason",
    "baseline_year",
    "followup_year",
    "better_than_nation",
    "target_reached",
)


def to_json(outcome: Outcome) -> dict[str, Any]:
    return {
        **{name: getattr(outcome, name) for name in PLAIN},
        **{name: _cell_json(getattr(outcome, name)) for name in CELLS},
        **{name: _dec(getattr(outcome, name)) for name in NUMBERS},
        "units": [
            {"orgnr": u.orgnr, "name": u.name, "before": _cell_json(u.before), "after": _cell_json(u.after)}
            for u in outcome.units
        ],
    }


def from_json(data: dict[str, Any]) -> Outcome:
    fields: dict[str, Any] = {name: data.get(name) for name in PLAIN}
    fields.update({name: _cell_from(data.get(name)) for name in CELLS})
    fields.update({name: _undec(data.get(name)) for name in NUMBERS})
    fields["reason"] = fields["reason"] or ""
    return Outcome(
        **fields,
        units=tuple(
            UnitOutcome(u["orgnr"], u["name"], _cell_from(u["before"]), _cell_from(u["after"])) for u in data["units"]
        ),
    )


def freeze(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    return {"indicators": [to_json(o) for o in outcomes]}


def frozen(report: Any) -> list[Outcome] | None:
    """The outcome frozen in a FinalReport, or None when none was frozen."""
    if not report or not report.outcome_at or "indicators" not in (report.outcome or {}):
        return None
    return [from_json(item) for item in report.outcome["indicators"]]


# ---------------------------------------------------------------- loading


def _year(day: Any) -> int | None:
    return day.year if day else None


def outcomes_for_projects(projects: Sequence[Any], *, tree: Tree | None = None) -> dict[int, list[Outcome]]:
    """project pk → the live outcome of each target indicator. The projects must come with
    `application__indicators__indicator` and `application__participating_units` prefetched: then this runs the
    three queries of unit_values for all of them together."""
    tree = tree or Tree.load()
    targets = {p.pk: list(p.application.indicators.all()) for p in projects}
    units = {p.pk: list(p.application.participating_units.all()) for p in projects}
    indicators = {t.indicator_id: t.indicator for ts in targets.values() for t in ts}
    wanted = {u.orgnr for us in units.values() for u in us} | {NATION}
    values = unit_values(indicators.values(), orgnrs=wanted, tree=tree) if indicators else {}
    result = {}
    for project in projects:
        orgnrs = [u.orgnr for u in units[project.pk]]
        skip = nested_units(orgnrs, tree)
        result[project.pk] = [
            evaluate(
                t.indicator,
                Target.of(t),
                values.get(t.indicator_id, {}),
                units=orgnrs,
                start_year=_year(project.start_date),
                end_year=_year(project.end_date),
                names={u.orgnr: str(u) for u in units[project.pk]},
                combined=[u for u in orgnrs if u not in skip],
            )
            for t in targets[project.pk]
        ]
    return result


def prefetched(queryset: Any) -> Any:
    return queryset.prefetch_related("application__indicators__indicator", "application__participating_units")


def project_outcomes(project: Any) -> list[Outcome]:
    from .models import Project

    loaded = prefetched(Project.objects.filter(pk=project.pk)).get()
    return outcomes_for_projects([loaded])[project.pk]


def report_outcomes(project: Any, report: Any) -> tuple[list[Outcome], datetime | None]:
    """What a final report shows: the frozen outcome when there is one, else the live one (and no time)."""
    kept = frozen(report)
    if kept is not None:
        return kept, report.outcome_at
    return project_outcomes(project), None
