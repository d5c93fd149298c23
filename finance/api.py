"""Payments of projects, and the annual summary for the secretariat (CSV, XLSX or PDF)."""

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest, HttpResponse
from ninja import Field, Query, Router, Schema

from accounts.rules import is_secretariat
from audit.services import record
from core.api import InputSchema, MoneyOut, get_or_404, problem_responses, unknown_action
from core.exceptions import ActionRefused, NotPermitted
from projects.selectors import projects_visible_to

from . import annual, annual_files
from .models import Payment
from .services import PAYMENT_ACTIONS, mark_paid

router = Router(tags=["finance"])


class PaymentOut(Schema):
    id: int
    project: int
    amount_nok: MoneyOut
    trigger: str = Field(description="agreement, milestone or final_report.")
    state: str
    order: int = Field(description="Position in the scheme's payment plan.")
    milestone: int | None
    paid_at: datetime | None
    paid_on: date | None = Field(description="The date the money was paid, as the accounts record it.")
    reference: str = Field(description="The accounts' payment reference.")

    @staticmethod
    def resolve_milestone(obj: Payment) -> int | None:
        return obj.milestone_id

    @staticmethod
    def resolve_project(obj: Payment) -> int:
        return obj.project_id


class PaymentTransitionIn(InputSchema):
    comment: str = Field("", description="Required to cancel: the reason.")
    reference: str = Field("", description="Required to pay: the accounts' payment reference.")
    paid_on: date | None = Field(None, description="Required to pay: the payment date.")


def _fire_payment(request: HttpRequest, payment: Payment, name: str, payload: PaymentTransitionIn | None) -> Payment:
    action = PAYMENT_ACTIONS.get(name)
    if action is None:
        raise unknown_action(name, PAYMENT_ACTIONS, "A payment")
    if not is_secretariat(request.user):
        raise NotPermitted("Only the secretariat may approve, pay or cancel payments.")
    body = payload or PaymentTransitionIn()
    if name == "pay":
        return mark_paid(payment, by=request.user, reference=body.reference, paid_on=body.paid_on, comment=body.comment)
    return action(payment, by=request.user, comment=body.comment)


@router.post(
    "/projects/{int:id}/payments/{int:pid}/transitions/{name}",
    response={200: PaymentOut, **problem_responses(400, 403, 404, 409)},
)
def payment_transition(
    request: HttpRequest, id: int, pid: int, name: str, payload: PaymentTransitionIn | None = None
) -> Payment:
    """`approve`, `pay` (with `reference` and `paid_on`), `cancel` (with the reason as `comment`); secretariat."""
    project = get_or_404(projects_visible_to(request.user), id, "project")
    payment = get_or_404(project.payments.all(), pid, "payment in this project")
    return _fire_payment(request, payment, name, payload)


@router.post(
    "/payments/{int:id}/transitions/{name}",
    response={200: PaymentOut, **problem_responses(400, 403, 404, 409)},
)
def transition_payment(request: HttpRequest, id: int, name: str, payload: PaymentTransitionIn | None = None) -> Payment:
    """`approve`, `pay` (body: `reference`, `paid_on`), `cancel` (body: `comment`, the reason). Secretariat; the
    project's registry sees the payment but may not move it (403)."""
    payments = Payment.objects.filter(project__in=projects_visible_to(request.user))
    payment = get_or_404(payments, id, "payment")
    return _fire_payment(request, payment, name, payload)


# ---------------------------------------------------------------- annual summary


class AnnualQuery(Schema):
    year: int = Field(ge=2000, le=2100)
    format: Literal["xlsx", "csv", "pdf"] = "xlsx"
    table: str = Field(
        "",
        max_length=80,
        description="CSV only: which table (applications, received, grants-<scheme code>, completed, cumulative, "
        "registries); applications when omitted. PDF and XLSX hold every table.",
    )


@router.get(
    "/reports/annual",
    response=problem_responses(400, 403),
    openapi_extra={
        "responses": {
            "200": {
                "description": "The annual summary as a download.",
                "content": {ct.split(";")[0]: {} for ct in annual.CONTENT_TYPES.values()},
            }
        }
    },
)
def annual_report(request: HttpRequest, filters: Query[AnnualQuery]) -> HttpResponse:
    """Secretariat. The year's summary: applications received and granted per scheme and region, every grant with
    its total per scheme, the projects completed with their outcome, the figures since the first year and the
    registries. PDF (with charts) and XLSX (one sheet per table) hold every table; CSV holds one (`table`). The file
    is kept until the figures change, so asking again is fast."""
    if not is_secretariat(request.user):
        raise NotPermitted("Only the secretariat may download the annual summary.")
    try:
        made = annual_files.file_now(filters.year, filters.format, filters.table, by=request.user)
    except KeyError:
        msg = f"There is no table {filters.table!r} in the summary of {filters.year}."
        raise ActionRefused(msg, {"table": [msg]}) from None
    record(made, "finance.annual_summary.download", actor=request.user, data={"format": filters.format})
    with made.file.open("rb") as fh:
        content = fh.read()
    response = HttpResponse(content, content_type=annual.CONTENT_TYPES[filters.format])
    name = annual.download_name(filters.year, filters.format, made.table)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
