"""Pure money arithmetic of the follow-up: the payment plan, budget versus actual, reallocation, unspent funds.

No database access here: every function takes plain values and returns plain values, so each rule has exact tests
(tests/finance/test_plan.py). Money is Decimal with two places (øre) throughout.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from .enums import PaymentTrigger

ORE = Decimal("0.01")
ZERO = Decimal("0.00")
# Empty Scheme.payment_plan means this: half when the agreement is accepted, the rest on the approved final report.
DEFAULT_PLAN: list[dict[str, str]] = [
    {"trigger": PaymentTrigger.AGREEMENT.value, "share": "0.5"},
    {"trigger": PaymentTrigger.FINAL_REPORT.value, "share": "0.5"},
]


@dataclass(frozen=True)
class Instalment:
    order: int
    trigger: str
    amount_nok: Decimal


def _share(value: Any) -> Decimal | None:
    if isinstance(value, bool) or not isinstance(value, (str, int, float, Decimal)):
        return None
    try:
        # float → str first: 0.1 must mean one tenth, not 0.1000000000000000055...
        share = Decimal(str(value))
    except InvalidOperation:
        return None
    return share if share.is_finite() else None


def plan_errors(plan: Any) -> list[str]:
    """What is wrong with a scheme's payment plan (empty: nothing; an empty plan is the default)."""
    if plan in (None, []):
        return []
    if not isinstance(plan, list):
        return [_("The payment plan must be a list of payments, each with a trigger and a share.")]
    errors: list[str] = []
    total = Decimal(0)
    for number, item in enumerate(plan, start=1):
        if not isinstance(item, dict) or set(item) - {"trigger", "share"}:
            errors.append(_("Payment %(n)s: give only a trigger and a share.") % {"n": number})
            continue
        if item.get("trigger") not in PaymentTrigger.values:
            errors.append(
                _("Payment %(n)s: the trigger must be one of %(triggers)s.")
                % {"n": number, "triggers": ", ".join(PaymentTrigger.values)}
            )
        share = _share(item.get("share"))
        if share is None or not Decimal(0) < share <= Decimal(1):
            errors.append(_("Payment %(n)s: the share must be a number above 0 and at most 1.") % {"n": number})
            continue
        total += share
    if not errors and total != Decimal(1):
        errors.append(_("The shares must add up to exactly 1 (they add up to %(total)s).") % {"total": total})
    return errors


def normalised_plan(plan: Sequence[Mapping[str, Any]] | None) -> list[tuple[str, Decimal]]:
    """(trigger, share) of a valid plan, the default when empty."""
    rows = plan or DEFAULT_PLAN
    return [(str(item["trigger"]), Decimal(str(item["share"]))) for item in rows]


def split(amount: Decimal, shares: Sequence[Decimal], quantum: Decimal = ORE) -> list[Decimal]:
    """`amount` split by `shares` (summing to 1): each share rounded DOWN to `quantum` (the øre), the remainder on
    the last, so the parts always add up to exactly `amount` and no payment but the last is ever rounded up."""
    if not shares:
        raise ValueError("a payment plan has at least one payment")
    amount = amount.quantize(ORE)
    parts = [(amount * share).quantize(quantum, rounding=ROUND_DOWN).quantize(ORE) for share in shares[:-1]]
    parts.append(amount - sum(parts, ZERO))
    return parts


def instalments(amount: Decimal, plan: Sequence[Mapping[str, Any]] | None) -> list[Instalment]:
    """The payments of a granted amount under a scheme's plan, in order. A part of 0.00 (a tiny grant) is left out:
    a payment is always positive. Every plan, the default included, splits to the øre with the remainder on the last."""
    rows = normalised_plan(plan)
    parts = split(amount, [share for _trigger, share in rows])
    return [
        Instalment(order=i, trigger=trigger, amount_nok=part)
        for i, ((trigger, _share), part) in enumerate(zip(rows, parts, strict=True))
        if part > 0
    ]


# ---------------------------------------------------------------- budget versus actual


@dataclass(frozen=True)
class BudgetRow:
    year: int
    category: str
    budget_nok: Decimal
    actual_nok: Decimal

    @property
    def remaining_nok(self) -> Decimal:
        return self.budget_nok - self.actual_nok


def sum_by_line(rows: Iterable[tuple[int, str, Decimal]]) -> dict[tuple[int, str], Decimal]:
    totals: dict[tuple[int, str], Decimal] = {}
    for year, category, amount in rows:
        totals[(year, category)] = totals.get((year, category), ZERO) + amount
    return totals


def budget_vs_actual(
    budget: Iterable[tuple[int, str, Decimal]],
    spent: Iterable[tuple[int, str, Decimal]],
    category_order: Sequence[str] = (),
) -> list[BudgetRow]:
    """One row per (year, category) that has a budget or spending: the budget, the sum spent, the difference. Lines
    with spending but no budget show a budget of 0.00 (an overspend to explain)."""
    planned = sum_by_line(budget)
    actual = sum_by_line(spent)
    rank = {c: i for i, c in enumerate(category_order)}
    keys = sorted(set(planned) | set(actual), key=lambda k: (k[0], rank.get(k[1], len(rank)), k[1]))
    return [BudgetRow(y, c, planned.get((y, c), ZERO), actual.get((y, c), ZERO)) for y, c in keys]


def totals(rows: Iterable[BudgetRow]) -> tuple[Decimal, Decimal]:
    rows = list(rows)
    return sum((r.budget_nok for r in rows), ZERO), sum((r.actual_nok for r in rows), ZERO)


def per_year(rows: Iterable[BudgetRow]) -> list[tuple[int, Decimal, Decimal]]:
    """(year, budget, actual) per year: the expenditure report per year."""
    years: dict[int, tuple[Decimal, Decimal]] = {}
    for r in rows:
        b, a = years.get(r.year, (ZERO, ZERO))
        years[r.year] = (b + r.budget_nok, a + r.actual_nok)
    return [(y, b, a) for y, (b, a) in sorted(years.items())]


def unspent(paid: Decimal, spent: Decimal) -> Decimal:
    """What the registry must return at close-out: paid out minus spent, never negative (spending beyond what was
    paid is not owed by us through this rule: it is the registry's own cost unless a change request moved money)."""
    return max(paid - spent, ZERO).quantize(ORE)
