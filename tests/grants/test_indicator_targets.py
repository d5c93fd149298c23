"""A target is a value, a goal-attainment level or a rule for every participating unit, with a date after the
baseline year. What is entered must fit the kind when saved; what is missing is asked for on submit."""

from datetime import date
from decimal import Decimal

import pytest

from core.exceptions import ActionRefused
from grants import services
from grants.models import ApplicationIndicator
from tests.core.lifecycle import assert_refused_without_trace, state_of
from tests.factories import ApplicationFactory, IndicatorFactory, OrganisationFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def plan():
    indicator = IndicatorFactory(id="nakke1")
    app = ApplicationFactory(registry=indicator.registry)
    return app, indicator, member_of(indicator.registry)


def _save(app, user, **row):
    services.update_application(app, by=user, data={"indicators": [{"indicator": "nakke1", **row}]})
    return ApplicationIndicator.objects.get(application=app)


def _refused(app, user, capture, **row):
    exc = assert_refused_without_trace(lambda: _save(app, user, **row), ActionRefused, app, capture)
    assert ApplicationIndicator.objects.filter(application=app).count() == 0
    return exc.errors


def test_a_value_target_keeps_only_the_value(plan):
    app, _indicator, user = plan

    saved = _save(
        app,
        user,
        target_kind="value",
        target_value=Decimal("0.15"),
        target_level="high",
        target_date=date(2027, 12, 31),
    )

    assert (saved.target_kind, saved.target_value, saved.target_level, saved.target_rule) == (
        "value",
        Decimal("0.150000"),
        "",
        "",
    )
    assert saved.target_label == "0.15 or lower"


def test_the_kind_defaults_to_a_value(plan):
    app, _indicator, user = plan

    saved = _save(app, user, target_value=Decimal("0.15"))

    assert (saved.target_kind, saved.target_value) == ("value", Decimal("0.150000"))


def test_a_level_target_keeps_only_the_level(plan):
    app, _indicator, user = plan

    saved = _save(app, user, target_kind="level", target_level="high", target_value=Decimal("0.15"))

    assert (saved.target_kind, saved.target_value, saved.target_level, saved.target_label) == (
        "level",
        None,
        "high",
        "High goal attainment",
    )


def test_a_rule_target_keeps_only_the_rule(plan):
    app, _indicator, user = plan

    saved = _save(app, user, target_kind="rule", target_rule="no_unit_low", target_level="moderate")

    assert (saved.target_kind, saved.target_level, saved.target_rule, saved.target_label) == (
        "rule",
        "",
        "no_unit_low",
        "No participating unit at low goal attainment",
    )


def test_an_unknown_kind_is_refused(plan, django_capture_on_commit_callbacks):
    app, _indicator, user = plan

    errors = _refused(app, user, django_capture_on_commit_callbacks, target_kind="percent")

    assert errors == {
        "indicators.0.target_kind": ["Choose the type of target: a value, a goal-attainment level or a rule."]
    }


def test_low_attainment_is_not_a_target_level(plan, django_capture_on_commit_callbacks):
    app, _indicator, user = plan

    errors = _refused(app, user, django_capture_on_commit_callbacks, target_kind="level", target_level="low")

    assert errors == {"indicators.0.target_level": ["“low” is not one of the choices."]}


def test_an_unknown_rule_is_refused(plan, django_capture_on_commit_callbacks):
    app, _indicator, user = plan

    errors = _refused(app, user, django_capture_on_commit_callbacks, target_kind="rule", target_rule="half_high")

    assert errors == {"indicators.0.target_rule": ["“half_high” is not one of the choices."]}


@pytest.mark.parametrize(
    ("kind", "field", "value"), [("level", "target_level", "high"), ("rule", "target_rule", "all_units_high")]
)
def test_levels_and_rules_need_an_indicator_with_thresholds(
    plan, django_capture_on_commit_callbacks, kind, field, value
):
    app, indicator, user = plan
    indicator.level_green = None
    indicator.save()

    errors = _refused(app, user, django_capture_on_commit_callbacks, target_kind=kind, **{field: value})

    assert errors == {f"indicators.0.{field}": ["nakke1 has no goal-attainment levels; set a target value instead."]}


@pytest.mark.parametrize("target_date", [date(2025, 12, 31), date(2025, 1, 1)])
def test_the_target_date_must_be_after_the_baseline_year(plan, django_capture_on_commit_callbacks, target_date):
    app, _indicator, user = plan

    errors = _refused(
        app,
        user,
        django_capture_on_commit_callbacks,
        baseline_value=Decimal("0.22"),
        baseline_year=2025,
        target_value=Decimal("0.15"),
        target_date=target_date,
    )

    assert errors == {"indicators.0.target_date": ["The target date must be after the baseline year (2025)."]}


def test_a_draft_may_leave_the_target_out(plan):
    app, _indicator, user = plan

    saved = _save(app, user, target_kind="level", baseline_value=Decimal("0.22"), baseline_year=2025)

    assert (saved.target_kind, saved.target_level, saved.target_value, saved.target_date) == ("level", "", None, None)


# ---------------------------------------------------------------- on submit


@pytest.mark.parametrize(
    ("row", "errors"),
    [
        (
            {"target_kind": "value"},
            {
                "indicators.0.target_value": ["nakke1: enter the target value before you submit."],
                "indicators.0.target_date": ["nakke1: enter the target date before you submit."],
            },
        ),
        (
            {"target_kind": "level", "target_date": date(2027, 12, 31)},
            {"indicators.0.target_level": ["nakke1: choose the goal-attainment level to reach before you submit."]},
        ),
        (
            {"target_kind": "rule", "target_date": date(2027, 12, 31)},
            {
                "indicators.0.target_rule": [
                    "nakke1: choose the rule the participating units are to meet before you submit."
                ]
            },
        ),
        (
            {"target_kind": "rule", "target_rule": "no_unit_low", "target_date": date(2027, 12, 31)},
            {
                "indicators.0.target_rule": [
                    "nakke1: a rule applies to the participating units; choose them before you submit."
                ]
            },
        ),
    ],
)
def test_submit_asks_for_the_target_the_kind_needs_and_its_date(plan, django_capture_on_commit_callbacks, row, errors):
    app, _indicator, user = plan
    _save(app, user, **row)

    exc = assert_refused_without_trace(
        lambda: services.submit_application(app, by=user), ActionRefused, app, django_capture_on_commit_callbacks
    )

    assert (exc.message, exc.errors) == ("The application is not complete yet.", errors)


def test_a_rule_with_participating_units_can_be_submitted(plan):
    app, _indicator, user = plan
    app.participating_units.set([OrganisationFactory()])
    _save(app, user, target_kind="rule", target_rule="all_units_high", target_date=date(2027, 12, 31))

    services.submit_application(app, by=user)

    assert state_of(app) == "submitted"
