"""The API's application indicators: target as value, level or rule (`target_kind`, default `value`), and the
baseline filled in from the data when only the year is sent (with a notice saying so)."""

import pytest

from grants.models import ApplicationIndicator
from tests.factories import ApplicationFactory, CallFactory, member_of
from tests.grants.baseline_world import build_baseline_world

from .helpers import problem

pytestmark = pytest.mark.django_db


def _plan(indicator, **fields):
    return {
        "indicator": indicator.pk,
        "baseline_value": None,
        "baseline_year": None,
        "target_kind": "value",
        "target_value": None,
        "target_level": None,
        "target_rule": None,
        "target_label": "",
        "target_date": None,
    } | fields


def test_creating_with_a_level_target_fills_the_baseline_from_the_nation(api):
    w = build_baseline_world()
    call = CallFactory()

    response = api(member_of(w.registry)).post(
        "/applications",
        {
            "call": call.pk,
            "registry": w.registry.pk,
            "title": "Mindre smerte",
            "indicators": [
                {
                    "indicator": w.indicator.pk,
                    "baseline_year": 2021,
                    "target_kind": "level",
                    "target_level": "high",
                    "target_date": "2027-12-31",
                }
            ],
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["indicators"] == [
        _plan(
            w.indicator,
            baseline_value=0.3,
            baseline_year=2021,
            target_kind="level",
            target_level="high",
            target_label="High goal attainment",
            target_date="2027-12-31",
        )
    ]
    assert body["notices"] == ["The baseline of test_smerte was filled in from the data: 0.3 in 2021, nationally."]


def test_patching_fills_the_baseline_from_the_participating_units_and_keeps_a_typed_one(api):
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    app.participating_units.set([w.h31, w.h32])

    response = api(member_of(w.registry)).patch(
        f"/applications/{app.pk}",
        {
            "indicators": [
                {
                    "indicator": w.indicator.pk,
                    "baseline_year": 2021,
                    "target_kind": "rule",
                    "target_rule": "no_unit_low",
                },
                {"indicator": w.coverage.pk, "baseline_year": 2021, "baseline_value": "0.65", "target_value": "0.8"},
            ]
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["indicators"] == [
        _plan(
            w.indicator,
            baseline_value=0.35,
            baseline_year=2021,
            target_kind="rule",
            target_rule="no_unit_low",
            target_label="No participating unit at low goal attainment",
        ),
        _plan(w.coverage, baseline_value=0.65, baseline_year=2021, target_value=0.8, target_label="0.8"),
    ]
    assert body["notices"] == [
        "The baseline of test_smerte was filled in from the data: 0.35 in 2021, the participating units together."
    ]
    assert api(member_of(w.registry)).get(f"/applications/{app.pk}").json()["notices"] == []


def test_a_level_the_schema_does_not_know_is_refused_by_name(api):
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)

    response = api(member_of(w.registry)).patch(
        f"/applications/{app.pk}",
        {"indicators": [{"indicator": w.indicator.pk, "target_kind": "level", "target_level": "low"}]},
    )

    assert (response.status_code, list(problem(response)["errors"])) == (400, ["indicators.0.target_level"])
    assert ApplicationIndicator.objects.filter(application=app).count() == 0


def test_a_level_target_on_an_indicator_without_levels_is_refused_by_name(api):
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)

    response = api(member_of(w.registry)).patch(
        f"/applications/{app.pk}",
        {"indicators": [{"indicator": w.coverage.pk, "target_kind": "level", "target_level": "high"}]},
    )

    assert problem(response)["errors"] == {
        "indicators.0.target_level": ["test_dg has no goal-attainment levels; set a target value instead."]
    }
    assert ApplicationIndicator.objects.filter(application=app).count() == 0


def test_the_openapi_document_describes_the_target_fields(api):
    schema = api(None).get("/openapi.json").json()["components"]["schemas"]

    indicator_in = schema["IndicatorIn"]["properties"]
    assert (indicator_in["target_kind"]["default"], sorted(schema["TargetKind"]["enum"])) == (
        "value",
        ["level", "rule", "value"],
    )
    assert sorted(schema["TargetRule"]["enum"]) == ["all_units_high", "no_unit_low"]
    assert {"target_kind", "target_level", "target_rule", "target_label"} <= set(
        schema["IndicatorPlanOut"]["properties"]
    )
