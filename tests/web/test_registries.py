from decimal import Decimal

import pytest
from django.urls import reverse

from registries.models import IndicatorValue, RegistryYear
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory, UserFactory
from tests.web.test_list_queries import _count

pytestmark = pytest.mark.django_db


def test_registry_list_does_not_grow_with_rows(client):
    client.force_login(UserFactory())
    registry = RegistryFactory()
    RegistryYear.objects.create(registry=registry, year=2020, stage="3B", coverage_percent=Decimal("69"))
    one = _count(client, reverse("registries:registry_list"))
    for _ in range(29):
        RegistryYear.objects.create(registry=RegistryFactory(), year=2020, stage="2C")
    assert _count(client, reverse("registries:registry_list")) == one


def test_registry_page_shows_the_latest_national_value_and_its_level(client):
    client.force_login(UserFactory())
    registry = RegistryFactory()
    indicator = IndicatorFactory(registry=registry, title="Kontakt pga smerter")  # lower is better, 0.15 / 0.25
    nation = OrganisationFactory(orgnr=1, level="nation", name="Nasjonalt")
    IndicatorValue.objects.create(indicator=indicator, organisation=nation, year=2020, numerator=22, denominator=100)

    response = client.get(reverse("registries:registry_detail", args=[registry.pk]))

    [row] = response.context["rows"]
    assert (row["year"], row["value"], row["level"]) == (2020, Decimal("0.22"), "moderate")
    assert "Moderate" in response.content.decode()


def test_anonymous_visitors_are_sent_to_log_in(client):
    response = client.get(reverse("registries:registry_list"))

    assert response["Location"] == "/accounts/login/?next=/registries/"


def _indicator_world(hospitals: int):
    from registries.models import Organisation

    nation = OrganisationFactory(orgnr=1, level="nation", name="Nasjonalt", parent=None)
    rhf = OrganisationFactory(orgnr=10, level="rhf", name="Helse Nord RHF", parent=nation)
    hf = OrganisationFactory(orgnr=100, level="hf", name="UNN HF", parent=rhf)
    coverage = IndicatorFactory(id="dg", direction=1, measure_unit="%")
    indicator = IndicatorFactory(
        id="ind",
        title="Sårinfeksjon",
        direction=0,
        level_green=Decimal("0.02"),
        level_yellow=Decimal("0.04"),
        measure_unit="%",
        min_denominator=10,
        coverage_indicator_id="dg",
    )
    for number in range(hospitals):
        unit = Organisation.objects.create(
            orgnr=1000 + number, name=f"Sykehus {number:02}", short_name="", level="hospital", parent=hf
        )
        IndicatorValue.objects.create(indicator=indicator, organisation=unit, year=2020, numerator=1, denominator=40)
        IndicatorValue.objects.create(indicator=coverage, organisation=unit, year=2020, numerator=55, denominator=100)
    return indicator


def test_indicator_page_shows_every_level_with_levels_suppression_and_coverage(client):
    client.force_login(UserFactory())
    indicator = _indicator_world(hospitals=1)
    from registries.models import Organisation

    small = Organisation.objects.create(orgnr=2000, name="Lite sykehus", level="hospital", parent_id=100)
    IndicatorValue.objects.create(indicator=indicator, organisation=small, year=2020, numerator=0, denominator=3)

    response = client.get(reverse("registries:indicator_detail", args=["ind"]))

    groups = {
        g["level"]: [(r["name"], r["value"].numerator, r["value"].denominator) for r in g["rows"]]
        for g in response.context["groups"]
    }
    assert groups == {
        "nation": [("Nasjonalt", Decimal(1), Decimal(43))],
        "rhf": [("Helse Nord RHF", Decimal(1), Decimal(43))],
        "hf": [("UNN HF", Decimal(1), Decimal(43))],
        "hospital": [("Lite sykehus", Decimal(0), Decimal(3)), ("Sykehus 00", Decimal(1), Decimal(40))],
    }
    html = response.content.decode()
    assert "fewer than 10" in html  # Lite sykehus: 3 cases
    assert "2.5 %" in html  # Sykehus 00: 1/40, lower is better, between green 2 % and yellow 4 %
    assert "coverage 55.0 %" in html  # the coverage indicator's 55/100 for Sykehus 00 (and rolled up)


def test_indicator_page_filters_by_level_and_year(client):
    client.force_login(UserFactory())
    indicator = _indicator_world(hospitals=2)
    IndicatorValue.objects.create(indicator=indicator, organisation_id=1000, year=2019, numerator=4, denominator=40)

    response = client.get(reverse("registries:indicator_detail", args=["ind"]), {"year": "2019", "level": "hf"})

    assert (response.context["years"], response.context["year"]) == ([2020, 2019], 2019)
    assert [(g["level"], [r["value"].raw_value for r in g["rows"]]) for g in response.context["groups"]] == [
        ("hf", [Decimal("0.1")])
    ]


def test_indicator_page_queries_do_not_grow_with_units(client):
    from registries.models import Organisation

    client.force_login(UserFactory())
    indicator = _indicator_world(hospitals=1)
    one = _count(client, reverse("registries:indicator_detail", args=["ind"]))
    for number in range(29):
        unit = Organisation.objects.create(
            orgnr=3000 + number, name=f"Ekstra {number}", level="hospital", parent_id=100
        )
        IndicatorValue.objects.create(indicator=indicator, organisation=unit, year=2020, numerator=2, denominator=50)
    assert _count(client, reverse("registries:indicator_detail", args=["ind"])) == one


def test_an_unknown_indicator_is_404(client):
    client.force_login(UserFactory())

    response = client.get(reverse("registries:indicator_detail", args=["nope"]))

    assert (response.status_code, response.templates[0].name if response.templates else None) == (404, "404.html")
