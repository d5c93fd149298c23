"""Portfolio statistics by call year and scheme: funding, success rate, days to decision, targets reached.

Definitions (the statistics page states them too):

- An application counts once it is handed in (`selectors.handed_in`: never a draft, nor a draft withdrawn before
  submission). Its year is its call's year. History imported from the 2021 report counts like any other.
- Success rate = granted / decided, where decided = granted + rejected: withdrawn, ineligible and undecided
  applications are not decided. None when nothing was decided.
- Requested: the sum of the handed-in applications' requested amounts. Granted: the sum of the granted amounts of
  the granted ones; a grant whose amount is not stated (`granted_amount_nok` None, from the 2021 report) is
  counted, never added, and reported as such.
- Days to decision: `decided_at` − `submitted_at` of granted and rejected applications, in days. `submitted_at` is
  the last submission (a resubmission after requested changes starts the clock again). Imported history has no
  submission time and is left out.
- Target reached, per closed project: its target indicators' outcomes as frozen in the final report, read by
  `projects.selectors.portfolio_groups` (the Outcomes page's reading). The project reached its target when every
  target indicator reached it, did not when any did not, and cannot be judged otherwise (no target indicator, or
  one that cannot be judged and none that failed). Share = reached / judged.

Each function runs one query over the applications it is given (the target share the constant number of
portfolio_groups); the caller decides the scope (`scope_for`).
"""

import statistics as stats
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db.models import Count, DurationField, ExpressionWrapper, F, Q, QuerySet, Sum

from accounts.rules import is_secretariat, registry_ids
from projects.models import Project
from projects.selectors import portfolio_groups, projects_visible_to

from .enums import ApplicationState
from .models import Application, Scheme
from .selectors import applications_visible_to, handed_in

S = ApplicationState
DECIDED = [S.GRANTED, S.REJECTED]
ONE_DECIMAL = Decimal("0.1")
SECONDS_PER_DAY = 86400


@dataclass(frozen=True)
class Filters:
    scheme: str = ""  # a scheme's code; "" for every scheme
    year_from: int | None = None
    year_to: int | None = None


@dataclass(frozen=True)
class Scope:
    """What a user's statistics are built from: the whole portfolio for the secretariat, else their registries'."""

    applications: QuerySet[Application]
    projects: QuerySet[Project]
    portfolio_wide: bool


def scope_for(user: Any) -> Scope:
    """Call only for a user who passes rules.can_view_statistics."""
    if is_secretariat(user):
        return Scope(Application.objects.filter(handed_in()), projects_visible_to(user), True)
    own = Application.objects.filter(registry_id__in=registry_ids(user))
    # The visibility filter on top of the registry filter: never a figure from an application this user cannot open.
    return Scope(applications_visible_to(user, own).filter(handed_in()), projects_visible_to(user), False)


def _filtered(qs: QuerySet[Any], filters: Filters, prefix: str) -> QuerySet[Any]:
    if filters.scheme:
        qs = qs.filter(**{f"{prefix}call__scheme__code": filters.scheme})
    if filters.year_from is not None:
        qs = qs.filter(**{f"{prefix}call__year__gte": filters.year_from})
    if filters.year_to is not None:
        qs = qs.filter(**{f"{prefix}call__year__lte": filters.year_to})
    return qs


SCHEME_FIELDS = ("call__scheme_id", "call__scheme__code", "call__scheme__name", "call__scheme__name_en")


def _scheme(row: dict[str, Any]) -> Scheme:
    """An unsaved Scheme from the query's columns, for its localized name (no query of its own)."""
    return Scheme(
        pk=row["call__scheme_id"],
        code=row["call__scheme__code"],
        name=row["call__scheme__name"],
        name_en=row["call__scheme__name_en"],
    )


def _order(scheme: Scheme) -> tuple[str, int]:
    return (scheme.localized_name, scheme.pk)


def percent(share: Fraction | None) -> Decimal | None:
    if share is None:
        return None
    return (Decimal(share.numerator) * 100 / Decimal(share.denominator)).quantize(ONE_DECIMAL, ROUND_HALF_UP)


# ---------------------------------------------------------------- funding and success rate


@dataclass(frozen=True)
class FundingRow:
    year: int
    scheme: Scheme
    handed_in: int
    granted: int
    rejected: int
    requested_nok: Decimal
    granted_nok: Decimal
    amount_not_stated: int  # granted with no amount: counted in `granted`, not added to `granted_nok`

    @property
    def decided(self) -> int:
        return self.granted + self.rejected

    @property
    def success_rate(self) -> Fraction | None:
        return Fraction(self.granted, self.decided) if self.decided else None

    @property
    def success_percent(self) -> Decimal | None:
        return percent(self.success_rate)


def funding(applications: QuerySet[Application], filters: Filters = Filters()) -> list[FundingRow]:
    """Per call year and scheme, in one query: handed in, granted, rejected, requested and granted amounts."""
    granted = Q(state=S.GRANTED)
    rows = (
        _filtered(applications, filters, "")
        .values("call__year", *SCHEME_FIELDS)
        .annotate(
            n=Count("pk"),
            n_granted=Count("pk", filter=granted),
            n_rejected=Count("pk", filter=Q(state=S.REJECTED)),
            requested=Sum("requested_amount_nok"),
            granted_sum=Sum("granted_amount_nok", filter=granted),
            not_stated=Count("pk", filter=granted & Q(granted_amount_nok__isnull=True)),
        )
        .order_by()
    )
    result = [
        FundingRow(
            year=row["call__year"],
            scheme=_scheme(row),
            handed_in=row["n"],
            granted=row["n_granted"],
            rejected=row["n_rejected"],
            requested_nok=row["requested"] or Decimal("0"),
            granted_nok=row["granted_sum"] or Decimal("0"),
            amount_not_stated=row["not_stated"],
        )
        for row in rows
    ]
    return sorted(result, key=lambda r: (r.year, *_order(r.scheme)))


# ---------------------------------------------------------------- days from submission to decision


@dataclass(frozen=True)
class DaysRow:
    year: int
    scheme: Scheme | None  # None: every scheme of that year together
    count: int
    median: Decimal
    mean: Decimal


def _days(duration: timedelta) -> Decimal:
    seconds = Decimal(duration.days * SECONDS_PER_DAY + duration.seconds) + Decimal(duration.microseconds) / 10**6
    return seconds / SECONDS_PER_DAY


def _days_row(year: int, scheme: Scheme | None, days: Sequence[Decimal]) -> DaysRow:
    median = Decimal(stats.median(days)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    mean = (sum(days, Decimal("0")) / len(days)).quantize(ONE_DECIMAL, ROUND_HALF_UP)
    return DaysRow(year, scheme, len(days), median, mean)


@dataclass(frozen=True)
class DaysToDecision:
    by_scheme: list[DaysRow]  # per year and scheme
    by_year: list[DaysRow]  # per year, every scheme together


def days_to_decision(applications: QuerySet[Application], filters: Filters = Filters()) -> DaysToDecision:
    """Median and mean days from submission to decision of the decided applications with both times; one query
    (the durations are computed in the database, the medians here)."""
    duration = ExpressionWrapper(F("decided_at") - F("submitted_at"), output_field=DurationField())
    rows = (
        _filtered(applications, filters, "")
        .filter(state__in=DECIDED, submitted_at__isnull=False, decided_at__isnull=False)
        .annotate(duration=duration)
        .values("call__year", *SCHEME_FIELDS, "duration")
        .order_by()
    )
    schemes: dict[int, Scheme] = {}
    by_scheme: dict[tuple[int, int], list[Decimal]] = defaultdict(list)
    by_year: dict[int, list[Decimal]] = defaultdict(list)
    for row in rows:
        scheme = schemes.setdefault(row["call__scheme_id"], _scheme(row))
        days = _days(row["duration"])
        by_scheme[(row["call__year"], scheme.pk)].append(days)
        by_year[row["call__year"]].append(days)
    per_scheme = [_days_row(year, schemes[pk], days) for (year, pk), days in by_scheme.items()]
    return DaysToDecision(
        by_scheme=sorted(per_scheme, key=lambda r: (r.year, *_order(r.scheme))),  # type: ignore[arg-type]
        by_year=[_days_row(year, None, by_year[year]) for year in sorted(by_year)],
    )


# ---------------------------------------------------------------- closed projects that reached their target


@dataclass(frozen=True)
class TargetRow:
    year: int
    scheme: Scheme
    closed: int
    reached: int
    not_reached: int

    @property
    def judged(self) -> int:
        return self.reached + self.not_reached

    @property
    def not_judged(self) -> int:
        return self.closed - self.judged

    @property
    def share(self) -> Fraction | None:
        return Fraction(self.reached, self.judged) if self.judged else None

    @property
    def share_percent(self) -> Decimal | None:
        return percent(self.share)


def project_reached(verdicts: Iterable[bool | None]) -> bool | None:
    """A project's verdict from its target indicators' `target_reached`: any False is False, all True is True."""
    verdicts = list(verdicts)
    if any(v is False for v in verdicts):
        return False
    return True if verdicts and all(v is True for v in verdicts) else None


def targets_reached(projects: QuerySet[Project], filters: Filters = Filters()) -> list[TargetRow]:
    """Per grant year and scheme, the closed projects and how many reached their target (portfolio_groups)."""
    rows = []
    for group in portfolio_groups(_filtered(projects, filters, "application__")):
        verdicts = [project_reached(i["outcome"].target_reached for i in p["items"]) for p in group.projects]
        rows.append(TargetRow(group.year, group.scheme, len(verdicts), verdicts.count(True), verdicts.count(False)))
    return sorted(rows, key=lambda r: (r.year, *_order(r.scheme)))


# ---------------------------------------------------------------- the page


@dataclass
class Statistics:
    funding: list[FundingRow]
    days: DaysToDecision
    targets: list[TargetRow]
    totals: dict[str, int] = field(default_factory=dict)


def gather(scope: Scope, filters: Filters) -> Statistics:
    rows = funding(scope.applications, filters)
    days = days_to_decision(scope.applications, filters)
    decided = sum(r.decided for r in rows)
    totals = {
        "amount_not_stated": sum(r.amount_not_stated for r in rows),
        # Decided but without a submission time (imported history): not in the days to decision.
        "untimed": decided - sum(r.count for r in days.by_year),
    }
    return Statistics(rows, days, targets_reached(scope.projects, filters), totals)
