"""Indicator values at every unit level, computed from SKDE's own files as loaddemo loads them, against an
independent computation straight from the CSV files (csv module, no pandas, no ORM)."""

import csv
from collections import defaultdict
from decimal import Decimal

import pytest
from django.db import transaction

from registries.demo import DATA_DIR, load_demo
from registries.models import Indicator
from registries.selectors import NATION, unit_values

pytestmark = pytest.mark.django_db
SKDE = DATA_DIR / "skde"


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(with_users=False, say=lambda text: None)
        transaction.set_rollback(True)


def _rows(name: str) -> list[dict[str, str]]:
    with (SKDE / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh, delimiter=";"))


def _parents() -> dict[int, int | None]:
    parents = {int(r["OrgNr"]): int(r["NivaaOpp"]) for r in _rows("hospital_structure.csv")}
    parents[NATION] = None
    return parents


def _expected(file: str, ind_id: str, year: int) -> dict[int, tuple[Decimal, Decimal]]:
    """Sum var and denominator (1 per event row) into the unit and every unit above it; a unit outside the tree
    counts for itself and the nation."""
    parents = _parents()
    sums: dict[int, list[Decimal]] = defaultdict(lambda: [Decimal(0), Decimal(0)])
    for row in _rows(file):
        if row["ind_id"] != ind_id or int(row["year"]) != year:
            continue
        var, den = Decimal(row["var"]), Decimal(row.get("denominator", "1"))
        unit: int | None = int(row["orgnr"])
        chain = []
        while unit is not None:
            chain.append(unit)
            unit = parents.get(unit, NATION) if unit != NATION else None
        for unit in chain:
            sums[unit][0] += var
            sums[unit][1] += den
    return {unit: (n, d) for unit, (n, d) in sums.items()}


@pytest.mark.parametrize(
    ("file", "data_id", "ind_id", "year"),
    [
        ("nkr_rygg.csv", "nkr_rygg_saarinfeksjon_prolaps", "rygg_saarinfeksjon_prolaps", 2019),
        ("nnrr.csv", "nnrr_jobb", "nnrr_jobb", 2019),
        ("norgastdata.csv", "norgast_saarruptur", "norgast_saarruptur", 2018),
    ],
)
def test_values_at_every_unit_level_match_the_files(demo, file, data_id, ind_id, year):
    indicator = Indicator.objects.get(pk=ind_id)
    expected = _expected(file, data_id, year)

    values = unit_values([indicator], year=year)[ind_id][year]

    assert {o: (v.numerator, v.denominator) for o, v in values.items()} == expected
    levels = {v.unit_level for v in values.values()}
    assert {"hospital", "hf", "rhf", "nation"} <= levels
    for orgnr, value in values.items():
        n, d = expected[orgnr]
        assert value.raw_value == n / d
        assert value.suppressed == (d < indicator.min_denominator)
        assert value.attainment == (None if value.suppressed else indicator.level_for(n / d))


def test_the_national_level_of_a_lower_is_better_indicator_from_the_files(demo):
    """rygg_saarinfeksjon_prolaps: lower is better, green = yellow = 2 %, so high or low, never moderate."""
    indicator = Indicator.objects.get(pk="rygg_saarinfeksjon_prolaps")
    n, d = _expected("nkr_rygg.csv", "nkr_rygg_saarinfeksjon_prolaps", 2019)[NATION]

    nation = unit_values([indicator], year=2019, orgnrs=[NATION])["rygg_saarinfeksjon_prolaps"][2019][NATION]

    assert (indicator.level_green, indicator.level_yellow, indicator.direction) == (
        Decimal("0.02"),
        Decimal("0.02"),
        0,
    )
    assert nation.raw_value == n / d
    assert nation.attainment == ("high" if n / d <= Decimal("0.02") else "low")


def test_aggregated_files_with_national_rows_keep_their_own_national_row(demo):
    """lymfoide_maligniteter.csv delivers orgnr 1 itself: that row is the nation, not the sum of the hospitals."""
    rows = [r for r in _rows("lymfoide_maligniteter.csv") if r["ind_id"] == "lymfoid_biopsi" and r["orgnr"] == "1"]
    year = int(rows[0]["year"])
    indicator = Indicator.objects.get(pk="lymfoid_biopsi")

    nation = unit_values([indicator], year=year)["lymfoid_biopsi"][year][NATION]

    assert (nation.numerator, nation.denominator) == (Decimal(rows[0]["var"]), Decimal(rows[0]["denominator"]))


def test_coverage_from_the_linked_indicator_marks_units_under_sixty_percent(demo):
    indicator = Indicator.objects.get(pk="lymfoid_biopsi")
    coverage = Indicator.objects.get(pk=indicator.coverage_indicator_id)

    values = unit_values([indicator, coverage])
    shares = values[coverage.pk]

    checked = 0
    for year, units in values[indicator.pk].items():
        for orgnr, value in units.items():
            share = shares.get(year, {}).get(orgnr)
            assert value.coverage == (share.raw_value if share else None)
            assert value.low_coverage == (share is not None and share.raw_value < Decimal("0.6"))
            checked += 1
    assert checked > 20
