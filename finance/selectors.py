"""Reads of money: the secretariat's payment list and a project's budget versus actual."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import DecimalField, OuterRef, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core import listing
from core.listing import ListFilters, ListSpec
from grants.enums import BudgetCategory
from projects.models import Project

from . import plan
from .enums import PaymentState
from .models import BudgetLine, Expenditure, Payment

MONEY = DecimalField(max_digits=14, decimal_places=2)


def paid_total() -> Coalesce:
    """For annotating projects: the sum of each project's paid payments (0.00 when none), as one subquery, so a list
    of projects with what was paid out is still one query."""
    paid = (
        Payment.objects.filter(project=OuterRef("pk"), state=PaymentState.PAID)
        .order_by()
        .values("project")
        .annotate(total=Sum("amount_nok"))
        .values("total")
    )
    return Coalesce(Subquery(paid, output_field=MONEY), Value(Decimal("0.00")), output_field=MONEY)


PAYMENT_LIST = ListSpec(
    filters={
        "scheme": "project__application__call__scheme__code",
        "call": "project__application__call_id",
        "year": "project__application__call__year",
        "region": "project__registry__region",
        "registry": "project__registry_id",
        "state": "state",
    },
    search=("project__title", "project__registry__name", "project__registry__short_name", "reference"),
    sorts={
        "project": "project__title",
        "registry": "project__registry__short_name",
        "scheme": "project__application__call__scheme__code",
        "year": "project__application__call__year",
        "trigger": "trigger",
        "amount": "amount_nok",
        "state": "state",
        "due": "due_on",
        "paid": "paid_on",
    },
    default_order=("project__application__call__year", "project_id", "order", "pk"),
    states=tuple(PaymentState.values),
)


class PaymentFilters(ListFilters):
    """The payment list's filters: the shared list filters with the payment states and sorts."""

    @classmethod
    def from_query(cls, query: Any, spec: ListSpec = PAYMENT_LIST) -> "PaymentFilters":
        return super().from_query(query, spec)


def payments(filters: ListFilters) -> QuerySet[Payment]:
    """Every payment (the secretariat's list), filtered, searched and sorted; by default by the year of the grant's
    call and the project."""
    qs = Payment.objects.select_related("project__registry", "project__application__call__scheme", "milestone")
    return listing.apply(qs, filters, PAYMENT_LIST)


def totals_by_state(qs: QuerySet[Payment]) -> tuple[list[tuple[str, str, Decimal]], Decimal]:
    """(state, label, sum) for each state present, and the grand total; one query."""
    sums = dict(qs.order_by().values_list("state").annotate(total=Sum("amount_nok")).values_list("state", "total"))
    rows = [(value, str(label), sums[value]) for value, label in PaymentState.choices if value in sums]
    return rows, sum((s for _v, _l, s in rows), plan.ZERO)


@dataclass(frozen=True)
class ProjectFinance:
    lines: list[plan.BudgetRow]
    years: list[tuple[int, Decimal, Decimal]]
    budget_total: Decimal
    spent_total: Decimal
    paid_total: Decimal


def project_finance(project: Project) -> ProjectFinance:
    """Budget versus actual per year and category (three queries)."""
    budget = BudgetLine.objects.filter(application_id=project.application_id).values_list(
        "year", "category", "amount_nok"
    )
    spent = Expenditure.objects.filter(project=project).values_list("year", "category", "amount_nok")
    lines = plan.budget_vs_actual(list(budget), list(spent), BudgetCategory.values)
    budget_total, spent_total = plan.totals(lines)
    paid = project.payments.filter(state=PaymentState.PAID).aggregate(s=Sum("amount_nok"))["s"] or plan.ZERO
    return ProjectFinance(lines, plan.per_year(lines), budget_total, spent_total, paid)


SYSTEM_TRANSITIONS = {"become_due"}  # fired by the system on the payment's trigger, never by a person


def with_actions(payments: list[Payment], user: Any) -> list[Payment]:
    """Attach `actions`: the payment transitions this user may fire now (no queries)."""
    for p in payments:
        p.actions = [  # type: ignore[attr-defined]
            t.name
            for t in p.get_available_user_state_transitions(user)  # type: ignore[attr-defined]
            if t.name not in SYSTEM_TRANSITIONS
        ]
    return payments
