"""Business actions on money: expenditure reports, payments, close-out and returned funds."""

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.rules import is_secretariat
from audit.services import record
from core.exceptions import ActionRefused, NotPermitted
from core.workflow import fire
from grants.enums import BudgetCategory
from projects import rules as project_rules
from projects.enums import ProjectState
from projects.models import Project

from . import plan
from .enums import PaymentState
from .models import Expenditure, Payment

MAX_MONEY = Decimal("9999999999.99")
YEARS = range(2000, 2101)


# ---------------------------------------------------------------- validation of money and dates


def parse_money(value: Any, *, allow_zero: bool = True) -> tuple[Decimal | None, str]:
    """(amount, "") or (None, message). A float is refused: money never passes through binary floating point."""
    if isinstance(value, (bool, float)) or value is None or value == "":
        return None, _("Give an amount in NOK, e.g. 85000.00.")
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace(",", "."))
    except InvalidOperation:
        return None, _("Give an amount in NOK, e.g. 85000.00.")
    if not amount.is_finite():
        return None, _("Give an amount in NOK, e.g. 85000.00.")
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return None, _("At most two decimals (øre).")
    if amount < 0 or (amount == 0 and not allow_zero):
        return None, _("The amount must be above 0.") if not allow_zero else _("The amount cannot be negative.")
    if amount > MAX_MONEY:
        return None, _("The amount is too large.")
    return amount.quantize(plan.ORE), ""


def parse_date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            return None
    return None


def _refuse(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)


# ---------------------------------------------------------------- expenditure


def _expenditure_errors(rows: Any, field: str) -> tuple[list[tuple[int, str, Decimal, str]], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    clean: list[tuple[int, str, Decimal, str]] = []
    if not isinstance(rows, list):
        return [], {field: [_("Give the spending as a list of rows with year, category and amount.")]}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors[f"{field}.{i}"] = [_("Give year, category and amount.")]
            continue
        year, category = row.get("year"), row.get("category")
        if isinstance(year, bool) or not isinstance(year, int) or year not in YEARS:
            errors[f"{field}.{i}.year"] = [_("Give a year between 2000 and 2100.")]
        if category not in BudgetCategory.values:
            errors[f"{field}.{i}.category"] = [
                _("Choose one of the budget categories: %(choices)s.") % {"choices": ", ".join(BudgetCategory.values)}
            ]
        amount, problem = parse_money(row.get("amount_nok"))
        if amount is None:
            errors[f"{field}.{i}.amount_nok"] = [problem]
        note = str(row.get("note") or "")
        if len(note) > 200:
            errors[f"{field}.{i}.note"] = [_("At most 200 characters.")]
        if amount is not None and f"{field}.{i}.year" not in errors and f"{field}.{i}.category" not in errors:
            clean.append((int(str(year)), str(category), amount, note))
    return clean, errors


def record_expenditures(report: Any, rows: Any, *, by: Any, field: str = "spending") -> list[Expenditure]:
    """The spending a progress report states, per year and budget category, as Expenditure rows linked to it.

    Submitting the report again (after it was returned) replaces the rows it stated before, so nothing is counted
    twice. Call it inside the report's own service; it checks only that `by` may see the project. Errors name the
    field as `<field>.<row>.<key>`.
    """
    project = report.project
    if not project_rules.can_view_project(by, project):
        raise NotPermitted()
    clean, errors = _expenditure_errors(rows, field)
    _refuse(errors)
    with transaction.atomic():
        replaced = Expenditure.objects.filter(progress_report=report).delete()[0]
        created = Expenditure.objects.bulk_create(
            Expenditure(
                project=project,
                year=year,
                category=category,
                amount_nok=amount,
                note=note,
                progress_report=report,
                reported_by=by,
            )
            for year, category, amount, note in clean
        )
        record(
            project,
            "finance.expenditure.report",
            actor=by,
            data={
                "progress_report": report.pk,
                "replaced": replaced,
                "rows": [{"year": y, "category": c, "amount_nok": str(a)} for y, c, a, _n in clean],
            },
        )
    return created


# ---------------------------------------------------------------- payments


def approve_payment(payment: Payment, *, by: Any, comment: str = "") -> Payment:
    def stamp(locked: Payment) -> None:
        locked.approved_by = by
        locked.save(update_fields=["approved_by"])

    return fire(payment, "approve", by=by, comment=comment, after=stamp)


def mark_paid(payment: Payment, *, by: Any, reference: str = "", paid_on: Any = None, comment: str = "") -> Payment:
    """Paid out: the accounts' payment reference and the date the money left are required."""
    reference = (reference or "").strip()
    day = parse_date(paid_on)

    def check(locked: Payment) -> None:
        errors: dict[str, list[str]] = {}
        if not reference:
            errors["reference"] = [_("Give the payment reference from the accounts.")]
        elif len(reference) > 100:
            errors["reference"] = [_("At most 100 characters.")]
        if day is None:
            errors["paid_on"] = [_("Give the payment date (YYYY-MM-DD).")]
        elif day > timezone.localdate():
            errors["paid_on"] = [_("The payment date cannot be in the future.")]
        _refuse(errors)

    def stamp(locked: Payment) -> None:
        locked.reference, locked.paid_on = reference, day
        locked.save(update_fields=["reference", "paid_on"])
        project = Project.objects.select_for_update().get(pk=locked.project_id)
        if project.unspent_nok is not None:  # already closed out: a later payment changes what is owed back
            close_out(project)

    return fire(
        payment,
        "pay",
        by=by,
        comment=comment,
        check=check,
        after=stamp,
        data={"reference": reference, "paid_on": day.isoformat() if day else None},
    )


def cancel_payment(payment: Payment, *, by: Any, comment: str = "") -> Payment:
    def check(locked: Payment) -> None:
        if not comment.strip():
            msg = _("Give the reason for cancelling the payment.")
            raise ActionRefused(msg, {"comment": [msg]})

    return fire(payment, "cancel", by=by, comment=comment, check=check)


PAYMENT_ACTIONS = {"approve": approve_payment, "pay": mark_paid, "cancel": cancel_payment}


# ---------------------------------------------------------------- close-out


def paid_total(project: Project) -> Decimal:
    total = project.payments.filter(state=PaymentState.PAID).aggregate(s=Sum("amount_nok"))["s"]
    return total or plan.ZERO


def spent_total(project: Project) -> Decimal:
    return project.expenditures.aggregate(s=Sum("amount_nok"))["s"] or plan.ZERO


def close_out(project: Project) -> Decimal:
    """Store what must be returned: paid so far minus spent, never negative (called inside the transaction that
    approves the final report or terminates the project, and again when a payment is paid after that). Not audited
    on its own: it is derived from the audited payments and expenditure reports."""
    paid, spent = paid_total(project), spent_total(project)
    project.unspent_nok = plan.unspent(paid, spent)
    project.save(update_fields=["unspent_nok"])
    return project.unspent_nok


CLOSED_STATES = (ProjectState.CLOSED, ProjectState.TERMINATED)


def record_funds_return(
    project: Project, *, by: Any, amount_nok: Any, returned_on: Any, reference: str = ""
) -> Project:
    """The registry has paid back unspent funds: amount, date and the accounts' reference (secretariat)."""
    if not is_secretariat(by):
        raise NotPermitted()
    amount, problem = parse_money(amount_nok, allow_zero=False)
    day = parse_date(returned_on)
    reference = (reference or "").strip()
    errors: dict[str, list[str]] = {}
    if amount is None:
        errors["amount_nok"] = [problem]
    if day is None:
        errors["returned_on"] = [_("Give the date the money was returned (YYYY-MM-DD).")]
    elif day > timezone.localdate():
        errors["returned_on"] = [_("The date cannot be in the future.")]
    if not reference:
        errors["reference"] = [_("Give the payment reference from the accounts.")]
    elif len(reference) > 100:
        errors["reference"] = [_("At most 100 characters.")]
    _refuse(errors)
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.state not in CLOSED_STATES or locked.unspent_nok is None:
            raise ActionRefused(_("Returned funds are recorded after close-out (final report approved or terminated)."))
        previous = {
            "amount_nok": str(locked.funds_returned_nok) if locked.funds_returned_nok is not None else None,
            "returned_on": locked.funds_returned_on.isoformat() if locked.funds_returned_on else None,
            "reference": locked.funds_return_reference,
        }
        locked.funds_returned_nok, locked.funds_returned_on, locked.funds_return_reference = amount, day, reference
        locked.save(update_fields=["funds_returned_nok", "funds_returned_on", "funds_return_reference"])
        record(
            locked,
            "finance.funds.return",
            actor=by,
            data={
                "before": previous,
                "after": {
                    "amount_nok": str(amount),
                    "returned_on": day.isoformat() if day else None,
                    "reference": reference,
                },
            },
        )
    return locked
