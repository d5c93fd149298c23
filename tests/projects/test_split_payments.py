"""The default payment plan: half on the agreement, rounded down to whole kroner; the rest on the final report."""

from decimal import Decimal

import pytest

from finance.plan import DEFAULT_PLAN, KRONE, split


@pytest.mark.parametrize(
    ("granted", "on_agreement", "on_final_report"),
    [
        ("85000.00", "42500", "42500.00"),
        ("85001.00", "42500", "42501.00"),
        ("92300.50", "46150", "46150.50"),
        ("90000.55", "45000", "45000.55"),
        ("99999.99", "49999", "50000.99"),
        ("1.00", "0", "1.00"),
        ("0.50", "0", "0.50"),
        ("3.00", "1", "2.00"),
        ("225000", "112500", "112500"),
        ("9999999999.99", "4999999999", "5000000000.99"),
    ],
)
def test_split_is_exact_and_whole_kroner_first(granted, on_agreement, on_final_report):
    parts = split(Decimal(granted), [Decimal(row["share"]) for row in DEFAULT_PLAN], KRONE)
    result = list(zip(parts, [row["trigger"] for row in DEFAULT_PLAN], strict=True))

    assert result == [
        (Decimal(on_agreement), "agreement"),
        (Decimal(on_final_report), "final_report"),
    ]
    assert sum(amount for amount, _trigger in result) == Decimal(granted)
