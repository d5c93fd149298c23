"""The money part of the project page: payments (with the secretariat's actions), budget versus actual, close-out."""

from typing import Any

from django import template

from accounts.rules import is_secretariat
from finance import plan
from finance.selectors import project_finance as finance_of
from finance.selectors import with_actions
from finance.services import CLOSED_STATES
from grants.enums import BudgetCategory

register = template.Library()


@register.inclusion_tag("finance/_project_finance.html", takes_context=True)
def project_finance(context: template.Context, project: Any) -> dict[str, Any]:
    request = context["request"]
    user = request.user
    finance = finance_of(project)
    labels = dict(BudgetCategory.choices)
    return {
        "lines": [
            (r.year, labels.get(r.category, r.category), r.budget_nok, r.actual_nok, r.remaining_nok)
            for r in finance.lines
        ],
        "show_actions": is_secretariat(user),
        "project": project,
        "payments": with_actions(list(project.payments.select_related("milestone").order_by("order", "id")), user),
        "finance": finance,
        "can_record_return": is_secretariat(user)
        and project.state in CLOSED_STATES
        and project.unspent_nok is not None,
        "next": request.get_full_path(),
        "csrf_token": context.get("csrf_token"),
        "request": request,
    }


@register.inclusion_tag("finance/_final_accounts.html")
def final_accounts(project: Any) -> dict[str, Any]:
    """The final accounts of the final report (page and PDF): budget versus spent per line, paid out, unspent."""
    finance = finance_of(project)
    labels = dict(BudgetCategory.choices)
    return {
        "project": project,
        "finance": finance,
        "lines": [
            (r.year, labels.get(r.category, r.category), r.budget_nok, r.actual_nok, r.remaining_nok)
            for r in finance.lines
        ],
        "unspent": plan.unspent(finance.paid_total, finance.spent_total),
    }
