"""registries.fhir: indicator values to FHIR R4 MeasureReports and back, checked by fhir.resources."""

import json
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport

from registries import fhir
from registries.models import IndicatorDelivery, IndicatorValue
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory

NOW = datetime(2024, 3, 1, 12, 0, tzinfo=UTC)
HOSPITAL = 974589095
POP = fhir.POPULATION_SYSTEM


def bundle_json(values: list[fhir.Value], **titles: str) -> dict:
    bundle = fhir.export_bundle(values, titles=titles, units={HOSPITAL: "Sykehus A", 1: "Norge"}, now=NOW)
    return json.loads(fhir.to_json(bundle))  # as the API sends it


def report(orgnr: int = HOSPITAL, year: int = 2020, groups: list | None = None, **fields) -> dict:
    """A MeasureReport as GET /fhir/MeasureReport writes it, with one group of ind1 3/10 unless told otherwise."""
    return {
        "resourceType": "MeasureReport",
        "status": "complete",
        "type": "summary",
        "measure": fhir.MEASURE,
        "reporter": {"type": "Organization", "identifier": fhir.unit_identifier(orgnr)},
        "period": {"start": f"{year}-01-01", "end": f"{year}-12-31"},
        "group": [group("ind1", 3, 10)] if groups is None else groups,
        **fields,
    }


def group(indicator: str, numerator: int, denominator: int) -> dict:
    return {
        "code": {"coding": [{"system": fhir.INDICATOR_SYSTEM, "code": indicator}]},
        "population": [
            {"code": {"coding": [{"system": POP, "code": "numerator"}]}, "count": numerator},
            {"code": {"coding": [{"system": POP, "code": "denominator"}]}, "count": denominator},
        ],
    }


def bundle(*reports: dict) -> dict:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in reports]}


def body(data: dict) -> bytes:
    return json.dumps(data).encode()


# ---------------------------------------------------------------- export


def test_export_writes_one_summary_report_per_unit_and_year_with_a_group_per_indicator():
    values = [
        fhir.Value("ind2", HOSPITAL, 2020, Decimal("2.0000"), Decimal("4.0000")),
        fhir.Value("ind1", HOSPITAL, 2020, Decimal("3.0000"), Decimal("10.0000")),
        fhir.Value("ind1", 1, 2020, Decimal("40.5000"), Decimal("100.0000")),
        fhir.Value("ind1", HOSPITAL, 2019, Decimal("0.0000"), Decimal("0.0000")),
    ]

    data = bundle_json(values, ind1="Indikator én", ind2="Indikator to")

    assert [e["resource"]["id"] for e in data["entry"]] == [
        f"skde-{HOSPITAL}-2019",
        "skde-1-2020",
        f"skde-{HOSPITAL}-2020",
    ]
    assert (data["resourceType"], data["type"], data["timestamp"]) == ("Bundle", "collection", "2024-03-01T12:00:00Z")
    assert data["entry"][2]["resource"] == {
        "resourceType": "MeasureReport",
        "id": f"skde-{HOSPITAL}-2020",
        "status": "complete",
        "type": "summary",
        "measure": "https://registry-grants.example/fhir/Measure/skde-indicators",
        "date": "2024-03-01T12:00:00Z",
        "reporter": {
            "type": "Organization",
            "identifier": {"system": "urn:oid:2.16.578.1.12.4.1.4.101", "value": str(HOSPITAL)},
            "display": "Sykehus A",
        },
        "period": {"start": "2020-01-01", "end": "2020-12-31"},
        "group": [
            {
                "code": {"coding": [{"system": "urn:skde:indicator", "code": "ind1", "display": "Indikator én"}]},
                "population": [
                    {"code": {"coding": [{"system": POP, "code": "numerator"}]}, "count": 3},
                    {"code": {"coding": [{"system": POP, "code": "denominator"}]}, "count": 10},
                ],
                "measureScore": {"value": 0.3},
            },
            {
                "code": {"coding": [{"system": "urn:skde:indicator", "code": "ind2", "display": "Indikator to"}]},
                "population": [
                    {"code": {"coding": [{"system": POP, "code": "numerator"}]}, "count": 2},
                    {"code": {"coding": [{"system": POP, "code": "denominator"}]}, "count": 4},
                ],
                "measureScore": {"value": 0.5},
            },
        ],
    }
    Bundle.model_validate(data)  # fhir.resources accepts what we write


def test_export_keeps_a_decimal_count_exact_in_an_extension_and_names_the_nation_by_skde_number():
    data = bundle_json([fhir.Value("ind1", 1, 2020, Decimal("40.5000"), Decimal("100.0000"))])

    nation = data["entry"][0]["resource"]
    assert nation["reporter"]["identifier"] == {"system": "urn:skde:orgnr", "value": "1"}
    assert nation["group"][0]["population"][0] == {
        "extension": [
            {"url": "https://registry-grants.example/fhir/StructureDefinition/exact-count", "valueDecimal": 40.5}
        ],
        "code": {"coding": [{"system": POP, "code": "numerator"}]},
        "count": 41,
    }
    assert nation["group"][0]["measureScore"] == {"value": 0.405}


def test_export_leaves_out_the_score_when_the_denominator_is_zero():
    data = bundle_json([fhir.Value("ind1", HOSPITAL, 2019, Decimal("0.0000"), Decimal("0.0000"))])

    only = data["entry"][0]["resource"]["group"][0]
    assert "measureScore" not in only
    assert [p["count"] for p in only["population"]] == [0, 0]


def test_a_value_above_a_fhir_integer_is_carried_by_the_extension_alone():
    data = bundle_json([fhir.Value("ind1", HOSPITAL, 2020, Decimal("1.0000"), Decimal("3000000000.0000"))])

    assert data["entry"][0]["resource"]["group"][0]["population"][1] == {
        "extension": [{"url": fhir.EXACT_COUNT, "valueDecimal": 3000000000}],
        "code": {"coding": [{"system": POP, "code": "denominator"}]},
    }


def test_a_score_is_rounded_to_ten_places():
    data = bundle_json([fhir.Value("ind1", HOSPITAL, 2020, Decimal("1.0000"), Decimal("3.0000"))])

    assert data["entry"][0]["resource"]["group"][0]["measureScore"] == {"value": 0.3333333333}


# ---------------------------------------------------------------- reading: fhir.resources validates


@pytest.mark.parametrize(
    ("data", "path", "message"),
    [
        (
            report(status="bogus"),
            "status",
            "“bogus” is not an allowed code here; expected one of “complete”, “pending”, “error”",
        ),
        ({k: v for k, v in report().items() if k != "status"}, "status", "Value for the field 'status' is required."),
        (report(unknown=1), "unknown", "Extra inputs are not permitted"),
        ({k: v for k, v in report().items() if k != "period"}, "period", "Field required"),
        (
            report(groups=[{**group("ind1", 3, 10), "population": [{"count": "tre"}]}]),
            "group.0.population.0.count",
            "Input should be a valid integer, unable to parse string as an integer",
        ),
        (
            bundle(report(), report(status="bogus")),
            "entry.1.resource.status",
            "“bogus” is not an allowed code here; expected one of “complete”, “pending”, “error”",
        ),
        (
            bundle(report(), {k: v for k, v in report().items() if k != "status"}),
            "entry.1.resource.status",
            "Value for the field 'status' is required.",
        ),
        (
            {**bundle(report()), "type": "nonsense"},
            "type",
            "“nonsense” is not an allowed code here; expected one of “document”, “message”, “transaction”, "
            "“transaction-response”, “batch”, “batch-response”, “history”, “searchset”, “collection”",
        ),
    ],
    ids=[
        "bad-status",
        "no-status",
        "extra-field",
        "no-period",
        "count-not-integer",
        "entry-bad-status",
        "entry-no-status",
        "bundle-type",
    ],
)
def test_an_invalid_resource_is_refused_with_the_validators_message_and_location(data, path, message):
    with pytest.raises(fhir.InvalidResource) as caught:
        fhir.read_resource(body(data))

    assert caught.value.errors == {path: [message]}


def test_a_wrong_resource_type_is_refused_before_the_validator():
    with pytest.raises(fhir.InvalidResource) as caught:
        fhir.read_resource(body({**report(), "resourceType": "Patient"}))

    assert caught.value.message == "The body is not a MeasureReport or a Bundle."
    assert caught.value.errors == {"resourceType": ["expected “MeasureReport” or “Bundle”, not “Patient”"]}


def test_a_bundle_entry_that_is_no_measure_report_is_refused():
    with pytest.raises(fhir.InvalidResource) as caught:
        fhir.read_resource(body(bundle(report(), {"resourceType": "Nope"}, {"resourceType": "Patient"})))

    assert caught.value.errors == {
        "entry.1.resource.resourceType": ["expected “MeasureReport”, not “Nope”"],
        "entry.2.resource.resourceType": ["expected “MeasureReport”, not “Patient”"],
    }


def test_a_body_that_is_not_json_is_refused():
    with pytest.raises(fhir.InvalidResource) as caught:
        fhir.read_resource(b"<MeasureReport/>")

    assert (caught.value.message, list(caught.value.errors)) == ("The body is not JSON.", ["body"])


def test_the_validator_message_names_the_model():
    with pytest.raises(fhir.InvalidResource) as caught:
        fhir.read_resource(body(report(status="bogus")))

    assert caught.value.message == "The MeasureReport is not valid FHIR R4 (fhir.resources R4B)."


# ---------------------------------------------------------------- reports to rows


def test_every_group_becomes_an_aggregated_row_of_strings_with_its_place():
    exact = {"url": fhir.EXACT_COUNT, "valueDecimal": 2.25}
    decimal_group = group("ind2", 2, 7)
    decimal_group["population"][0]["extension"] = [exact]
    resource = fhir.read_resource(
        body(bundle(report(), report(orgnr=1, year=2021, groups=[group("ind1", 4, 9), decimal_group])))
    )

    rows = fhir.to_rows(resource)

    assert rows.frame.to_dict("records") == [
        {"year": "2020", "orgnr": str(HOSPITAL), "var": "3", "denominator": "10", "ind_id": "ind1"},
        {"year": "2021", "orgnr": "1", "var": "4", "denominator": "9", "ind_id": "ind1"},
        {"year": "2021", "orgnr": "1", "var": "2.25", "denominator": "7", "ind_id": "ind2"},
    ]
    assert [p.label for p in rows.places] == ["entry 1, group 1", "entry 2, group 1", "entry 2, group 2"]
    assert (rows.reports, rows.problems, rows.indicator_ids) == (2, [], {"ind1", "ind2"})


def test_a_period_given_as_years_or_date_times_is_one_calendar_year():
    periods = [
        {"start": "2020", "end": "2020"},
        {"start": "2020-01-01T00:00:00+01:00", "end": "2020-12-31T23:59:59+01:00"},
    ]
    resource = fhir.read_resource(
        body(bundle(*(report(orgnr=n, period=p) for n, p in zip((1, 2), periods, strict=True))))
    )

    rows = fhir.to_rows(resource)

    assert (list(rows.frame["year"]), rows.problems) == (["2020", "2020"], [])


def test_the_unit_may_be_named_in_subject_instead_of_reporter():
    data = report(subject={"identifier": fhir.unit_identifier(HOSPITAL)})
    del data["reporter"]

    rows = fhir.to_rows(fhir.read_resource(body(data)))

    assert (list(rows.frame["orgnr"]), rows.problems) == ([str(HOSPITAL)], [])


def problems_of(data: dict) -> list[tuple[str, str]]:
    rows = fhir.to_rows(fhir.read_resource(body(data)))
    return [(p.path, p.message) for p in rows.problems]


@pytest.mark.parametrize(
    ("changes", "path", "message"),
    [
        (
            {"type": "individual"},
            "entry.1.resource.type",
            "entry 2: type must be “summary”, not “individual”: only a summary report gives a unit's numerator "
            "and denominator",
        ),
        ({"status": "pending"}, "entry.1.resource.status", "entry 2: status must be “complete”, not “pending”"),
        (
            {"period": {"start": "2020-01-01", "end": "2021-12-31"}},
            "entry.1.resource.period",
            "entry 2: period must be one calendar year (1 January to 31 December), not 2020-01-01 to 2021-12-31",
        ),
        (
            {"period": {"start": "2020-07-01", "end": "2020-12-31"}},
            "entry.1.resource.period",
            "entry 2: period must be one calendar year (1 January to 31 December), not 2020-07-01 to 2020-12-31",
        ),
        (
            {"period": {"start": "2020-01", "end": "2020-12"}},
            "entry.1.resource.period",
            "entry 2: period must be one calendar year (1 January to 31 December), not 2020-01 to 2020-12",
        ),
        (
            {"reporter": {"identifier": {"system": fhir.ORGNR_SYSTEM, "value": "A12"}}},
            "entry.1.resource.reporter",
            "entry 2: reporter.identifier must give the unit's organisation number (system "
            "urn:oid:2.16.578.1.12.4.1.4.101, or urn:skde:orgnr for SKDE's own unit numbers such as 1 for the "
            "nation), not “A12”",
        ),
        (
            {"reporter": {"display": "Sykehus A"}},
            "entry.1.resource.reporter",
            "entry 2: reporter.identifier must give the unit's organisation number (system "
            "urn:oid:2.16.578.1.12.4.1.4.101, or urn:skde:orgnr for SKDE's own unit numbers such as 1 for the "
            "nation)",
        ),
        ({"group": []}, "entry.1.resource.group", "entry 2: the report has no group: there is nothing to import"),
    ],
    ids=["individual", "pending", "two-years", "half-year", "months", "bad-orgnr", "no-unit", "no-group"],
)
def test_a_report_that_is_no_yearly_summary_of_one_unit_is_refused(changes, path, message):
    wrong = {k: v for k, v in {**report(), **changes}.items() if v is not None}

    assert problems_of(bundle(report(), wrong)) == [(path, message)]


def test_reporter_and_subject_naming_different_units_are_refused():
    data = report(subject={"identifier": fhir.unit_identifier(1)})

    assert problems_of(data) == [
        ("reporter", f"the report: reporter ({HOSPITAL}) and subject (1) name different units")
    ]


def test_group_problems_name_the_entry_and_group():
    no_code = group("ind1", 3, 10)
    no_code["code"] = {"coding": [{"system": "urn:other", "code": "ind1"}]}
    no_denominator = group("ind1", 3, 10)
    no_denominator["population"] = no_denominator["population"][:1]
    other_population = group("ind1", 3, 10)
    other_population["population"].append(
        {"code": {"coding": [{"system": POP, "code": "denominator-exclusion"}]}, "count": 1}
    )
    no_count = group("ind1", 3, 10)
    del no_count["population"][1]["count"]

    found = problems_of(
        bundle(report(groups=[group("ind1", 3, 10), no_code, no_denominator, other_population, no_count]))
    )

    assert found == [
        (
            "entry.0.resource.group.1",
            "entry 1, group 2: code must have a coding with system urn:skde:indicator: the indicator id",
        ),
        ("entry.0.resource.group.2", "entry 1, group 3: population denominator missing"),
        (
            "entry.0.resource.group.3.population.2",
            "entry 1, group 4: population “denominator-exclusion” is not supported: send “numerator” and "
            f"“denominator” ({POP})",
        ),
        ("entry.0.resource.group.4.population.1", "entry 1, group 5: population “denominator” has no count"),
    ]


def test_a_count_far_from_its_exact_value_is_refused():
    wrong = group("ind1", 3, 10)
    wrong["population"][0]["extension"] = [{"url": fhir.EXACT_COUNT, "valueDecimal": 4.5}]

    assert problems_of(report(groups=[wrong])) == [
        ("group.0.population.0", "group 1: population “numerator”: count 3 does not match the exact value 4.5")
    ]


def test_a_count_above_what_is_stored_is_refused():
    huge = group("ind1", 3, 10)
    huge["population"][1]["extension"] = [{"url": fhir.EXACT_COUNT, "valueDecimal": 10000000000.5}]
    del huge["population"][1]["count"]  # fhir.resources itself refuses a count above 2**31 - 1

    assert problems_of(report(groups=[huge])) == [
        (
            "group.0.population.1",
            "group 1: population “denominator” is above the largest value stored (9999999999.9999)",
        )
    ]


def test_a_body_nested_too_deeply_is_refused():
    with pytest.raises(fhir.InvalidResource) as caught:
        fhir.read_resource(b"[" * 100_000 + b"]" * 100_000)

    assert caught.value.message == "The body is nested too deeply."


def test_the_same_indicator_unit_and_year_twice_is_refused():
    assert problems_of(bundle(report(), report(groups=[group("ind2", 1, 2), group("ind1", 5, 10)]))) == [
        (
            "entry.1.resource.group.1",
            f"entry 2, group 2: indicator “ind1” for unit {HOSPITAL} in 2020 is already in entry 1, group 1",
        )
    ]


def test_an_empty_bundle_is_refused():
    assert problems_of(bundle()) == [("body", "the Bundle has no entry: there is nothing to import")]


# ---------------------------------------------------------------- importing: the file rules apply


@pytest.fixture
def units(db):
    nation = OrganisationFactory(orgnr=1, level="nation")
    OrganisationFactory(orgnr=HOSPITAL, parent=nation)
    registry = RegistryFactory()
    IndicatorFactory(id="ind1", registry=registry)
    IndicatorFactory(id="ind2", registry=registry)
    return registry


def imported(data: dict, **kwargs) -> fhir.Outcome:
    content = body(data)
    rows = fhir.to_rows(fhir.read_resource(content))
    return fhir.import_reports(rows, name="fhir-bundle.json", content=content, by=None, **kwargs)


def stored() -> set[tuple]:
    return set(
        IndicatorValue.objects.values_list("indicator_id", "organisation_id", "year", "numerator", "denominator")
    )


def test_import_stores_every_group_as_a_delivery_per_indicator_and_year(units):
    exact = group("ind2", 2, 7)
    exact["population"][0]["extension"] = [{"url": fhir.EXACT_COUNT, "valueDecimal": 2.25}]

    outcome = imported(bundle(report(), report(orgnr=1, groups=[group("ind1", 40, 100), exact])))

    assert (outcome.ok, outcome.reports, outcome.groups) == (True, 2, 3)
    assert (outcome.file.created, outcome.file.replaced, outcome.file.unchanged) == (2, 0, 0)
    assert stored() == {
        ("ind1", HOSPITAL, 2020, Decimal("3.0000"), Decimal("10.0000")),
        ("ind1", 1, 2020, Decimal("40.0000"), Decimal("100.0000")),
        ("ind2", 1, 2020, Decimal("2.2500"), Decimal("7.0000")),
    }
    assert set(IndicatorDelivery.objects.values_list("file_name", "indicator_id", "year")) == {
        ("fhir-bundle.json", "ind1", 2020),
        ("fhir-bundle.json", "ind2", 2020),
    }


def test_domain_problems_name_the_entry_and_group_and_store_nothing(units):
    data = bundle(
        report(),
        report(groups=[group("ind2", 1, 2), group("x", 1, 2)], year=2021),
        report(orgnr=1, groups=[group("ind1", 11, 10)]),
    )

    outcome = imported(data)

    assert [(p.path, p.message) for p in outcome.problems] == [
        (
            "entry.1.resource.group.1",
            "entry 2, group 2: unknown indicator “x” (1 group); nothing is imported until it is known",
        ),
        ("entry.2.resource.group.0", "entry 3, group 1: var 11 is above the denominator 10"),
    ]
    assert (stored(), IndicatorDelivery.objects.count()) == (set(), 0)


def test_unknown_organisation_and_zero_denominator_are_refused(units):
    data = bundle(report(orgnr=974000000), report(orgnr=1, groups=[group("ind1", 0, 0)]))

    outcome = imported(data)

    assert [p.message for p in outcome.problems] == [
        "entry 1, group 1: unknown organisation 974000000 (1 group); nothing is imported until it is known",
        "entry 2, group 1: the denominator is zero",
    ]
    assert stored() == set()


def test_a_registry_restricted_import_refuses_another_registrys_indicator(units):
    IndicatorFactory(id="foreign")

    outcome = imported(bundle(report(groups=[group("ind1", 1, 2), group("foreign", 1, 2)])), registry=units)

    assert [p.message for p in outcome.problems] == [
        "entry 1, group 2: indicator “foreign” belongs to another registry (1 group)"
    ]
    assert stored() == set()


def test_a_dry_run_counts_but_stores_nothing(units):
    outcome = imported(report(), dry_run=True)

    assert (outcome.ok, outcome.file.created, stored()) == (True, 1, set())


def test_importing_the_same_reports_again_changes_nothing_and_other_values_replace(units):
    imported(report())

    again = imported(report())
    changed = imported(report(groups=[group("ind1", 4, 10)]))

    assert (again.file.created, again.file.unchanged) == (0, 1)
    assert (changed.file.created, changed.file.replaced) == (1, 1)
    assert stored() == {("ind1", HOSPITAL, 2020, Decimal("4.0000"), Decimal("10.0000"))}
    assert IndicatorDelivery.objects.filter(replaced_by__isnull=False).count() == 1


def test_the_report_model_is_r4b_measure_report():
    assert fhir.read_resource(body(report())).__class__ is MeasureReport
