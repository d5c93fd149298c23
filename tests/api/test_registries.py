"""Registries, their indicators, and indicator values rolled up hospital → HF → RHF → nation."""

from decimal import Decimal

import pytest

from registries.models import IndicatorValue
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory, UserFactory

from .helpers import problem

pytestmark = pytest.mark.django_db


def test_registries_are_listed_with_the_contract_fields(api):
    registry = RegistryFactory(name="Norsk nakke- og ryggregister", short_name="NKR", region="Nord")

    response = api(UserFactory()).get(f"/registries/{registry.pk}")

    assert response.json() == {
        "id": registry.pk,
        "name": "Norsk nakke- og ryggregister",
        "short_name": "NKR",
        "region": "Nord",
    }


def test_a_registrys_indicators_carry_direction_and_thresholds(api):
    registry = RegistryFactory()
    IndicatorFactory(
        id="tonsil_smerte",
        registry=registry,
        title="Kontakt pga. smerte",
        level_green=Decimal("0.15"),
        level_yellow=Decimal("0.25"),
        direction=0,
    )
    IndicatorFactory(
        id="tonsil_dg",
        registry=registry,
        title="Dekningsgrad",
        level_green=Decimal("0.8"),
        level_yellow=None,
        direction=1,
    )

    response = api(UserFactory()).get(f"/registries/{registry.pk}/indicators")

    assert response.json() == [
        {
            "id": "tonsil_dg",
            "title": "Dekningsgrad",
            "direction": "higher_is_better",
            "level_green": 0.8,
            "level_yellow": 0.8,
        },
        {
            "id": "tonsil_smerte",
            "title": "Kontakt pga. smerte",
            "direction": "lower_is_better",
            "level_green": 0.15,
            "level_yellow": 0.25,
        },
    ]


@pytest.fixture
def tree():
    nation = OrganisationFactory(orgnr=1, name="Nasjonalt", level="nation")
    rhf = OrganisationFactory(orgnr=883658752, name="Helse Nord RHF", level="rhf", parent=nation)
    hf = OrganisationFactory(orgnr=983974880, name="Finnmark HF", level="hf", parent=rhf)
    hammerfest = OrganisationFactory(orgnr=974285959, name="Hammerfest", level="hospital", parent=hf)
    kirkenes = OrganisationFactory(orgnr=974795361, name="Kirkenes", level="hospital", parent=hf)
    return {"nation": nation, "rhf": rhf, "hf": hf, "hammerfest": hammerfest, "kirkenes": kirkenes}


def _value(indicator, org, year, numerator, denominator):
    IndicatorValue.objects.create(
        indicator=indicator, organisation=org, year=year, numerator=numerator, denominator=denominator
    )


def test_hospital_values_roll_up_to_hf_rhf_and_nation(api, tree):
    indicator = IndicatorFactory(level_green=Decimal("0.15"), level_yellow=Decimal("0.25"), direction=0)
    _value(indicator, tree["hammerfest"], 2020, 3, 30)
    _value(indicator, tree["kirkenes"], 2020, 5, 10)

    response = api(UserFactory()).get(f"/indicators/{indicator.pk}/values")

    assert response.json() == [
        {
            "year": 2020,
            "orgnr": 1,
            "unit_level": "nation",
            "numerator": 8.0,
            "denominator": 40.0,
            "value": 0.2,
            "level": "moderate",
            "suppressed": False,
            "coverage": None,
            "low_coverage": False,
        },
        {
            "year": 2020,
            "orgnr": 883658752,
            "unit_level": "rhf",
            "numerator": 8.0,
            "denominator": 40.0,
            "value": 0.2,
            "level": "moderate",
            "suppressed": False,
            "coverage": None,
            "low_coverage": False,
        },
        {
            "year": 2020,
            "orgnr": 983974880,
            "unit_level": "hf",
            "numerator": 8.0,
            "denominator": 40.0,
            "value": 0.2,
            "level": "moderate",
            "suppressed": False,
            "coverage": None,
            "low_coverage": False,
        },
        {
            "year": 2020,
            "orgnr": 974285959,
            "unit_level": "hospital",
            "numerator": 3.0,
            "denominator": 30.0,
            "value": 0.1,
            "level": "high",
            "suppressed": False,
            "coverage": None,
            "low_coverage": False,
        },
        {
            "year": 2020,
            "orgnr": 974795361,
            "unit_level": "hospital",
            "numerator": 5.0,
            "denominator": 10.0,
            "value": 0.5,
            "level": "low",
            "suppressed": False,
            "coverage": None,
            "low_coverage": False,
        },
    ]


def test_a_delivered_national_row_wins_over_the_sum_of_hospitals(api, tree):
    indicator = IndicatorFactory()
    _value(indicator, tree["hammerfest"], 2020, 3, 30)
    _value(indicator, tree["nation"], 2020, 220, 1000)

    response = api(UserFactory()).get(f"/indicators/{indicator.pk}/values", unit=1)

    assert [(r["orgnr"], r["numerator"], r["denominator"], r["value"]) for r in response.json()] == [
        (1, 220.0, 1000.0, 0.22)
    ]


def test_values_for_one_unit_and_year(api, tree):
    indicator = IndicatorFactory()
    for year, numerator in ((2019, 1), (2020, 2)):
        _value(indicator, tree["hammerfest"], year, numerator, 4)
        _value(indicator, tree["kirkenes"], year, numerator, 4)

    response = api(UserFactory()).get(f"/indicators/{indicator.pk}/values", unit=tree["hf"].pk, year=2020)

    assert [(r["year"], r["orgnr"], r["unit_level"], r["value"], r["suppressed"]) for r in response.json()] == [
        (2020, 983974880, "hf", 0.5, False)
    ]


def test_a_value_with_fewer_observations_than_the_minimum_is_suppressed(api, tree):
    indicator = IndicatorFactory()
    _value(indicator, tree["hammerfest"], 2020, 1, 4)

    response = api(UserFactory()).get(f"/indicators/{indicator.pk}/values", unit=tree["hammerfest"].pk)

    # "fewer than 5": the count of cases is known, the result is not shown.
    assert [(r["numerator"], r["denominator"], r["value"], r["level"], r["suppressed"]) for r in response.json()] == [
        (None, 4.0, None, None, True)
    ]


def test_an_unknown_unit_is_refused(api, tree):
    indicator = IndicatorFactory()

    response = api(UserFactory()).get(f"/indicators/{indicator.pk}/values", unit=12345)

    assert response.status_code == 400
    assert problem(response)["errors"] == {"unit": ["No organisation with number 12345."]}


def test_an_unknown_indicator_is_404(api):
    response = api(UserFactory()).get("/indicators/nope/values")

    assert (response.status_code, problem(response)["detail"]) == (404, "No indicator with id nope.")


def test_units_under_sixty_percent_coverage_are_marked(api, tree):
    coverage = IndicatorFactory(id="dg_test")
    indicator = IndicatorFactory(coverage_indicator_id="dg_test")
    _value(indicator, tree["hammerfest"], 2020, 3, 30)
    _value(coverage, tree["hammerfest"], 2020, 59, 100)

    response = api(UserFactory()).get(f"/indicators/{indicator.pk}/values", unit=tree["hammerfest"].pk)

    assert [(r["value"], r["coverage"], r["low_coverage"]) for r in response.json()] == [(0.1, 0.59, True)]
