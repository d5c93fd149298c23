"""Projects: detail with milestones, payments and indicators; the final report; project and milestone transitions."""

from datetime import date, datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from core.api import (
    HistoryOut,
    Id,
    InputSchema,
    MoneyOut,
    PageQuery,
    TransitionIn,
    as_number,
    get_or_404,
    problem_responses,
    unknown_action,
    with_workflow,
)
from core.exceptions import InvalidTransition, NotPermitted
from finance.api import PaymentOut
from grants.models import ApplicationIndicator
from registries.selectors import latest_national

from . import progress, rules, services
from .enums import MilestoneState, ProjectState
from .models import FinalReport, Milestone, ProgressReport, Project
from .selectors import projects_visible_to

router = Router(tags=["projects"])

# Who may ask for each transition at all (403 without the role; 409 with it in the wrong state).
PROJECT_ROLES = {
    "accept_agreement": rules.can_run_project,
    "submit_final_report": rules.can_run_project,
    "approve_final_report": rules.can_follow_up,
    "return_final_report": rules.can_follow_up,
    "terminate": rules.can_follow_up,
}
MILESTONE_ROLES = {"approve": rules.can_follow_up, "request_revision": rules.can_follow_up}
assert set(PROJECT_ROLES) == set(services.PROJECT_ACTIONS)
assert set(MILESTONE_ROLES) == set(services.MILESTONE_ACTIONS)


class MilestoneOut(Schema):
    id: int
    title: str
    due_date: date
    state: str
    report_text: str
    reported_at: datetime | None
    available_transitions: list[str]


class ProjectIndicatorOut(Schema):
    indicator: str
    title: str
    baseline_value: float | None
    baseline_year: int | None
    target_value: float | None
    target_date: date | None
    latest_value: float | None = Field(description="The latest national value (all units rolled up).")
    latest_year: int | None
    level: str | None = Field(description="Goal attainment of the latest value: high, moderate, low or null.")


class ProjectOut(Schema):
    id: int
    application: int
    registry: int
    title: str
    state: str
    granted_amount_nok: MoneyOut
    start_date: date | None
    end_date: date | None
    agreement_accepted_at: datetime | None
    closed_at: datetime | None
    milestones: list[MilestoneOut]
    payments: list[PaymentOut]
    indicators: list[ProjectIndicatorOut]
    available_transitions: list[str]
    history: list[HistoryOut]

    @staticmethod
    def resolve_application(obj: Project) -> int:
        return obj.application_id

    @staticmethod
    def resolve_registry(obj: Project) -> int:
        return obj.registry_id


class ProjectsQuery(Schema):
    state: ProjectState | None = None
    registry: Id | None = None


class FinalReportIn(InputSchema):
    sections: dict[str, str] = Field(description="Section key → text; keys sent replace those sections only.")


class FinalReportOut(Schema):
    sections: dict[str, str]
    required_sections: list[str] = Field(description="Keys the scheme's template requires (SQUIRE 2.0 for QI).")
    missing_sections: list[str]
    submitted_at: datetime | None
    updated_at: datetime | None


class MilestoneReportIn(InputSchema):
    text: str


def _projects(user: Any) -> QuerySet[Project]:
    return projects_visible_to(user).prefetch_related(
        "milestones",
        "payments",
        Prefetch("application__indicators", ApplicationIndicator.objects.select_related("indicator").order_by("id")),
    )


def _with_details(projects: list[Project], user: Any) -> list[Project]:
    """Transitions, history and indicator values for a page of projects with a fixed number of queries."""
    with_workflow(projects, user)
    for project in projects:
        with_workflow(list(project.milestones.all()), user, history=False)
    plans = [plan for p in projects for plan in p.application.indicators.all()]
    latest = latest_national({plan.indicator_id for plan in plans}) if plans else {}
    for project in projects:
        project.indicators = [
            _indicator(plan, latest.get(plan.indicator_id)) for plan in project.application.indicators.all()
        ]
    return projects


def _indicator(plan: ApplicationIndicator, latest: Any) -> dict[str, Any]:
    year, sums = latest if latest else (None, None)
    value = sums.value if sums else None
    level = plan.indicator.level_for(value)
    return {
        "indicator": plan.indicator_id,
        "title": plan.indicator.title,
        "baseline_value": as_number(plan.baseline_value),
        "baseline_year": plan.baseline_year,
        "target_value": as_number(plan.target_value),
        "target_date": plan.target_date,
        "latest_value": as_number(value),
        "latest_year": year,
        "level": str(level) if level else None,
    }


def _load(request: HttpRequest, id: int) -> Project:
    return _with_details([get_or_404(_projects(request.user), id, "project")], request.user)[0]


@router.get("/projects", response=list[ProjectOut])
def list_projects(request: HttpRequest, filters: Query[ProjectsQuery], page: Query[PageQuery]) -> list[Project]:
    """Newest first."""
    qs = _projects(request.user)
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.registry is not None:
        qs = qs.filter(registry_id=filters.registry)
    return _with_details(list(page.apply(qs)), request.user)


@router.get("/projects/{int:id}", response={200: ProjectOut, **problem_responses(404)})
def get_project(request: HttpRequest, id: int) -> Project:
    return _load(request, id)


class ProjectTransitionIn(TransitionIn):
    name: str = Field("", description="accept_agreement only: the full name of the person accepting the agreement.")


@router.post(
    "/projects/{int:id}/transitions/{name}", response={200: ProjectOut, **problem_responses(400, 403, 404, 409)}
)
def project_transition(request: HttpRequest, id: int, name: str, payload: ProjectTransitionIn | None = None) -> Project:
    """`accept_agreement` (body may add `name`: the full name of the person accepting, recorded with the time;
    the account's name when omitted), `submit_final_report` (project members); `approve_final_report`,
    `return_final_report`, `terminate` (secretariat). `submit_final_report` is refused (400) until every required
    section has text."""
    project = get_or_404(projects_visible_to(request.user), id, "project")
    action = services.PROJECT_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, services.PROJECT_ACTIONS, "A project")
    if not PROJECT_ROLES[name](request.user, project):
        raise NotPermitted(f"You may not {name.replace('_', ' ')} on this project.")
    comment = payload.comment if payload else ""
    if name == "accept_agreement":
        services.accept_agreement(project, by=request.user, comment=comment, name=payload.name if payload else "")
    else:
        action(project, by=request.user, comment=comment)
    return _load(request, id)


def _final_report_out(project: Project) -> dict[str, Any]:
    report = FinalReport.objects.filter(project=project).first()
    required = services.required_sections(project)
    sections = report.sections if report else {}
    return {
        "sections": sections,
        "required_sections": required,
        "missing_sections": [k for k in required if not str(sections.get(k, "")).strip()],
        "submitted_at": report.submitted_at if report else None,
        "updated_at": report.updated_at if report else None,
    }


def _project_for_report(request: HttpRequest, id: int) -> Project:
    return get_or_404(projects_visible_to(request.user).select_related("application__call__scheme"), id, "project")


@router.get("/projects/{int:id}/final_report", response={200: FinalReportOut, **problem_responses(404)})
def get_final_report(request: HttpRequest, id: int) -> dict[str, Any]:
    return _final_report_out(_project_for_report(request, id))


@router.put("/projects/{int:id}/final_report", response={200: FinalReportOut, **problem_responses(400, 403, 404, 409)})
def save_final_report(request: HttpRequest, id: int, payload: FinalReportIn) -> dict[str, Any]:
    """Project members, while the project is active (409 otherwise)."""
    project = _project_for_report(request, id)
    if not rules.can_run_project(request.user, project):
        raise NotPermitted("Only members of the project's registry may write the final report.")
    if project.state != ProjectState.ACTIVE:
        raise InvalidTransition(
            f"The final report can be edited only while the project is active; it is {project.state}."
        )
    services.save_final_report(project, by=request.user, sections=payload.sections)
    return _final_report_out(project)


def _milestone(request: HttpRequest, id: int, mid: int) -> Milestone:
    project = get_or_404(projects_visible_to(request.user), id, "project")
    milestone = get_or_404(project.milestones.all(), mid, "milestone in this project")
    milestone.project = project
    return milestone


def _milestone_out(milestone: Milestone, user: Any) -> Milestone:
    fresh = Milestone.objects.select_related("project").get(pk=milestone.pk)
    return with_workflow([fresh], user, history=False)[0]


@router.post(
    "/projects/{int:id}/milestones/{int:mid}/report",
    response={200: MilestoneOut, **problem_responses(400, 403, 404, 409)},
)
def report_milestone(request: HttpRequest, id: int, mid: int, payload: MilestoneReportIn) -> Milestone:
    """Project members report progress on a milestone of an active project."""
    milestone = _milestone(request, id, mid)
    if not rules.is_project_member(request.user, milestone.project):
        raise NotPermitted("Only members of the project's registry may report on its milestones.")
    if milestone.project.state != ProjectState.ACTIVE:
        raise InvalidTransition(
            f"Milestones can be reported only while the project is active; it is {milestone.project.state}."
        )
    if milestone.state not in (MilestoneState.PLANNED, MilestoneState.REVISION_REQUESTED):
        raise InvalidTransition(f"This milestone is {milestone.state}; it cannot be reported again.")
    services.report_milestone(milestone, by=request.user, text=payload.text)
    return _milestone_out(milestone, request.user)


@router.post(
    "/projects/{int:id}/milestones/{int:mid}/transitions/{name}",
    response={200: MilestoneOut, **problem_responses(400, 403, 404, 409)},
)
def milestone_transition(
    request: HttpRequest, id: int, mid: int, name: str, payload: TransitionIn | None = None
) -> Milestone:
    """`approve`, `request_revision` (secretariat; a revision request needs a comment)."""
    milestone = _milestone(request, id, mid)
    action = services.MILESTONE_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, services.MILESTONE_ACTIONS, "A milestone")
    if not MILESTONE_ROLES[name](request.user, milestone.project):
        raise NotPermitted("Only the secretariat may approve milestones or ask for a revision.")
    action(milestone, by=request.user, comment=payload.comment if payload else "")
    return _milestone_out(milestone, request.user)


# ---------------------------------------------------------------- progress reports

PROGRESS_ROLES = {
    "submit": rules.can_run_project,
    "approve": rules.can_follow_up,
    "return_report": rules.can_follow_up,
}
assert set(PROGRESS_ROLES) == set(progress.PROGRESS_ACTIONS)


class MilestoneProgressIO(Schema):
    status: str = Field("", description="not_started, on_track, delayed or done ('' for none).")
    comment: str = ""


class SpendingIn(Schema):
    category: str = Field(description="A budget category: salary, operating, travel, equipment, other.")
    year: int | str
    amount_nok: str | int | float = Field(description="NOK spent in the report's period, a decimal string.")


class SpendingOut(Schema):
    category: str
    year: int
    amount_nok: MoneyOut


class ProgressReportIn(InputSchema):
    milestones: dict[str, MilestoneProgressIO] | None = Field(None, description="Milestone id → status and comment.")
    spending: list[SpendingIn] | None = Field(None, description="Replaces the report's spending rows.")
    summary: str | None = None
    risks: str | None = None
    changes: str | None = None


class ProgressTransitionIn(InputSchema):
    comment: str = ""
    feedback: str = Field("", description="The secretariat's feedback to the registry (required to return).")


class ProgressReportOut(Schema):
    id: int
    number: int
    period_start: date
    period_end: date
    due_date: date
    state: str
    milestones: dict[str, MilestoneProgressIO]
    spending: list[SpendingOut]
    summary: str
    risks: str
    changes: str
    feedback: str
    indicators: dict[str, Any] = Field(description="The indicator values so far, frozen when submitted.")
    submitted_at: datetime | None
    decided_at: datetime | None
    available_transitions: list[str]

    @staticmethod
    def resolve_spending(obj: ProgressReport) -> list[dict[str, Any]]:
        return progress.spending_rows(obj)


def _report(request: HttpRequest, id: int, rid: int) -> ProgressReport:
    project = get_or_404(projects_visible_to(request.user), id, "project")
    report = get_or_404(project.progress_reports.all(), rid, "progress report in this project")
    report.project = project
    return report


def _report_out(report: ProgressReport, user: Any) -> ProgressReport:
    fresh = ProgressReport.objects.select_related("project").get(pk=report.pk)
    return with_workflow([fresh], user, history=False)[0]


@router.get("/projects/{int:id}/progress_reports", response={200: list[ProgressReportOut], **problem_responses(404)})
def list_progress_reports(request: HttpRequest, id: int) -> Any:
    """The project's progress reports in order (scheduled when the agreement is accepted)."""
    project = get_or_404(projects_visible_to(request.user), id, "project")
    reports = list(project.progress_reports.select_related("project").order_by("number"))
    return with_workflow(reports, request.user, history=False)


@router.put(
    "/projects/{int:id}/progress_reports/{int:rid}",
    response={200: ProgressReportOut, **problem_responses(400, 403, 404, 409)},
)
def save_progress_report(request: HttpRequest, id: int, rid: int, payload: ProgressReportIn) -> ProgressReport:
    """Save the draft (project members, while the report is due or returned and the project active; 409 otherwise).
    Only the fields sent change."""
    report = _report(request, id, rid)
    if not rules.can_write_progress_report(request.user, report):
        raise NotPermitted("Only members of the project's registry may write its progress reports.")
    data = payload.dict(exclude_unset=True)
    progress.save_progress_report(report, by=request.user, **data)
    return _report_out(report, request.user)


@router.post(
    "/projects/{int:id}/progress_reports/{int:rid}/transitions/{name}",
    response={200: ProgressReportOut, **problem_responses(400, 403, 404, 409)},
)
def progress_report_transition(
    request: HttpRequest, id: int, rid: int, name: str, payload: ProgressTransitionIn | None = None
) -> ProgressReport:
    """`submit` (project members; refused (400) without a progress summary); `approve`, `return_report`
    (secretariat; returning needs `feedback` or `comment`, which the registry sees and is emailed)."""
    report = _report(request, id, rid)
    action = progress.PROGRESS_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, progress.PROGRESS_ACTIONS, "A progress report")
    if not PROGRESS_ROLES[name](request.user, report.project):
        raise NotPermitted(f"You may not {name.replace('_', ' ')} this progress report.")
    comment = payload.comment if payload else ""
    if name == "submit":
        progress.submit_progress_report(report, by=request.user, comment=comment)
    else:
        action(report, by=request.user, comment=comment, feedback=payload.feedback if payload else "")
    return _report_out(report, request.user)
