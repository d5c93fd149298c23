"""The dashboard's panels, one function per panel, each returning plain rows in a fixed number of queries.

Who sees what: the secretariat the portfolio (applications per call and state, budget per scheme and year, what is
overdue, projects at risk); a registry member only their registries' applications and projects; a reviewer only
their own assignments (through applications_visible_to, so nothing of an application they are conflicted on); a
decider what awaits a decision. Every figure comes with the query string of the list behind it (the list filters
`scheme`, `call`, `year`, `registry`, `state`).
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from accounts.rules import committee_scheme_ids
from finance.enums import PaymentState
from finance.models import Payment
from grants.enums import AWAITING_DECISION, HANDED_IN, ApplicationState, CallState
from grants.models import Application, Call, Scheme
from grants.selectors import applications_visible_to
from projects.enums import MilestoneState, ProgressReportState, ProjectState
from projects.models import Milestone, ProgressReport, Project
from projects.outcomes import outcomes_for_projects, prefetched
from projects.selectors import OPEN_STATES, not_finished, not_started
from registries.enums import Direction
from registries.models import Registry
from reviews.enums import ReviewState
from reviews.models import Assignment, Conflict, Review

S = ApplicationState
LIMIT = 20  # rows shown in each list; the list pages behind the figures hold the rest
OPEN_MILESTONE = [MilestoneState.PLANNED, MilestoneState.REVISION_REQUESTED]
OPEN_REPORT = [ProgressReportState.DUE, ProgressReportState.RETURNED]


def query(**params: Any) -> str:
    """The query string of a filtered list (empty values left out)."""
    return urlencode({k: v for k, v in params.items() if v not in (None, "")})


# ---------------------------------------------------------------- counts of applications by state


@dataclass(frozen=True)
class Cell:
    n: int
    query: str  # for grants:application_list


@dataclass(frozen=True)
class CountRow:
    label: str
    url: str  # the row's own page (the call, the registry)
    total: Cell
    cells: list[Cell]


@dataclass(frozen=True)
class CountTable:
    columns: list[tuple[str, str]]  # (state, label)
    rows: list[CountRow]
    totals: list[Cell] = field(default_factory=list)  # every visible application, all calls and years

    @property
    def grand(self) -> Cell:
        return Cell(sum(c.n for c in self.totals), "")


def _counts(qs: Any, key: str) -> dict[Any, dict[str, int]]:
    result: dict[Any, dict[str, int]] = defaultdict(dict)
    for row_key, state, n in qs.order_by().values_list(key, "state").annotate(n=Count("id")):
        result[row_key][state] = n
    return result


def _row(label: str, url: str, counts: dict[str, int], columns: Sequence[str], **params: Any) -> CountRow:
    cells = [Cell(counts.get(state, 0), query(**params, state=state)) for state in columns]
    return CountRow(label, url, Cell(sum(counts.values()), query(**params)), cells)


def applications_per_call(user: Any, today: date) -> CountTable:
    """One row per call that is open or has applications handed in this year or last (the call's year), one
    column per handed-in state; three queries."""
    visible = applications_visible_to(user).filter(state__in=HANDED_IN)
    recent = Q(year__in=[today.year, today.year - 1]) & Q(Exists(visible.filter(call=OuterRef("pk"))))
    calls = list(Call.objects.filter(Q(state=CallState.OPEN) | recent).order_by("-year", "title", "pk"))
    counts = _counts(visible.filter(call__in=calls), "call_id")
    columns = [(s.value, str(s.label)) for s in S if s in HANDED_IN]
    states = [value for value, _label in columns]
    rows = [
        _row(c.title, reverse("grants:call_detail", args=[c.pk]), counts.get(c.pk, {}), states, call=c.pk)
        for c in calls
    ]
    everything = dict(visible.order_by().values_list("state").annotate(n=Count("id")))
    totals = [Cell(everything.get(s, 0), query(state=s)) for s in states]
    return CountTable(columns, rows, totals)


def applications_per_registry(user: Any, own: Iterable[int]) -> CountTable:
    """The member's registries, one row each, with a column for each state any of them has; two queries."""
    registries = list(Registry.objects.filter(pk__in=list(own)).order_by("name"))
    counts = _counts(applications_visible_to(user).filter(registry__in=registries), "registry_id")
    present = {state for by_state in counts.values() for state in by_state}
    columns = [(s.value, str(s.label)) for s in S if s in present]
    states = [value for value, _label in columns]
    rows = [
        _row(r.label, reverse("registries:registry_detail", args=[r.pk]), counts.get(r.pk, {}), states, registry=r.pk)
        for r in registries
    ]
    return CountTable(columns, rows)


# ---------------------------------------------------------------- money per scheme and year


@dataclass(frozen=True)
class BudgetRow:
    scheme: str
    code: str
    year: int
    available: Decimal
    recommended: Decimal
    granted: Decimal
    paid: Decimal

    @property
    def query(self) -> str:
        return query(scheme=self.code, year=self.year)

    @property
    def q_recommended(self) -> str:
        return query(scheme=self.code, year=self.year, state=S.RECOMMENDED)

    @property
    def q_granted(self) -> str:
        return query(scheme=self.code, year=self.year, state=S.GRANTED)

    @property
    def q_paid(self) -> str:
        return query(scheme=self.code, year=self.year, state=PaymentState.PAID)


ZERO = Decimal("0.00")


def budget_per_scheme_and_year() -> list[BudgetRow]:
    """Per scheme and call year: the calls' budgets, the proposed amounts of the applications recommended (awaiting
    the decision), the amounts granted and the payments paid; four queries."""
    available = {
        (r["scheme_id"], r["year"]): r["total"]
        for r in Call.objects.order_by().values("scheme_id", "year").annotate(total=Sum("budget_nok"))
    }
    decided = (
        Application.objects.filter(state__in=[S.RECOMMENDED, S.GRANTED])
        .order_by()
        .values("call__scheme_id", "call__year")
        .annotate(
            recommended=Sum("proposed_amount_nok", filter=Q(state=S.RECOMMENDED)),
            granted=Sum("granted_amount_nok", filter=Q(state=S.GRANTED)),
        )
    )
    amounts = {(r["call__scheme_id"], r["call__year"]): r for r in decided}
    paid = {
        (r["project__application__call__scheme_id"], r["project__application__call__year"]): r["total"]
        for r in Payment.objects.filter(state=PaymentState.PAID)
        .order_by()
        .values("project__application__call__scheme_id", "project__application__call__year")
        .annotate(total=Sum("amount_nok"))
    }
    schemes = Scheme.objects.in_bulk({scheme_id for scheme_id, _year in available})
    rows = [
        BudgetRow(
            str(schemes[scheme_id]),
            schemes[scheme_id].code,
            year,
            total,
            amounts.get((scheme_id, year), {}).get("recommended") or ZERO,
            amounts.get((scheme_id, year), {}).get("granted") or ZERO,
            paid.get((scheme_id, year)) or ZERO,
        )
        for (scheme_id, year), total in available.items()
    ]
    return sorted(rows, key=lambda r: (-r.year, r.scheme))


# ---------------------------------------------------------------- overdue and at risk (the secretariat)


@dataclass(frozen=True)
class Overdue:
    title: str  # the project or application
    url: str
    what: str
    registry: str
    due: date
    days: int  # days overdue


@dataclass(frozen=True)
class Capped:
    rows: list[Any]
    more: bool  # there are more than LIMIT


def _capped(rows: Iterable[Any]) -> Capped:
    rows = list(rows)
    return Capped(rows[:LIMIT], len(rows) > LIMIT)


def overdue_progress_reports(today: date) -> Capped:
    reports = (
        ProgressReport.objects.filter(
            state=ProgressReportState.DUE, due_date__lt=today, project__state=ProjectState.ACTIVE
        )
        .select_related("project__registry")
        .order_by("due_date", "pk")[: LIMIT + 1]
    )
    return _capped(
        Overdue(
            r.project.title,
            reverse("projects:progress_report", args=[r.project_id, r.pk]),
            str(_("Progress report {number}")).format(number=r.number),
            str(r.project.registry),
            r.due_date,
            (today - r.due_date).days,
        )
        for r in reports
    )


def overdue_reviews(today: date) -> Capped:
    """Assignments of applications still in review whose deadline has passed with no submitted review."""
    submitted = Review.objects.filter(
        application=OuterRef("application"), reviewer=OuterRef("reviewer"), state=ReviewState.SUBMITTED
    )
    assignments = (
        Assignment.objects.filter(deadline__lt=today, application__state=S.IN_REVIEW)
        .exclude(Exists(submitted))
        .select_related("application__registry", "reviewer")
        .order_by("deadline", "pk")[: LIMIT + 1]
    )
    return _capped(
        Overdue(
            a.application.title,
            reverse("grants:application_detail", args=[a.application_id]),
            str(a.reviewer),
            str(a.application.registry),
            a.deadline,
            (today - a.deadline).days,
        )
        for a in assignments
        if a.deadline is not None
    )


def overdue_final_reports(today: date) -> Capped:
    """Active projects past their final report's due date (an active project has not submitted it, or had it
    returned): the same deadline projects.reminders chases."""
    projects = (
        Project.objects.filter(state=ProjectState.ACTIVE, final_report_due__lt=today)
        .select_related("registry")
        .order_by("final_report_due", "pk")[: LIMIT + 1]
    )
    return _capped(
        Overdue(
            p.title,
            reverse("projects:project_detail", args=[p.pk]),
            str(_("Final report")),
            str(p.registry),
            p.final_report_due,
            (today - p.final_report_due).days,
        )
        for p in projects
        if p.final_report_due is not None
    )


def late_milestones(today: date) -> Capped:
    milestones = (
        Milestone.objects.filter(project__state=ProjectState.ACTIVE, due_date__lt=today, state__in=OPEN_MILESTONE)
        .select_related("project__registry")
        .order_by("due_date", "pk")[: LIMIT + 1]
    )
    return _capped(
        Overdue(
            m.project.title,
            reverse("projects:project_detail", args=[m.project_id]),
            m.title,
            str(m.project.registry),
            m.due_date,
            (today - m.due_date).days,
        )
        for m in milestones
    )


@dataclass(frozen=True)
class WrongWay:
    project_pk: int
    title: str
    registry: str
    outcome: Any  # projects.outcomes.Outcome: indicator, years, combined before and after, change


def moving_the_wrong_way() -> Capped:
    """Active projects whose target indicator has moved away from the goal: the funded units' combined value in
    the latest year with data is worse than in the baseline year, given the indicator's direction (the same
    baseline and follow-up years as the project's outcome, projects.outcomes). Every active project's target
    indicators are loaded together: a fixed number of queries."""
    projects = list(
        prefetched(
            Project.objects.filter(state=ProjectState.ACTIVE, application__indicators__isnull=False)
            .distinct()
            .select_related("registry", "application")
            .order_by("title", "pk")
        )
    )
    outcomes = outcomes_for_projects(projects) if projects else {}
    rows = []
    for project in projects:
        for outcome in outcomes.get(project.pk, []):
            if outcome.change is None or outcome.direction is None:
                continue
            sign = 1 if outcome.direction == Direction.HIGHER_IS_BETTER else -1
            if outcome.change * sign < 0:
                rows.append(WrongWay(project.pk, project.title, str(project.registry), outcome))
    return _capped(rows)


def secretariat_panels(user: Any, today: date) -> dict[str, Any]:
    table = applications_per_call(user, today)
    return {
        "per_call": table,
        # (state, label, count) over every call and year: the same figures as the table's last row
        "state_counts": [(v, label, c.n) for (v, label), c in zip(table.columns, table.totals, strict=True)],
        "budget": budget_per_scheme_and_year(),
        "overdue_reports": overdue_progress_reports(today),
        "overdue_reviews": overdue_reviews(today),
        "overdue_final_reports": overdue_final_reports(today),
        "late_milestones": late_milestones(today),
        "not_started": not_started(today)[:LIMIT],
        "not_finished": not_finished(today)[:LIMIT],
        "wrong_way": moving_the_wrong_way(),
        "to_screen": Application.objects.filter(state=S.SUBMITTED)
        .select_related("registry", "call")
        .order_by("submitted_at")[:LIMIT],
        "in_review": Application.objects.filter(state=S.IN_REVIEW)
        .select_related("registry", "call")
        .annotate(
            n_reviews=Count("reviews", filter=Q(reviews__state=ReviewState.SUBMITTED), distinct=True),
            n_assigned=Count("assignments", distinct=True),
        )
        .order_by("pk")[:LIMIT],
        "reports_waiting": Milestone.objects.filter(state=MilestoneState.REPORTED)
        .select_related("project", "project__registry")
        .order_by("pk")[:LIMIT],
        "final_reports_waiting": Project.objects.filter(state=ProjectState.FINAL_REPORT_SUBMITTED)
        .select_related("registry")
        .order_by("pk")[:LIMIT],
        "calls_closing": Call.objects.filter(
            state=CallState.OPEN, closes_at__lt=timezone.now() + timedelta(days=14)
        ).select_related("scheme"),
    }


# ---------------------------------------------------------------- the registry member


NEXT_STEP = {
    S.DRAFT: _("Complete it and submit it before the call's deadline"),
    S.CHANGES_REQUESTED: _("Make the requested changes and submit it again"),
    S.SUBMITTED: _("The secretariat screens it"),
    S.IN_REVIEW: _("The expert group reviews it"),
    S.ASSESSED: _("The expert group makes its recommendation"),
    S.RECOMMENDED: _("The decision body decides"),
    S.NOT_RECOMMENDED: _("The decision body decides"),
    S.GRANTED: _("Follow up the project"),
}


@dataclass(frozen=True)
class ApplicationRow:
    pk: int
    title: str
    call: str
    registry: str
    state: str
    state_label: str
    next_step: str
    url: str  # where the next step is taken


def next_step(application: Application) -> tuple[str, str]:
    """What happens next to the application, and the page where it happens."""
    page = reverse("grants:application_detail", args=[application.pk])
    if application.state == S.GRANTED:
        project = getattr(application, "project", None)
        if project is None:
            return str(NEXT_STEP[S.GRANTED]), page
        url = reverse("projects:project_detail", args=[project.pk])
        if project.state == ProjectState.AGREEMENT_PENDING:
            return str(_("Accept the agreement")), url
        return str(NEXT_STEP[S.GRANTED]), url
    return str(NEXT_STEP.get(application.state, "–")), page


def member_applications(own: Iterable[int]) -> list[ApplicationRow]:
    applications = (
        Application.objects.filter(registry_id__in=list(own))
        .exclude(state=S.WITHDRAWN)
        .select_related("call", "registry", "project")
        .order_by("-updated_at", "-pk")[:LIMIT]
    )
    rows = []
    for a in applications:
        step, url = next_step(a)
        rows.append(
            ApplicationRow(a.pk, a.title, a.call.title, str(a.registry), a.state, a.get_state_display(), step, url)
        )
    return rows


def member_projects(own: Iterable[int]) -> list[Project]:
    """The registries' projects, running ones first."""
    running = Case(When(state__in=OPEN_STATES, then=0), default=1)
    return list(
        Project.objects.filter(registry_id__in=list(own))
        .select_related("registry")
        .order_by(running, "-created_at", "-pk")[:LIMIT]
    )


@dataclass(frozen=True)
class DueItem:
    due: date
    what: str
    project: str
    url: str
    days: int  # days until it is due; negative when overdue

    @property
    def overdue(self) -> int:
        return -self.days if self.days < 0 else 0


def due_next(own: Iterable[int], today: date) -> list[DueItem]:
    """What the registries must do next on their projects, by date: open milestones and progress reports and the
    final report of active projects, and agreements to accept (dated by the grant); four queries."""
    own = list(own)
    active = {"project__registry_id__in": own, "project__state": ProjectState.ACTIVE}
    items: list[DueItem] = []

    def add(due: date, what: str, project: Project, url: str) -> None:
        items.append(DueItem(due, what, project.title, url, (due - today).days))

    for m in (
        Milestone.objects.filter(state__in=OPEN_MILESTONE, **active)
        .select_related("project")
        .order_by("due_date", "pk")[:LIMIT]
    ):
        add(m.due_date, str(_("Milestone “{title}”")).format(title=m.title), m.project, _project(m.project))
    for r in (
        ProgressReport.objects.filter(state__in=OPEN_REPORT, **active)
        .select_related("project")
        .order_by("due_date", "pk")[:LIMIT]
    ):
        url = reverse("projects:progress_report", args=[r.project_id, r.pk])
        add(r.due_date, str(_("Progress report {number}")).format(number=r.number), r.project, url)
    for p in Project.objects.filter(
        registry_id__in=own, state=ProjectState.ACTIVE, final_report_due__isnull=False
    ).order_by("final_report_due", "pk")[:LIMIT]:
        assert p.final_report_due is not None
        add(p.final_report_due, str(_("Final report")), p, reverse("projects:final_report_edit", args=[p.pk]))
    for p in Project.objects.filter(registry_id__in=own, state=ProjectState.AGREEMENT_PENDING).order_by(
        "created_at", "pk"
    )[:LIMIT]:
        add(timezone.localdate(p.created_at), str(_("Accept the agreement")), p, _project(p))
    return sorted(items, key=lambda i: (i.due, i.what, i.project))[:LIMIT]


def _project(project: Project) -> str:
    return reverse("projects:project_detail", args=[project.pk])


def member_panels(user: Any, own: frozenset[int], today: date) -> dict[str, Any]:
    table = applications_per_registry(user, own)
    return {
        "my_registries": [row.label for row in table.rows],
        "my_counts": table,
        "my_applications": member_applications(own),
        "my_projects": member_projects(own),
        "due_next": due_next(own, today),
        "open_calls": Call.objects.filter(state=CallState.OPEN, closes_at__gt=timezone.now())
        .select_related("scheme")
        .order_by("closes_at", "pk"),
    }


# ---------------------------------------------------------------- the reviewer


def reviewer_panels(user: Any, today: date) -> dict[str, Any]:
    """The reviewer's open assignments (deadline, days left, own review's state) and their expert group's progress
    per call in review."""
    own_review = Review.objects.filter(application=OuterRef("application"), reviewer=user).values("state")[:1]
    assignments = list(
        Assignment.objects.filter(
            reviewer=user, application__in=applications_visible_to(user), application__state=S.IN_REVIEW
        )
        .select_related("application", "application__registry", "application__call")
        .annotate(review_state=Subquery(own_review))
        .order_by(F("deadline").asc(nulls_last=True), "application__title")
    )
    for a in assignments:
        a.days_left = (a.deadline - today).days if a.deadline else None  # type: ignore[attr-defined]
        a.days_overdue = -a.days_left if a.days_left is not None and a.days_left < 0 else 0  # type: ignore[attr-defined]
    # Applications the reviewer is conflicted on are left out of the counts too: a conflicted reviewer learns
    # nothing of them, not even that they exist (as HotCRP's statistics once leaked).
    conflicted = Conflict.objects.filter(reviewer=user, waived_at__isnull=True).values("application")
    in_review = Q(applications__state=S.IN_REVIEW) & ~Q(applications__in=conflicted)
    progress = (
        Call.objects.filter(scheme_id__in=committee_scheme_ids(user))
        .filter(in_review)
        .select_related("scheme", "review_round")
        .annotate(
            n_applications=Count("applications", filter=in_review, distinct=True),
            n_assigned=Count("applications__assignments", filter=in_review, distinct=True),
            n_submitted=Count(
                "applications__reviews",
                filter=in_review & Q(applications__reviews__state=ReviewState.SUBMITTED),
                distinct=True,
            ),
        )
        .order_by("-year", "title")
    )
    return {"assignments": assignments, "group_progress": list(progress)}


# ---------------------------------------------------------------- the decider


@dataclass(frozen=True)
class AwaitingRow:
    call_pk: int
    call: str
    budget: Decimal
    recommended: int
    proposed: Decimal
    not_recommended: int

    @property
    def q_recommended(self) -> str:
        return query(call=self.call_pk, state=S.RECOMMENDED)

    @property
    def q_not_recommended(self) -> str:
        return query(call=self.call_pk, state=S.NOT_RECOMMENDED)


def awaiting_per_call(user: Any) -> list[AwaitingRow]:
    """Per call: how many applications await the decision, recommended and not, and the amounts proposed; one
    query."""
    rows = (
        applications_visible_to(user)
        .filter(state__in=AWAITING_DECISION)
        .order_by()
        .values("call_id", "call__title", "call__budget_nok", "call__year")
        .annotate(
            recommended=Count("id", filter=Q(state=S.RECOMMENDED)),
            proposed=Sum("proposed_amount_nok", filter=Q(state=S.RECOMMENDED)),
            not_recommended=Count("id", filter=Q(state=S.NOT_RECOMMENDED)),
        )
        .order_by("-call__year", "call__title", "call_id")
    )
    return [
        AwaitingRow(
            r["call_id"],
            r["call__title"],
            r["call__budget_nok"],
            r["recommended"],
            r["proposed"] or ZERO,
            r["not_recommended"],
        )
        for r in rows
    ]


def decider_panels(user: Any) -> dict[str, Any]:
    return {
        "awaiting": awaiting_per_call(user),
        "to_decide": applications_visible_to(user)
        .filter(state__in=AWAITING_DECISION)
        .select_related("registry", "call")
        .order_by("call", "-proposed_amount_nok", "pk"),
    }
