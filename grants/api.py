"""Schemes, calls and applications, and their transitions."""

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any, Literal

from django.db.models import Prefetch, QuerySet
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema, Status
from pydantic import StringConstraints

from core.api import (
    AwareDatetime,
    HistoryOut,
    Id,
    InputSchema,
    Money,
    MoneyOut,
    PageQuery,
    TransitionIn,
    as_number,
    get_or_404,
    problem_responses,
    unknown_action,
    with_workflow,
)
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from finance.models import BudgetLine
from registries.enums import TargetKind, TargetRule
from registries.models import Registry

from . import rules, services
from .enums import EDITABLE, ApplicationState, BudgetCategory, CallState
from .models import Application, ApplicationIndicator, Call, CallCriterion, PlannedMilestone, Scheme, SchemeCriterion
from .selectors import applications_visible_to, calls_visible_to

router = Router(tags=["calls and applications"])

Code = Annotated[str, StringConstraints(strip_whitespace=True, max_length=50, pattern=r"^[-a-zA-Z0-9_]*$")]
Weight = Annotated[Decimal, Field(gt=0, max_digits=5, decimal_places=2)]
IndicatorNumber = Annotated[Decimal, Field(max_digits=12, decimal_places=6, allow_inf_nan=False)]
Year = Annotated[int, Field(ge=2000, le=2100)]

# Who may ask for each transition at all, whatever the state: without the role it is 403; with the role but in the
# wrong state it is 409 (core.workflow.fire). The transitions' own permissions stay the final word.
APPLICATION_ROLES = {
    "submit": rules.is_applicant_of,
    "withdraw": rules.is_applicant_of,
    "resubmit": rules.is_applicant_of,
    "request_changes": rules.can_screen,
    "mark_ineligible": rules.can_screen,
    "send_to_review": rules.can_screen,
    "complete_assessment": rules.can_manage_review,
    "recommend": rules.can_manage_review,
    "not_recommend": rules.can_manage_review,
    "grant": rules.can_decide,
    "reject": rules.can_decide,
}
assert set(APPLICATION_ROLES) == set(services.APPLICATION_ACTIONS)


# ---------------------------------------------------------------- schemes


class CriterionOut(Schema):
    id: str = Field(description="The criterion's code within the scheme or call; keys of review scores.")
    name: str
    weight: float

    @staticmethod
    def resolve_id(obj: SchemeCriterion | CallCriterion) -> str:
        return obj.code

    @staticmethod
    def resolve_name(obj: SchemeCriterion | CallCriterion) -> str:
        return obj.name_en if obj.name_en and _english() else obj.name


def _english() -> bool:
    from django.utils.translation import get_language

    return (get_language() or "nb").startswith("en")


class SchemeOut(Schema):
    code: str
    name: str
    decision_body: str
    max_amount_nok: MoneyOut | None = Field(description="Default cap per application; null for no cap.")
    criteria: list[CriterionOut] = Field(description="Default criteria, copied to each new call.")
    final_report_sections: list[str]

    @staticmethod
    def resolve_name(obj: Scheme) -> str:
        return obj.localized_name

    @staticmethod
    def resolve_max_amount_nok(obj: Scheme) -> Decimal | None:
        return obj.default_max_amount_nok

    @staticmethod
    def resolve_final_report_sections(obj: Scheme) -> list[str]:
        return [s["key"] for s in obj.final_report_sections]


@router.get("/schemes", response=list[SchemeOut])
def list_schemes(request: HttpRequest) -> list[Scheme]:
    return list(Scheme.objects.filter(is_active=True).prefetch_related("criteria"))


# ---------------------------------------------------------------- calls


class CriterionIn(InputSchema):
    id: Code | None = Field(None, description="Code; made from the position when left out.")
    name: Annotated[str, StringConstraints(max_length=200)]
    weight: Weight = Decimal(1)


class CallIn(InputSchema):
    scheme: str = Field(description="The scheme's code.")
    title: Annotated[str, StringConstraints(max_length=200)]
    description: str = ""
    year: Year
    budget_nok: Money
    max_amount_nok: Money | None = None
    opens_at: AwareDatetime
    closes_at: AwareDatetime
    criteria: list[CriterionIn] | None = Field(None, description="When left out, the scheme's default criteria.")


class CallOut(Schema):
    id: int
    scheme: str
    title: str
    description: str
    year: int
    budget_nok: MoneyOut
    max_amount_nok: MoneyOut | None
    opens_at: datetime
    closes_at: datetime
    criteria: list[CriterionOut]
    state: str
    available_transitions: list[str]

    @staticmethod
    def resolve_scheme(obj: Call) -> str:
        return obj.scheme.code


class CallsQuery(Schema):
    year: int | None = None
    state: CallState | None = None
    scheme: str | None = Field(None, description="Scheme code.")


def _calls(user: Any) -> QuerySet[Call]:
    return calls_visible_to(user).select_related("scheme").prefetch_related("criteria")


@router.get("/calls", response=list[CallOut])
def list_calls(request: HttpRequest, filters: Query[CallsQuery]) -> list[Call]:
    qs = _calls(request.user)
    if filters.year is not None:
        qs = qs.filter(year=filters.year)
    if filters.state is not None:
        qs = qs.filter(state=filters.state)
    if filters.scheme:
        qs = qs.filter(scheme__code=filters.scheme)
    return list(with_workflow(list(qs), request.user, history=False))


@router.get("/calls/{int:id}", response={200: CallOut, **problem_responses(404)})
def get_call(request: HttpRequest, id: int) -> Call:
    call = get_or_404(_calls(request.user), id, "call")
    return with_workflow([call], request.user, history=False)[0]


@router.post("/calls", response={201: CallOut, **problem_responses(400, 403)})
def create_call(request: HttpRequest, payload: CallIn) -> Status[Call]:
    """Secretariat only. The call starts as a draft."""
    if not rules.can_manage_calls(request.user):
        raise NotPermitted("Only the secretariat may create calls.")
    scheme = Scheme.objects.filter(code=payload.scheme, is_active=True).first()
    if scheme is None:
        msg = f"No active scheme with code “{payload.scheme}”."
        raise ActionRefused(msg, {"scheme": [msg]})
    data = payload.model_dump(exclude={"criteria"}) | {"scheme": scheme}
    criteria = None if payload.criteria is None else [c.model_dump() for c in payload.criteria]
    call = services.create_call(by=request.user, data=data, criteria=criteria)
    return Status(201, get_call(request, call.pk))


@router.post("/calls/{int:id}/transitions/{name}", response={200: CallOut, **problem_responses(400, 403, 404, 409)})
def call_transition(request: HttpRequest, id: int, name: str, payload: TransitionIn | None = None) -> Call:
    """`open`, `close`, `decide` (secretariat)."""
    call = get_or_404(_calls(request.user), id, "call")
    action = services.CALL_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, services.CALL_ACTIONS, "A call")
    if not rules.can_manage_calls(request.user, call):
        raise NotPermitted("Only the secretariat may open, close or decide calls.")
    action(call, by=request.user, comment=payload.comment if payload else "")
    return get_call(request, id)


# ---------------------------------------------------------------- applications


class BudgetLineIn(InputSchema):
    category: BudgetCategory
    year: int
    amount_nok: Money
    description: Annotated[str, StringConstraints(max_length=200)] = ""


class IndicatorIn(InputSchema):
    indicator: str = Field(max_length=80, description="SKDE indicator id of the applicant registry, e.g. nakke1.")
    baseline_value: IndicatorNumber | None = Field(
        None,
        description="Left out or null with a `baseline_year`: filled in from the registry's data for that year (the "
        "participating units together, or the nation when none are named); `notices` says what was filled in.",
    )
    baseline_year: Year | None = None
    target_kind: TargetKind = Field(
        TargetKind.VALUE,
        description="`value`: reach `target_value`; `level`: reach `target_level`; `rule`: every participating "
        "unit meets `target_rule`. Only the chosen kind's field is kept.",
    )
    target_value: IndicatorNumber | None = Field(None, description="Required when `target_kind` is `value`.")
    target_level: Literal["high", "moderate"] | None = Field(
        None, description="Goal-attainment level; required when `target_kind` is `level`."
    )
    target_rule: TargetRule | None = Field(None, description="Required when `target_kind` is `rule`.")
    target_date: date | None = Field(None, description="Required before submitting; after the baseline year.")


class MilestoneIn(InputSchema):
    title: Annotated[str, StringConstraints(max_length=200)]
    due_date: date


class ApplicationFields(InputSchema):
    title: Annotated[str, StringConstraints(max_length=250)] = ""
    summary: str = ""
    aims: str = ""
    requested_amount_nok: Money | None = None
    start_date: date | None = None
    end_date: date | None = None
    budget_lines: list[BudgetLineIn] = []
    indicators: list[IndicatorIn] = []
    milestones: list[MilestoneIn] = []


class ApplicationIn(ApplicationFields):
    call: Id
    registry: Id


class ApplicationPatch(InputSchema):
    """Only the fields sent are changed; a list sent replaces the whole list."""

    call: Id | None = Field(None, description="Cannot be changed; accepted when equal to the current value.")
    registry: Id | None = Field(None, description="Cannot be changed; accepted when equal to the current value.")
    title: Annotated[str, StringConstraints(max_length=250)] | None = None
    summary: str | None = None
    aims: str | None = None
    requested_amount_nok: Money | None = None
    start_date: date | None = None
    end_date: date | None = None
    budget_lines: list[BudgetLineIn] | None = None
    indicators: list[IndicatorIn] | None = None
    milestones: list[MilestoneIn] | None = None


class TransitionBody(InputSchema):
    comment: str = ""
    proposed_amount_nok: Money | None = Field(None, description="For `recommend`.")
    granted_amount_nok: Money | None = Field(None, description="For `grant`.")


class BudgetLineOut(Schema):
    category: str
    year: int
    amount_nok: MoneyOut
    description: str


class IndicatorPlanOut(Schema):
    indicator: str
    baseline_value: float | None
    baseline_year: int | None
    target_kind: str = Field(description="`value`, `level` or `rule`.")
    target_value: float | None
    target_level: str | None = Field(description="`high` or `moderate` when `target_kind` is `level`.")
    target_rule: str | None = Field(description="`no_unit_low` or `all_units_high` when `target_kind` is `rule`.")
    target_label: str = Field(description="The target in words, e.g. “15 % or lower”.")
    target_date: date | None

    @staticmethod
    def resolve_target_level(obj: ApplicationIndicator) -> str | None:
        return obj.target_level or None

    @staticmethod
    def resolve_target_rule(obj: ApplicationIndicator) -> str | None:
        return obj.target_rule or None

    @staticmethod
    def resolve_target_label(obj: ApplicationIndicator) -> str:
        return str(obj.target_label)

    @staticmethod
    def resolve_indicator(obj: ApplicationIndicator) -> str:
        return obj.indicator_id

    @staticmethod
    def resolve_baseline_value(obj: ApplicationIndicator) -> float | None:
        return as_number(obj.baseline_value)

    @staticmethod
    def resolve_target_value(obj: ApplicationIndicator) -> float | None:
        return as_number(obj.target_value)


class PlannedMilestoneOut(Schema):
    title: str
    due_date: date


class ApplicationOut(Schema):
    id: int
    call: int
    registry: int
    title: str
    summary: str
    aims: str
    requested_amount_nok: MoneyOut | None
    start_date: date | None
    end_date: date | None
    budget_lines: list[BudgetLineOut]
    indicators: list[IndicatorPlanOut]
    milestones: list[PlannedMilestoneOut]
    state: str
    submitted_at: datetime | None
    proposed_amount_nok: MoneyOut | None
    recommendation: str
    granted_amount_nok: MoneyOut | None
    decided_at: datetime | None
    project: int | None = Field(description="The project made from this application once granted.")
    created_at: datetime
    updated_at: datetime
    available_transitions: list[str] = Field(description="Transitions this user may fire now.")
    history: list[HistoryOut]
    notices: list[str] = Field(
        [], description="What the server did on its own in this request, e.g. baselines filled in from the data."
    )

    @staticmethod
    def resolve_notices(obj: Application) -> list[str]:
        return getattr(obj, "notices", [])

    @staticmethod
    def resolve_call(obj: Application) -> int:
        return obj.call_id

    @staticmethod
    def resolve_registry(obj: Application) -> int:
        return obj.registry_id

    @staticmethod
    def resolve_milestones(obj: Application) -> list[PlannedMilestone]:
        return list(obj.planned_milestones.all())

    @staticmethod
    def resolve_project(obj: Application) -> int | None:
        from projects.models import Project

        try:
            return obj.project.pk
        except Project.DoesNotExist:
            return None


class ApplicationsQuery(Schema):
    call: Id | None = None
    state: ApplicationState | None = None
    registry: Id | None = None


def _applications(user: Any) -> QuerySet[Application]:
    return (
        applications_visible_to(user)
        .select_related("project")
        .prefetch_related(
            Prefetch("budget_lines", BudgetLine.objects.order_by("year", "category", "id")),
            Prefetch("indicators", ApplicationIndicator.objects.select_related("indicator")),
            "planned_milestones",
        )
    )


def _load_application(request: HttpRequest, id: int) -> Application:
    app = get_or_404(_applications(request.user), id, "application")
    return with_workflow([app], request.user)[0]


@router.get("/applications", response=list[ApplicationOut])
def list_applications(
    request: HttpRequest, filters: Query[ApplicationsQuery], page: Query[PageQuery]
) -> list[Application]:
    """Newest first."""
    qs = _applications(request.user)
    for key in ("call", "state", "registry"):
        value = getattr(filters, key)
        if value is not None:
            qs = qs.filter(**{key: value})
    return list(with_workflow(list(page.apply(qs)), request.user))


@router.get("/applications/{int:id}", response={200: ApplicationOut, **problem_responses(404)})
def get_application(request: HttpRequest, id: int) -> Application:
    return _load_application(request, id)


def _service_data(fields: dict[str, Any]) -> dict[str, Any]:
    """An explicit null empties a text or a list (the columns are not nullable)."""
    for key, empty in (("summary", ""), ("aims", ""), ("budget_lines", []), ("indicators", []), ("milestones", [])):
        if key in fields and fields[key] is None:
            fields[key] = empty
    return fields


@router.post("/applications", response={201: ApplicationOut, **problem_responses(400, 403)})
def create_application(request: HttpRequest, payload: ApplicationIn) -> Status[Application]:
    """A member of the registry applies to an open call; the application starts as a draft."""
    errors: dict[str, list[str]] = {}
    call = calls_visible_to(request.user).select_related("scheme").filter(pk=payload.call).first()
    if call is None:
        errors["call"] = [f"No call with id {payload.call}."]
    registry = Registry.objects.filter(pk=payload.registry).first()
    if registry is None:
        errors["registry"] = [f"No registry with id {payload.registry}."]
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    data = _service_data(payload.model_dump(exclude={"call", "registry"}))
    notes: list[str] = []
    app = services.create_application(by=request.user, call=call, registry=registry, data=data, notes=notes)
    return Status(201, _with_notices(_load_application(request, app.pk), notes))


def _with_notices(app: Application, notes: list[str]) -> Application:
    app.notices = notes  # type: ignore[attr-defined]
    return app


@router.patch("/applications/{int:id}", response={200: ApplicationOut, **problem_responses(400, 403, 404, 409)})
def update_application(request: HttpRequest, id: int, payload: ApplicationPatch) -> Application:
    """The applicant, while the application is a draft or changes are requested (otherwise 409)."""
    app = get_or_404(applications_visible_to(request.user), id, "application")
    if not rules.is_applicant_of(request.user, app):
        raise NotPermitted("Only members of the applicant registry may change the application.")
    if app.state not in EDITABLE:
        raise InvalidTransition(
            f"The application can be changed only while it is a draft or changes are requested; it is {app.state}."
        )
    data = _service_data(payload.model_dump(exclude_unset=True))
    errors = {
        key: ["This cannot be changed; start a new application instead."]
        for key, current in (("call", app.call_id), ("registry", app.registry_id))
        if key in data and data.pop(key) != current
    }
    if errors:
        errors |= services.validate_application(data, registry=app.registry, call=app.call)
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    notes: list[str] = []
    services.update_application(app, by=request.user, data=data, notes=notes)
    return _with_notices(_load_application(request, id), notes)


@router.post(
    "/applications/{int:id}/transitions/{name}",
    response={200: ApplicationOut, **problem_responses(400, 403, 404, 409)},
)
def application_transition(
    request: HttpRequest, id: int, name: str, payload: TransitionBody | None = None
) -> Application:
    """Fire transition `name`. `recommend` takes `proposed_amount_nok`, `grant` takes `granted_amount_nok`.

    An unknown name is 404; a transition this user's role never fires is 403; one not allowed in the current state
    is 409; a broken business rule (e.g. the deadline has passed) is 400 with the field.
    """
    app = get_or_404(applications_visible_to(request.user).select_related("call", "registry"), id, "application")
    action = services.APPLICATION_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, services.APPLICATION_ACTIONS, "An application")
    if not APPLICATION_ROLES[name](request.user, app):
        raise NotPermitted(f"You may not {name.replace('_', ' ')} this application.")
    body = payload or TransitionBody()
    kwargs: dict[str, Any] = {"comment": body.comment}
    if name == "recommend":
        kwargs["proposed_amount_nok"] = body.proposed_amount_nok
    elif name == "grant":
        kwargs["granted_amount_nok"] = body.granted_amount_nok
    action(app, by=request.user, **kwargs)
    return _load_application(request, id)
