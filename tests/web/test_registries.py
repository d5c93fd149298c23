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
