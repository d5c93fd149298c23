"""The default payment plan: half on the agreement, rounded down to the øre; the rest (with any øre left) on the final
report. Issue 5: "the split is exact to the øre, the remainder on the last payment"."""

from decimal import Decimal

import pytest

from finance.plan import DEFAULT_PLAN, instalments, split


@pytest.mark.parametrize(
    ("granted", "on_agreement", "on_final_report"),
    [
        ("85000.00", "42500.00", "42500.00"),
        ("85001.00", "42500.50", "42500.50"),
        ("92300.50", "46150.25", "46150.25"),
        ("90000.55", "45000.27", "45000.28"),
        ("99999.99", "49999.99", "50000.00"),
        ("1.00", "0.50", "0.50"),
        ("0.01", "0.00", "0.01"),
        ("0.03", "0.01", "0.02"),
        ("225000", "112500.00", "112500.00"),
        ("9999999999.99", "4999999999.99", "5000000000.00"),
    ],
)
def test_default_split_is_exact_to_the_ore_remainder_last(granted, on_agreement, on_final_report):
    parts = split(Decimal(granted), [Decimal(row["share"]) for row in DEFAULT_PLAN])
    result = list(zip(parts, [row["trigger"] for row in DEFAULT_PLAN], strict=True))

    assert result == [
        (Decimal(on_agreement), "agreement"),
        (Decimal(on_final_report), "final_report"),
    ]
    assert sum(amount for amount, _trigger in result) == Decimal(granted)


def test_default_plan_instalments_use_the_ore_and_drop_a_zero_part():
    assert [(i.trigger, i.amount_nok) for i in instalments(Decimal("90000.55"), None)] == [
        ("agreement", Decimal("45000.27")),
        ("final_report", Decimal("45000.28")),
    ]
    assert [(i.trigger, i.amount_nok) for i in instalments(Decimal("0.01"), [])] == [("final_report", Decimal("0.01"))]
