"""Payments of projects, and the annual summary for the secretariat (CSV, XLSX or PDF)."""

import io
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Literal

import pandas as pd
from django.http import HttpRequest, HttpResponse
from django.utils.html import escape
from ninja import Field, Query, Router, Schema

from accounts.rules import is_secretariat
from core.api import InputSchema, MoneyOut, get_or_404, problem_responses, unknown_action
from core.exceptions import NotPermitted
from core.pdf import render_pdf
from grants.selectors import applications_visible_to
from projects.selectors import projects_visible_to

from .exports import defuse
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

COLUMNS = ["scheme", "call", "registry", "title", "state", "requested_amount_nok", "granted_amount_nok"]
TEXT_COLUMNS = ["scheme", "call", "registry", "title"]
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class AnnualQuery(Schema):
    year: int = Field(ge=2000, le=2100)
    format: Literal["xlsx", "csv", "pdf"] = "xlsx"


def annual_rows(user: Any, year: int) -> pd.DataFrame:
    """One row per application (handed in) to the calls of `year`."""
    rows = (
        applications_visible_to(user)
        .filter(call__year=year)
        .order_by("call__scheme__name", "call__title", "registry__short_name", "id")
        .values_list(
            "call__scheme__name",
            "call__title",
            "registry__short_name",
            "title",
            "state",
            "requested_amount_nok",
            "granted_amount_nok",
        )
    )
    frame = pd.DataFrame(list(rows), columns=COLUMNS, dtype=object)
    for column in TEXT_COLUMNS:
        frame[column] = frame[column].map(lambda v: defuse(str(v or "")))
    return frame


def _money(value: Decimal | None) -> str:
    return "" if value is None else f"{value.quantize(Decimal('0.01')):f}"


def _csv(frame: pd.DataFrame) -> bytes:
    out = frame.copy()
    for column in ("requested_amount_nok", "granted_amount_nok"):
        out[column] = out[column].map(_money)
    return out.to_csv(index=False).encode("utf-8")


def _xlsx(frame: pd.DataFrame, year: int) -> bytes:
    out = frame.copy()
    for column in ("requested_amount_nok", "granted_amount_nok"):
        out[column] = out[column].map(lambda v: None if v is None else float(v))
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        out.to_excel(writer, index=False, sheet_name=str(year))
        sheet = writer.sheets[str(year)]
        for column in ("F", "G"):
            for cell in sheet[column][1:]:
                cell.number_format = "#,##0.00"
    return buffer.getvalue()


def _pdf(frame: pd.DataFrame, year: int) -> bytes:
    out = frame.copy()
    for column in ("requested_amount_nok", "granted_amount_nok"):
        out[column] = out[column].map(_money)
    granted = sum((v for v in frame["granted_amount_nok"] if v is not None), Decimal(0))
    requested = sum((v for v in frame["requested_amount_nok"] if v is not None), Decimal(0))
    table = out.to_html(index=False, escape=True, border=0)
    html = (
        "<!doctype html><html><head><meta charset='utf-8'><style>"
        "@page { size: A4 landscape; margin: 15mm } body { font-family: sans-serif; font-size: 9pt }"
        "table { border-collapse: collapse; width: 100% } th, td { border-bottom: 1px solid #ccc; padding: 2pt 4pt;"
        " text-align: left }</style></head><body>"
        f"<h1>Annual summary {year}</h1>"
        f"<p>{len(frame)} applications; requested {escape(_money(requested))} NOK; "
        f"granted {escape(_money(granted))} NOK.</p>{table}</body></html>"
    )
    return render_pdf(html)


@router.get(
    "/reports/annual",
    response=problem_responses(400, 403),
    openapi_extra={
        "responses": {
            "200": {
                "description": "The annual summary as a download.",
                "content": {ct.split(";")[0]: {} for ct in CONTENT_TYPES.values()},
            }
        }
    },
)
def annual_report(request: HttpRequest, filters: Query[AnnualQuery]) -> HttpResponse:
    """Secretariat. One row per application to the year's calls: scheme, call, registry, title, state, requested and
    granted amounts."""
    if not is_secretariat(request.user):
        raise NotPermitted("Only the secretariat may download the annual summary.")
    frame = annual_rows(request.user, filters.year)
    if filters.format == "csv":
        content = _csv(frame)
    elif filters.format == "xlsx":
        content = _xlsx(frame, filters.year)
    else:
        content = _pdf(frame, filters.year)
    response = HttpResponse(content, content_type=CONTENT_TYPES[filters.format])
    response["Content-Disposition"] = f'attachment; filename="annual-summary-{filters.year}.{filters.format}"'
    return response
