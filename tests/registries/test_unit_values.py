"""Values as shown, on a constructed tree: goal-attainment boundaries, thresholds missing, suppression, coverage."""

from decimal import Decimal

import pytest

from registries.selectors import Tree, unit_values
from tests.factories import IndicatorFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def tree():
    nation = OrganisationFactory(orgnr=1, level="nation", parent=None)
    rhf = OrganisationFactory(orgnr=10, level="rhf", parent=nation)
    hf = OrganisationFactory(orgnr=100, level="hf", parent=rhf)
    a = OrganisationFactory(orgnr=1001, level="hospital", parent=hf)
    b = OrganisationFactory(orgnr=1002, level="hospital", parent=hf)
    return nation, rhf, hf, a, b


def _value(indicator, orgnr, year, numerator, denominator):
    from registries.models import IndicatorValue

    IndicatorValue.objects.create(
        indicator=indicator, organisation_id=orgnr, year=year, numerator=numerator, denominator=denominator
    )


@pytest.mark.parametrize(
    ("direction", "numerator", "level"),
    [
        (1, 80, "high"),  # exactly at green, higher is better
        (1, 60, "moderate"),  # exactly at yellow
        (1, 59, "low"),
        (0, 20, "high"),  # exactly at green, lower is better
        (0, 40, "moderate"),  # exactly at yellow
        (0, 41, "low"),
    ],
)
def test_levels_at_the_boundaries_in_both_directions(tree, direction, numerator, level):
    green, yellow = (Decimal("0.8"), Decimal("0.6")) if direction == 1 else (Decimal("0.2"), Decimal("0.4"))
    indicator = IndicatorFactory(level_green=green, level_yellow=yellow, direction=direction, min_denominator=10)
    _value(indicator, 1001, 2020, numerator, 100)

    values = unit_values([indicator], year=2020, tree=Tree.load())[indicator.pk][2020]

    assert {o: v.attainment for o, v in values.items()} == {1001: level, 100: level, 10: level, 1: level}


def test_without_thresholds_there_is_a_value_and_no_level(tree):
    indicator = IndicatorFactory(level_green=None, level_yellow=None, direction=1)
    _value(indicator, 1001, 2020, 3, 10)

    value = unit_values([indicator], year=2020)[indicator.pk][2020][1001]

    assert (value.value, value.attainment) == (Decimal("0.3"), None)


def test_a_hospital_under_the_minimum_is_suppressed_but_counts_in_its_health_trust(tree):
    indicator = IndicatorFactory(
        level_green=Decimal("0.5"), level_yellow=Decimal("0.4"), direction=1, min_denominator=5
    )
    _value(indicator, 1001, 2020, 2, 4)  # 4 cases: fewer than 5
    _value(indicator, 1002, 2020, 5, 5)  # exactly the minimum: shown

    values = unit_values([indicator], year=2020)[indicator.pk][2020]

    small, exact, hf = values[1001], values[1002], values[100]
    assert (small.suppressed, small.value, small.raw_value, small.attainment) == (True, None, Decimal("0.5"), None)
    assert (exact.suppressed, exact.value, exact.attainment) == (False, Decimal(1), "high")
    assert (hf.numerator, hf.denominator, hf.value, hf.attainment) == (Decimal(7), Decimal(9), Decimal(7) / 9, "high")


def test_coverage_exactly_at_sixty_percent_is_not_marked(tree):
    coverage = IndicatorFactory(direction=1)
    indicator = IndicatorFactory(direction=1, coverage_indicator_id=coverage.pk)
    _value(indicator, 1001, 2020, 5, 10)
    _value(indicator, 1002, 2020, 5, 10)
    _value(coverage, 1001, 2020, 60, 100)
    _value(coverage, 1002, 2020, 59, 100)

    values = unit_values([indicator], year=2020)[indicator.pk][2020]

    assert [(values[o].coverage, values[o].low_coverage) for o in (1001, 1002)] == [
        (Decimal("0.6"), False),
        (Decimal("0.59"), True),
    ]
    assert (values[100].coverage, values[100].low_coverage) == (Decimal("0.595"), True)
