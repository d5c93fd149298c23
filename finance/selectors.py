"""Reads of money: the secretariat's payment list and a project's budget versus actual."""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Sum

from grants.enums import BudgetCategory
from projects.models import Project

from . import plan
from .enums import PaymentState
from .models import BudgetLine, Expenditure, Payment


@dataclass(frozen=True)
class PaymentFilters:
    state: str = ""
    scheme: str = ""
    year: int | None = None

    @classmethod
    def from_query(cls, query: Any) -> "PaymentFilters":
        state = query.get("state", "")
        year = query.get("year", "")
        return cls(
            state=state if state in PaymentState.values else "",
            scheme=str(query.get("scheme", ""))[:50],
            year=int(year) if str(year).isdigit() and 2000 <= int(year) <= 2100 else None,
        )

    def as_query(self) -> dict[str, str]:
        pairs = {"state": self.state, "scheme": self.scheme, "year": str(self.year or "")}
        return {k: v for k, v in pairs.items() if v}


def payments(filters: PaymentFilters) -> QuerySet[Payment]:
    """Every payment (the secretariat's list), filtered by state, scheme code and the year of the grant's call."""
    qs = Payment.objects.select_related(
        "project__registry", "project__application__call__scheme", "milestone"
    ).order_by("project__application__call__year", "project_id", "order", "id")
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.scheme:
        qs = qs.filter(project__application__call__scheme__code=filters.scheme)
    if filters.year:
        qs = qs.filter(project__application__call__year=filters.year)
    return qs


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
            t.name for t in p.get_available_user_state_transitions(user) if t.name not in SYSTEM_TRANSITIONS
        ]
    return payments
