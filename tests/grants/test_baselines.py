"""Baselines from the registry's data: the chosen units together (sum of numerators over sum of denominators of
their rolled-up values), each unit and the nation, with suppression and the coverage mark; and the service filling
an empty baseline value from them."""

from datetime import date
from decimal import Decimal

import pytest

from grants import services
from grants.models import ApplicationIndicator
from grants.selectors import baselines
from tests.factories import ApplicationFactory, member_of

from .baseline_world import build_baseline_world

pytestmark = pytest.mark.django_db


def _rows(baseline):
    return [
        (u.orgnr, u.value.value if u.value else None, u.value.attainment if u.value else None, u.counted)
        for u in baseline.units
    ]


def test_one_hospital_is_its_own_value():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2021)], [w.h31])

    assert (b.year, b.value, b.combined.attainment, b.covers_nation) == (2021, Decimal("0.300000"), "low", False)
    assert _rows(b) == [(31, Decimal("0.3"), "low", True)]
    assert (b.nation.value, b.nation.attainment) == (Decimal("0.3"), "low")


def test_a_health_trust_is_the_sum_of_its_hospitals():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2021)], [w.hf])

    assert (b.combined.numerator, b.combined.denominator, b.value) == (Decimal("7"), Decimal("20"), Decimal("0.350000"))
    assert _rows(b) == [(20, Decimal("0.35"), "low", True)]


def test_a_hospital_chosen_with_its_health_trust_is_shown_but_not_counted_twice():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2021)], [w.h31, w.hf])

    assert b.value == Decimal("0.350000")
    assert _rows(b) == [(20, Decimal("0.35"), "low", True), (31, Decimal("0.3"), "low", False)]


def test_units_in_different_health_trusts_are_summed_before_dividing():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2021)], [w.h41, w.h31])

    # (3 + 1) / (10 + 3), not the mean of 0.3 and 0.333
    assert (b.combined.numerator, b.combined.denominator) == (Decimal("4"), Decimal("13"))
    assert (b.value, b.combined.suppressed) == (Decimal("0.307692"), False)
    assert [(u.name, u.value.suppressed, u.value.value) for u in b.units] == [
        ("Sykehus A", False, Decimal("0.3")),
        ("Sykehus C", True, None),
    ]


def test_without_units_the_baseline_is_the_nation():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2021)], [])

    assert (b.covers_nation, b.units, b.value, b.combined) == (True, (), Decimal("0.300000"), b.nation)


def test_a_suppressed_combination_fills_nothing():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2021)], [w.h41])

    assert (b.combined.suppressed, b.combined.min_denominator, b.combined.value, b.value) == (True, 5, None, None)


def test_coverage_under_60_percent_is_marked_per_unit_and_for_the_units_together():
    w = build_baseline_world()

    [alone] = baselines([(w.indicator, 2021)], [w.h31])
    [both] = baselines([(w.indicator, 2021)], [w.h31, w.h32])

    assert (alone.combined.coverage, alone.combined.low_coverage) == (Decimal("0.5"), True)
    assert [(u.orgnr, u.value.coverage, u.value.low_coverage) for u in both.units] == [
        (31, Decimal("0.5"), True),
        (32, Decimal("0.9"), False),
    ]
    assert (both.combined.coverage, both.combined.low_coverage) == (Decimal("0.7"), False)


def test_without_a_year_the_latest_year_with_data_is_used():
    w = build_baseline_world()

    [latest, earlier] = baselines([(w.indicator, None), (w.indicator, 2020)], [w.h31])

    assert (latest.year, latest.years, latest.value) == (2021, (2021, 2020), Decimal("0.300000"))
    assert (earlier.year, earlier.value, earlier.combined.attainment) == (2020, Decimal("0.100000"), "high")


def test_a_year_without_data_has_no_values():
    w = build_baseline_world()

    [b] = baselines([(w.indicator, 2019)], [w.h31])

    assert (b.year, b.combined, b.nation, b.value, _rows(b)) == (2019, None, None, None, [(31, None, None, True)])


def test_two_queries_whatever_the_number_of_indicators(django_assert_num_queries):
    w = build_baseline_world()

    with django_assert_num_queries(2):
        found = baselines([(w.indicator, 2021), (w.coverage, 2021), (w.indicator, 2020)], [w.h31, w.h32])

    assert [b.value for b in found] == [Decimal("0.350000"), Decimal("0.700000"), Decimal("0.100000")]


# ---------------------------------------------------------------- the service fills an empty baseline


def _plan(w, **row):
    return {"indicator": w.indicator.pk, "target_value": Decimal("0.2"), "target_date": date(2027, 12, 31)} | row


def test_an_empty_baseline_is_filled_from_the_participating_units_and_the_service_says_so():
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    notes: list[str] = []

    services.update_application(
        app,
        by=member_of(w.registry),
        data={"participating_units": [w.h31, w.h32], "indicators": [_plan(w, baseline_year=2021)]},
        notes=notes,
    )

    plan = ApplicationIndicator.objects.get(application=app)
    assert (plan.baseline_value, plan.baseline_year) == (Decimal("0.350000"), 2021)
    assert notes == [
        "The baseline of test_smerte was filled in from the data: 0.35 in 2021, the participating units together."
    ]


def test_the_nation_fills_the_baseline_when_no_unit_takes_part():
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    notes: list[str] = []

    services.update_application(
        app, by=member_of(w.registry), data={"indicators": [_plan(w, baseline_year=2020)]}, notes=notes
    )

    assert ApplicationIndicator.objects.get(application=app).baseline_value == Decimal("0.200000")
    assert notes == ["The baseline of test_smerte was filled in from the data: 0.2 in 2020, nationally."]


def test_the_units_already_chosen_are_used_when_the_update_does_not_name_them():
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    app.participating_units.set([w.h41, w.h31])

    services.update_application(app, by=member_of(w.registry), data={"indicators": [_plan(w, baseline_year=2021)]})

    assert ApplicationIndicator.objects.get(application=app).baseline_value == Decimal("0.307692")


def test_a_typed_baseline_overrides_the_data():
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    notes: list[str] = []

    services.update_application(
        app,
        by=member_of(w.registry),
        data={"indicators": [_plan(w, baseline_year=2021, baseline_value=Decimal("0.41"))]},
        notes=notes,
    )

    assert (ApplicationIndicator.objects.get(application=app).baseline_value, notes) == (Decimal("0.410000"), [])


def test_without_a_year_nothing_is_filled():
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    notes: list[str] = []

    services.update_application(app, by=member_of(w.registry), data={"indicators": [_plan(w)]}, notes=notes)

    assert (ApplicationIndicator.objects.get(application=app).baseline_value, notes) == (None, [])


def test_a_suppressed_or_missing_baseline_is_not_filled_and_the_service_says_why():
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    notes: list[str] = []

    services.update_application(
        app,
        by=member_of(w.registry),
        data={
            "participating_units": [w.h41],
            "indicators": [_plan(w, baseline_year=2021), _plan(w, indicator=w.coverage.pk, baseline_year=2019)],
        },
        notes=notes,
    )

    assert list(ApplicationIndicator.objects.filter(application=app).values_list("baseline_value", flat=True)) == [
        None,
        None,
    ]
    assert notes == [
        "The baseline of test_smerte was not filled in: 2021 has fewer than 5 cases.",
        "The baseline of test_dg was not filled in: there are no values for 2019.",
    ]
