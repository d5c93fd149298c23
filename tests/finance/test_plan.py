"""finance.plan: the payment plan split to the øre, budget versus actual, unspent funds. Pure, exact."""

from decimal import Decimal as D

import pytest

from finance.plan import (
    BudgetRow,
    budget_vs_actual,
    instalments,
    per_year,
    plan_errors,
    split,
    totals,
    unspent,
)

HALVES = [D("0.5"), D("0.5")]
THIRDS = [D("0.3333"), D("0.3333"), D("0.3334")]


@pytest.mark.parametrize(
    ("amount", "shares", "parts"),
    [
        ("100000.01", HALVES, ["50000.00", "50000.01"]),
        ("85000.00", HALVES, ["42500.00", "42500.00"]),
        ("85001.00", HALVES, ["42500.50", "42500.50"]),
        ("99999.99", HALVES, ["49999.99", "50000.00"]),
        ("0.01", HALVES, ["0.00", "0.01"]),
        ("100000.00", THIRDS, ["33330.00", "33330.00", "33340.00"]),
        ("100.00", [D(1) / 3, D(1) / 3, D(1) - 2 * (D(1) / 3)], ["33.33", "33.33", "33.34"]),
        ("92300.50", [D("0.25"), D("0.25"), D("0.5")], ["23075.12", "23075.12", "46150.26"]),
        ("225000", [D("1")], ["225000.00"]),
        ("9999999999.99", HALVES, ["4999999999.99", "5000000000.00"]),
    ],
)
def test_split_rounds_down_and_puts_the_remainder_on_the_last(amount, shares, parts):
    result = split(D(amount), shares)

    assert [str(p) for p in result] == parts
    assert sum(result) == D(amount)


def test_default_plan_is_half_on_agreement_to_the_ore_and_the_rest_on_the_final_report():
    result = instalments(D("100001.01"), [])

    assert [(i.order, i.trigger, i.amount_nok) for i in result] == [
        (0, "agreement", D("50000.50")),
        (1, "final_report", D("50000.51")),
    ]


def test_a_scheme_plan_of_halves_splits_to_the_ore():
    plan = [{"trigger": "agreement", "share": "0.5"}, {"trigger": "final_report", "share": "0.5"}]

    result = instalments(D("100001.01"), plan)

    assert [(i.trigger, i.amount_nok) for i in result] == [
        ("agreement", D("50000.50")),
        ("final_report", D("50000.51")),
    ]


def test_scheme_plan_with_a_milestone_payment_in_thirds():
    plan = [
        {"trigger": "agreement", "share": "0.4"},
        {"trigger": "milestone", "share": "0.3"},
        {"trigger": "final_report", "share": "0.3"},
    ]

    result = instalments(D("90000.03"), plan)

    assert [(i.trigger, i.amount_nok) for i in result] == [
        ("agreement", D("36000.01")),
        ("milestone", D("27000.00")),
        ("final_report", D("27000.02")),
    ]


def test_a_part_rounding_to_nothing_is_left_out():
    assert [(i.order, i.amount_nok) for i in instalments(D("0.01"), [])] == [(1, D("0.01"))]


@pytest.mark.parametrize(
    ("plan", "errors"),
    [
        ([], []),
        ([{"trigger": "agreement", "share": "1"}], []),
        ([{"trigger": "agreement", "share": 0.5}, {"trigger": "final_report", "share": 0.5}], []),
        (
            [{"trigger": "agreement", "share": "0.5"}, {"trigger": "final_report", "share": "0.4"}],
            ["The shares must add up to exactly 1 (they add up to 0.9)."],
        ),
        (
            [{"trigger": "signature", "share": "1"}],
            ["Payment 1: the trigger must be one of agreement, milestone, final_report."],
        ),
        (
            [{"trigger": "agreement", "share": "0"}, {"trigger": "final_report", "share": "1"}],
            ["Payment 1: the share must be a number above 0 and at most 1."],
        ),
        ([{"trigger": "agreement", "share": "abc"}], ["Payment 1: the share must be a number above 0 and at most 1."]),
        ([{"trigger": "agreement", "share": "1", "x": 1}], ["Payment 1: give only a trigger and a share."]),
        ("half", ["The payment plan must be a list of payments, each with a trigger and a share."]),
    ],
)
def test_plan_errors(plan, errors, settings):
    settings.LANGUAGE_CODE = "en"
    from django.utils import translation

    with translation.override("en"):
        assert plan_errors(plan) == errors


def test_budget_versus_actual_per_line_with_unbudgeted_spending():
    budget = [(2027, "salary", D("60000.00")), (2027, "travel", D("10000.00")), (2028, "salary", D("20000.00"))]
    spent = [
        (2027, "salary", D("30000.10")),
        (2027, "salary", D("25000.05")),
        (2027, "equipment", D("1999.99")),
        (2028, "salary", D("0.01")),
    ]

    rows = budget_vs_actual(budget, spent, ["salary", "operating", "travel", "equipment", "other"])

    assert [(r.year, r.category, r.budget_nok, r.actual_nok, r.remaining_nok) for r in rows] == [
        (2027, "salary", D("60000.00"), D("55000.15"), D("4999.85")),
        (2027, "travel", D("10000.00"), D("0.00"), D("10000.00")),
        (2027, "equipment", D("0.00"), D("1999.99"), D("-1999.99")),
        (2028, "salary", D("20000.00"), D("0.01"), D("19999.99")),
    ]
    assert totals(rows) == (D("90000.00"), D("57000.15"))
    assert per_year(rows) == [(2027, D("70000.00"), D("57000.14")), (2028, D("20000.00"), D("0.01"))]


def test_budget_row_remaining():
    assert BudgetRow(2027, "salary", D("10.00"), D("10.01")).remaining_nok == D("-0.01")


@pytest.mark.parametrize(
    ("paid", "spent", "owed"),
    [("45000.00", "30000.01", "14999.99"), ("45000.00", "45000.00", "0.00"), ("45000.00", "50000.00", "0.00")],
)
def test_unspent_is_paid_minus_spent_never_negative(paid, spent, owed):
    assert unspent(D(paid), D(spent)) == D(owed)
