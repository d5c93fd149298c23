import base64
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, cast

from django.db.models import OuterRef, QuerySet

from accounts.rules import is_secretariat, registry_ids
from core import listing
from core.listing import ListFilters, ListSpec
from registries.enums import Level, TargetKind, TargetRule, UnitLevel
from registries.models import Indicator
from registries.selectors import NATION, UnitValue, unit_values

from .enums import ProjectState
from .models import Project


def projects_visible_to(user: Any) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    if is_secretariat(user):
        return Project.objects.all()
    return Project.objects.filter(registry_id__in=registry_ids(user))


PROJECT_LIST = ListSpec(
    filters={
        "scheme": "application__call__scheme__code",
        "call": "application__call_id",
        "year": "application__call__year",
        "region": "registry__region",
        "registry": "registry_id",
        "state": "state",
    },
    search=("title", "registry__name", "registry__short_name"),
    sorts={
        "title": "title",
        "registry": "registry__name",
        "scheme": "application__call__scheme__code",
        "year": "application__call__year",
        "amount": "granted_amount_nok",
        "paid": "paid_nok",
        "state": "state",
        "start": "start_date",
        "end": "end_date",
    },
    default_order=("-created_at", "-pk"),
    states=tuple(ProjectState.values),
)


def project_list(user: Any, filters: ListFilters) -> QuerySet[Project]:
    """The projects this user may see, filtered, searched and sorted, each with `paid_nok`: the sum of its paid
    payments (a subquery, so one query for the page whatever its length)."""
    from finance.selectors import paid_total

    qs = (
        projects_visible_to(user)
        .select_related("registry", "application__call__scheme")
        .annotate(paid_nok=paid_total())
    )
    return listing.apply(qs, filters, PROJECT_LIST)


# ---------------------------------------------------------------- target indicators: values over the years


@dataclass(frozen=True)
class UnitRow:
    orgnr: int
    name: str
    cells: list[UnitValue | None]  # one per year of the panel
    latest: UnitValue | None  # the last year with a delivered value


@dataclass(frozen=True)
class TargetPanel:
    """One target indicator of a project: the funded units and the nation over the years (chart and table)."""

    target: Any  # grants.models.ApplicationIndicator
    indicator: Indicator
    years: list[int]
    rows: list[UnitRow]  # the funded units, then the nation
    values: dict[int, dict[int, UnitValue]] = field(repr=False)
    target_line: Decimal | None

    @property
    def units(self) -> list[tuple[int, str]]:
        return [(row.orgnr, row.name) for row in self.rows]


def target_line(target: Any) -> Decimal | None:
    """Where the target lies on the indicator's scale: the value, or the threshold a level or a rule asks for."""
    indicator = target.indicator
    yellow = indicator.level_yellow if indicator.level_yellow is not None else indicator.level_green
    if target.target_kind == TargetKind.VALUE:
        return cast(Decimal | None, target.target_value)
    wants_high = target.target_level == Level.HIGH or target.target_rule == TargetRule.ALL_UNITS_HIGH
    if target.target_kind == TargetKind.LEVEL and not target.target_level:
        return None
    if target.target_kind == TargetKind.RULE and not target.target_rule:
        return None
    return cast(Decimal | None, indicator.level_green if wants_high else yellow)


def _rows(values: dict[int, dict[int, UnitValue]], units: list[tuple[int, str]], years: list[int]) -> list[UnitRow]:
    rows = []
    for orgnr, name in units:
        cells = [values.get(year, {}).get(orgnr) for year in years]
        delivered = [c for c in cells if c is not None]
        rows.append(UnitRow(orgnr, name, cells, delivered[-1] if delivered else None))
    return rows


def target_panels(project: Project, indicator_id: str | None = None) -> list[TargetPanel]:
    """The project's target indicators (or only `indicator_id`) for its participating units and the nation; the
    three queries of unit_values plus two, whatever the number of indicators."""
    targets = list(project.application.indicators.select_related("indicator"))
    if indicator_id is not None:
        targets = [t for t in targets if t.indicator_id == indicator_id]
    if not targets:
        return []
    funded = [(o.orgnr, str(o)) for o in project.application.participating_units.order_by("name", "orgnr")]
    units = [*funded, (NATION, str(UnitLevel.NATION.label))]
    values = unit_values([t.indicator for t in targets], orgnrs={orgnr for orgnr, _name in units})
    panels = []
    for target in targets:
        by_year = values.get(target.indicator_id, {})
        years = sorted(year for year, row in by_year.items() if row)
        panels.append(
            TargetPanel(target, target.indicator, years, _rows(by_year, units, years), by_year, target_line(target))
        )
    return panels


def panel_chart(panel: TargetPanel) -> str:
    from registries.charts import unit_chart

    return unit_chart(panel.indicator, panel.values, panel.units, target=panel.target_line)


def chart_data_uri(svg: str) -> str:
    """The chart as a data: URL, the only kind of URL the PDF renderer fetches."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


# ---------------------------------------------------------------- the secretariat's portfolio of closed projects


@dataclass
class PortfolioGroup:
    scheme: Any
    year: int
    projects: list[dict[str, Any]]  # {"project", "items": [{"target", "outcome"}]}
    reached: int = 0
    evaluated: int = 0  # target indicators whose target could be judged


def portfolio_groups(scope: QuerySet[Project] | None = None) -> list[PortfolioGroup]:
    """Closed projects (of `scope`, default all) by scheme and grant year (the call's year), each target
    indicator's outcome as frozen in the final report (live when none was frozen); a constant number of queries."""
    from .outcomes import frozen, outcomes_for_projects, prefetched

    base = Project.objects.all() if scope is None else scope
    projects = list(
        prefetched(
            base.filter(state=ProjectState.CLOSED).select_related(
                "registry", "application__call__scheme", "final_report"
            )
        ).order_by("application__call__scheme__name", "-application__call__year", "title", "pk")
    )
    kept = {p.pk: frozen(getattr(p, "final_report", None)) for p in projects}
    live = outcomes_for_projects([p for p in projects if kept[p.pk] is None])
    groups: dict[tuple[int, int], PortfolioGroup] = {}
    for project in projects:
        call = project.application.call
        group = groups.setdefault((call.scheme_id, call.year), PortfolioGroup(call.scheme, call.year, []))
        targets = {t.indicator_id: t for t in project.application.indicators.all()}
        outcomes = kept[project.pk] or live.get(project.pk, [])
        items = [{"target": targets.get(o.indicator_id), "outcome": o} for o in outcomes]
        group.projects.append({"project": project, "items": items})
        group.evaluated += sum(o.target_reached is not None for o in outcomes)
        group.reached += sum(o.target_reached is True for o in outcomes)
    return list(groups.values())


# ---------------------------------------------------------------- lapse rules (flagged on the secretariat's dashboard)

# From the comparable fund's terms (DOMAIN.md): the project starts within six months of the grant and is finished
# within three years of it. The grant date is when the project was created (in the grant's transaction).
NOT_STARTED_MONTHS = 6
NOT_FINISHED_MONTHS = 36
OPEN_STATES = [ProjectState.AGREEMENT_PENDING, ProjectState.ACTIVE, ProjectState.FINAL_REPORT_SUBMITTED]


def not_started(today: Any) -> QuerySet[Project]:
    """Granted six months ago or more and not started: the agreement is still not accepted, or the project is active
    but shows no progress at all (no milestone ever reported and no progress report ever submitted)."""
    from django.db.models import Exists, Q

    from .agreements import add_months
    from .enums import MilestoneState, ProgressReportState
    from .models import Milestone, ProgressReport

    reported = Milestone.objects.filter(project=OuterRef("pk")).exclude(state=MilestoneState.PLANNED)
    submitted = ProgressReport.objects.filter(project=OuterRef("pk")).exclude(state=ProgressReportState.DUE)
    idle = Q(state=ProjectState.ACTIVE) & ~Exists(reported) & ~Exists(submitted)
    return (
        Project.objects.filter(created_at__date__lte=add_months(today, -NOT_STARTED_MONTHS))
        .filter(Q(state=ProjectState.AGREEMENT_PENDING) | idle)
        .select_related("registry")
        .order_by("created_at", "pk")
    )


def not_finished(today: Any) -> QuerySet[Project]:
    """Granted three years ago or more and neither closed nor terminated (a submitted final report not yet approved
    counts as not finished: the secretariat still has to close it)."""
    from .agreements import add_months

    return (
        Project.objects.filter(created_at__date__lte=add_months(today, -NOT_FINISHED_MONTHS), state__in=OPEN_STATES)
        .select_related("registry")
        .order_by("created_at", "pk")
    )
