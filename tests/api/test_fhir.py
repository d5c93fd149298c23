"""GET and POST /api/v1/fhir/MeasureReport: indicator values exchanged as FHIR R4 MeasureReports."""

import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from fhir.resources.R4B.bundle import Bundle

from registries import fhir
from registries.models import IndicatorDelivery, IndicatorValue
from registries.services import import_files
from tests.factories import (
    IndicatorFactory,
    OrganisationFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    api_token_for,
    member_of,
    reviewer_for,
)

from .helpers import BASE, problem

pytestmark = pytest.mark.django_db

RHF, HF, HOSPITAL_A, HOSPITAL_B = 883974832, 983974694, 974589095, 974631326
URL = "/fhir/MeasureReport"


@pytest.fixture
def world():
    """nation → RHF → HF → hospitals A and B; registry R with ind1 and ind2, values as SKDE delivers them (with a
    national row and decimals from aggregated data)."""
    nation = OrganisationFactory(orgnr=1, name="Norge", level="nation")
    rhf = OrganisationFactory(orgnr=RHF, name="Helse Nord RHF", level="rhf", parent=nation)
    hf = OrganisationFactory(orgnr=HF, name="UNN HF", level="hf", parent=rhf)
    OrganisationFactory(orgnr=HOSPITAL_A, name="UNN Tromsø", parent=hf)
    OrganisationFactory(orgnr=HOSPITAL_B, name="UNN Harstad", parent=hf)
    registry = RegistryFactory()
    IndicatorFactory(id="ind1", registry=registry, title="Indikator én")
    IndicatorFactory(id="ind2", registry=registry, title="Indikator to")
    for ind, orgnr, year, num, den in [
        ("ind1", HOSPITAL_A, 2020, "3", "10"),
        ("ind1", HOSPITAL_B, 2020, "2.5", "7.25"),
        ("ind1", 1, 2020, "40", "100"),
        ("ind1", HOSPITAL_A, 2021, "5", "5"),
        ("ind2", HOSPITAL_A, 2020, "0", "4"),
    ]:
        IndicatorValue.objects.create(
            indicator_id=ind, organisation_id=orgnr, year=year, numerator=Decimal(num), denominator=Decimal(den)
        )
    return registry


def stored() -> set[tuple]:
    return set(
        IndicatorValue.objects.values_list("indicator_id", "organisation_id", "year", "numerator", "denominator")
    )


def post(user, data, *, query: str = "", content_type: str = "application/fhir+json"):
    """A POST with the FHIR content type (the JSON client of helpers.py sends application/json)."""
    body = data if isinstance(data, bytes) else json.dumps(data).encode()
    client = Client(headers={"Authorization": f"Bearer {api_token_for(user)}"})
    return client.post(f"{BASE}{URL}{query}", body, content_type=content_type)


def export(api, user=None, **params):
    response = api(user or UserFactory()).get(URL, **params)
    assert (response.status_code, response["Content-Type"]) == (200, "application/fhir+json"), response.content
    return response.json()


def ids(bundle: dict) -> list[str]:
    return [e["resource"]["id"] for e in bundle.get("entry", [])]  # FHIR leaves out an empty list


def groups(bundle: dict) -> list[tuple]:
    """(report id, indicator, numerator, denominator) with the exact decimals."""
    out = []
    for entry in bundle["entry"]:
        for group in entry["resource"]["group"]:
            counts = []
            for population in group["population"]:
                exact = [e["valueDecimal"] for e in population.get("extension", [])]
                counts.append(exact[0] if exact else population["count"])
            out.append((entry["resource"]["id"], group["code"]["coding"][0]["code"], *counts))
    return out


# ---------------------------------------------------------------- export


def test_export_gives_every_delivered_value_as_a_valid_fhir_bundle(api, world):
    bundle = export(api, indicator=["ind1", "ind2"])

    Bundle.model_validate(bundle)
    assert (bundle["resourceType"], bundle["type"]) == ("Bundle", "collection")
    assert groups(bundle) == [
        ("skde-1-2020", "ind1", 40, 100),
        (f"skde-{HOSPITAL_A}-2020", "ind1", 3, 10),
        (f"skde-{HOSPITAL_A}-2020", "ind2", 0, 4),
        (f"skde-{HOSPITAL_B}-2020", "ind1", 2.5, 7.25),
        (f"skde-{HOSPITAL_A}-2021", "ind1", 5, 5),
    ]
    hospital_b = bundle["entry"][2]["resource"]
    assert hospital_b["reporter"] == {
        "type": "Organization",
        "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": str(HOSPITAL_B)},
        "display": "UNN Harstad",
    }
    assert hospital_b["group"][0]["population"][0]["count"] == 3  # 2.5 rounded half up; exact in the extension
    assert hospital_b["group"][0]["measureScore"] == {"value": 0.3448275862}
    assert hospital_b["group"][0]["code"]["coding"][0]["display"] == "Indikator én"


def test_export_filters_by_unit_and_year(api, world):
    assert ids(export(api, indicator="ind1", unit=HOSPITAL_A)) == [f"skde-{HOSPITAL_A}-2020", f"skde-{HOSPITAL_A}-2021"]
    assert ids(export(api, indicator="ind1", year=2021)) == [f"skde-{HOSPITAL_A}-2021"]
    assert ids(export(api, indicator="ind1", unit=HF)) == []  # the HF delivered nothing of its own


def test_rolled_up_export_gives_every_level_as_the_values_api(api, world):
    bundle = export(api, indicator="ind1", year=2020, rolled_up="true")

    assert groups(bundle) == [
        ("skde-1-2020", "ind1", 40, 100),  # the delivered national row wins over the sum
        (f"skde-{RHF}-2020", "ind1", 5.5, 17.25),
        (f"skde-{HOSPITAL_A}-2020", "ind1", 3, 10),
        (f"skde-{HOSPITAL_B}-2020", "ind1", 2.5, 7.25),
        (f"skde-{HF}-2020", "ind1", 5.5, 17.25),
    ]
    assert ids(export(api, indicator="ind1", unit=HF, rolled_up="true")) == [f"skde-{HF}-2020", f"skde-{HF}-2021"]


def test_export_of_an_unknown_indicator_is_404_and_of_an_unknown_unit_400(api, world):
    user = UserFactory()

    missing = api(user).get(URL, indicator=["ind1", "nope"])
    bad_unit = api(user).get(URL, indicator="ind1", unit=123)
    no_indicator = api(user).get(URL)

    assert (missing.status_code, problem(missing)["detail"]) == (404, "No indicator with id nope.")
    assert (bad_unit.status_code, problem(bad_unit)["errors"]) == (400, {"unit": ["No organisation with number 123."]})
    assert (no_indicator.status_code, list(problem(no_indicator)["errors"])) == (400, ["indicator"])


@pytest.mark.parametrize("reports", [1, 30])
def test_export_takes_the_same_queries_for_1_and_30_reports(api, reports):
    registry = RegistryFactory()
    IndicatorFactory(id="q1", registry=registry)
    for _ in range(reports):
        org = OrganisationFactory()
        IndicatorValue.objects.create(indicator_id="q1", organisation=org, year=2020, numerator=1, denominator=2)
    client = api(UserFactory())
    client.get(URL, indicator="q1")  # the token's last use is written once a minute

    with CaptureQueriesContext(connection) as queries:
        response = client.get(URL, indicator="q1")

    assert (len(response.json()["entry"]), len(queries)) == (reports, 4)


# ---------------------------------------------------------------- the round trip


def test_round_trip_export_delete_import_gives_identical_values_and_reimport_changes_nothing(api, world):
    secretariat = UserFactory(is_secretariat=True)
    reader = UserFactory()
    before = stored()
    shown = {ind: api(reader).get(f"/indicators/{ind}/values").json() for ind in ("ind1", "ind2")}
    bundle = export(api, indicator=["ind1", "ind2"])
    IndicatorValue.objects.all().delete()

    first = post(secretariat, bundle)
    again = post(secretariat, bundle)

    assert (first.status_code, first.json()) == (
        201,
        {
            "dry_run": False,
            "reports": 4,
            "groups": 5,
            "deliveries": {"created": 3, "replaced": 0, "unchanged": 0},
            "read_as": {},
        },
    )
    assert (again.status_code, again.json()["deliveries"]) == (200, {"created": 0, "replaced": 0, "unchanged": 3})
    assert stored() == before
    assert Decimal("2.5000") in {v.numerator for v in IndicatorValue.objects.all()}
    assert {ind: api(reader).get(f"/indicators/{ind}/values").json() for ind in shown} == shown
    assert IndicatorDelivery.objects.count() == 3


def test_a_single_report_in_plain_json_is_imported(world):
    report = {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": fhir.MEASURE,
        "reporter": {"identifier": {"system": fhir.ORGNR_SYSTEM, "value": str(HOSPITAL_A)}},
        "period": {"start": "2022-01-01", "end": "2022-12-31"},
        "group": [
            {
                "code": {"coding": [{"system": fhir.INDICATOR_SYSTEM, "code": "ind2"}]},
                "population": [
                    {"code": {"coding": [{"system": fhir.POPULATION_SYSTEM, "code": "numerator"}]}, "count": 1},
                    {"code": {"coding": [{"system": fhir.POPULATION_SYSTEM, "code": "denominator"}]}, "count": 8},
                ],
            }
        ],
    }

    response = post(UserFactory(is_secretariat=True), report, content_type="application/json")

    assert (response.status_code, response.json()["reports"], response.json()["groups"]) == (201, 1, 1)
    assert IndicatorValue.objects.get(indicator_id="ind2", year=2022).numerator == Decimal("1.0000")
    assert IndicatorDelivery.objects.get().file_name == "fhir-measurereport.json"


def test_a_dry_run_reports_what_would_happen_and_stores_nothing(api, world):
    bundle = export(api, indicator="ind1")
    IndicatorValue.objects.all().delete()

    response = post(UserFactory(is_secretariat=True), bundle, query="?dry_run=true")

    assert (response.status_code, response.json()["dry_run"]) == (200, True)
    assert response.json()["deliveries"] == {"created": 2, "replaced": 0, "unchanged": 0}
    assert (stored(), IndicatorDelivery.objects.count()) == (set(), 0)


# ---------------------------------------------------------------- refused


def test_invalid_fhir_is_refused_with_the_validators_messages_and_nothing_is_stored(api, world):
    bundle = export(api, indicator="ind1")
    bundle["entry"][1]["resource"]["status"] = "bogus"
    del bundle["entry"][2]["resource"]["status"]
    before = stored()

    response = post(UserFactory(is_secretariat=True), bundle)

    body = problem(response)
    assert (response.status_code, body["detail"]) == (400, "The Bundle is not valid FHIR R4 (fhir.resources R4B).")
    assert body["errors"] == {"entry.2.resource.status": ["Value for the field 'status' is required."]}
    assert stored() == before


def test_a_code_outside_its_value_set_is_refused(api, world):
    bundle = export(api, indicator="ind1")
    bundle["entry"][1]["resource"]["status"] = "bogus"

    response = post(UserFactory(is_secretariat=True), bundle)

    assert (response.status_code, problem(response)["errors"]) == (
        400,
        {
            "entry.1.resource.status": [
                "“bogus” is not an allowed code here; expected one of “complete”, “pending”, “error”"
            ]
        },
    )


def test_a_wrong_resource_type_is_refused(world):
    response = post(UserFactory(is_secretariat=True), {"resourceType": "Patient"})

    assert (response.status_code, problem(response)["errors"]) == (
        400,
        {"resourceType": ["expected “MeasureReport” or “Bundle”, not “Patient”"]},
    )


def test_domain_problems_are_listed_by_entry_and_group_and_nothing_is_stored(api, world):
    bundle = export(api, indicator=["ind1", "ind2"])
    bundle["entry"][1]["resource"]["group"][1]["code"]["coding"][0]["code"] = "x"
    bundle["entry"][0]["resource"]["group"][0]["population"][0]["count"] = 101
    before = stored()

    response = post(UserFactory(is_secretariat=True), bundle)

    body = problem(response)
    assert response.status_code == 400
    assert body["detail"] == "Nothing was imported: 2 problems. entry 1, group 1: var 101 is above the denominator 100"
    assert body["errors"] == {
        "entry.0.resource.group.0": ["entry 1, group 1: var 101 is above the denominator 100"],
        "entry.1.resource.group.1": [
            "entry 2, group 2: unknown indicator “x” (1 group); nothing is imported until it is known"
        ],
    }
    assert (stored(), IndicatorDelivery.objects.count()) == (before, 0)


def test_a_body_that_is_not_json_is_415_and_broken_json_400(world):
    secretariat = UserFactory(is_secretariat=True)

    text = post(secretariat, b"hello", content_type="text/plain")
    broken = post(secretariat, b"{", content_type="application/fhir+json")

    assert text.status_code == 415
    assert (broken.status_code, problem(broken)["detail"]) == (400, "The body is not JSON.")


# ---------------------------------------------------------------- who may import


def test_a_registry_member_imports_their_own_registrys_indicators(api, world):
    bundle = export(api, indicator="ind1", year=2021)
    IndicatorValue.objects.all().delete()

    response = post(member_of(world), bundle)

    assert response.status_code == 201
    assert stored() == {("ind1", HOSPITAL_A, 2021, Decimal("5.0000"), Decimal("5.0000"))}


def test_a_member_of_another_registry_is_refused_by_the_import_rules(api, world):
    bundle = export(api, indicator="ind1", year=2021)
    before = stored()

    response = post(member_of(RegistryFactory()), bundle)

    assert (response.status_code, problem(response)["errors"]) == (
        400,
        {"entry.0.resource.group.0": ["entry 1, group 1: indicator “ind1” belongs to another registry (1 group)"]},
    )
    assert stored() == before


def test_a_member_of_two_registries_sends_one_registrys_indicators_per_request(api, world):
    other = RegistryFactory(name="Annet register")
    IndicatorFactory(id="other1", registry=other)
    IndicatorValue.objects.create(indicator_id="other1", organisation_id=1, year=2020, numerator=1, denominator=2)
    user = member_of(world)
    user.memberships.create(registry=other)
    both = export(api, indicator=["ind1", "other1"], year=2020)

    response = post(user, both)

    assert response.status_code == 400
    assert problem(response)["detail"] == (
        f"These reports hold indicators of several of your registries ({other.label}, {world.label}); send one "
        "registry's per request."
    )


def test_a_reviewer_may_not_import(api, world):
    response = post(reviewer_for(SchemeFactory()), export(api, indicator="ind1"))

    assert (response.status_code, problem(response)["detail"]) == (
        403,
        "Only the secretariat and registry members import indicator values.",
    )


# ---------------------------------------------------------------- SKDE's published data


def test_the_export_of_real_skde_files_is_the_same_delivery_as_the_files(api, settings):
    """hoftebrudd_dg.csv (aggregated rows under aliased ids) and nra.csv (event rows), imported from the files,
    exported and posted back: every delivery is unchanged (its content hash covers the same units and values)."""
    data = Path(settings.BASE_DIR) / "registries" / "data"
    skde = data / "skde"
    files = [skde / "IndBeskr.csv", skde / "hospital_structure.csv", data / "indicator_aliases.csv"]
    assert import_files([*files, skde / "hoftebrudd_dg.csv", skde / "nra.csv"]).problems == []
    deliveries = IndicatorDelivery.objects.filter(indicator__isnull=False)
    ind_ids = sorted(set(deliveries.values_list("indicator_id", flat=True)))
    before = stored()

    bundle = export(api, indicator=ind_ids)
    response = post(UserFactory(is_secretariat=True), bundle)

    assert (response.status_code, response.json()["groups"]) == (200, len(before))
    assert response.json()["deliveries"] == {"created": 0, "replaced": 0, "unchanged": deliveries.count()}
    assert (deliveries.count(), len(before)) == (39 + 76, 1728 + 218)  # nra: 2138 events in 218 values
    assert stored() == before
