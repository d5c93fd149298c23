"""What must hold before an application can be submitted: the call's window and a complete application."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import time_machine

from core.exceptions import ActionRefused
from finance.models import BudgetLine
from grants import services
from grants.models import ApplicationIndicator, PlannedMilestone
from tests.core.lifecycle import assert_refused_without_trace, state_of
from tests.factories import ApplicationFactory, CallFactory, IndicatorFactory, SchemeFactory, member_of

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
OPENS = datetime(2026, 6, 1, 8, 0, tzinfo=OSLO)
DEADLINE = datetime(2026, 9, 1, 12, 0, tzinfo=OSLO)


def _application_in_window():
    app = ApplicationFactory(call=CallFactory(opens_at=OPENS, closes_at=DEADLINE))
    return app, member_of(app.registry)


def test_submit_after_deadline_is_refused_with_the_deadline_in_the_message(django_capture_on_commit_callbacks):
    app, applicant = _application_in_window()

    with time_machine.travel(DEADLINE, tick=False):
        exc = assert_refused_without_trace(
            lambda: services.submit_application(app, by=applicant),
            ActionRefused,
            app,
            django_capture_on_commit_callbacks,
        )

    msg = "The deadline for this call was 1 September 2026, 12:00; applications can no longer be submitted."
    assert (exc.message, exc.errors) == (msg, {"call": [msg]})


def test_submit_just_before_deadline_is_accepted():
    app, applicant = _application_in_window()

    with time_machine.travel(DEADLINE - timedelta(microseconds=1), tick=False):
        result = services.submit_application(app, by=applicant)

    assert result.submitted_at == DEADLINE - timedelta(microseconds=1)


def test_submit_before_the_call_opens_is_refused(django_capture_on_commit_callbacks):
    app, applicant = _application_in_window()

    with time_machine.travel(OPENS - timedelta(microseconds=1), tick=False):
        exc = assert_refused_without_trace(
            lambda: services.submit_application(app, by=applicant),
            ActionRefused,
            app,
            django_capture_on_commit_callbacks,
        )

    msg = "The call opens 1 June 2026, 08:00; you cannot submit before then."
    assert (exc.message, exc.errors) == (msg, {"call": [msg]})


def test_submit_at_the_opening_time_is_accepted():
    app, applicant = _application_in_window()

    with time_machine.travel(OPENS, tick=False):
        result = services.submit_application(app, by=applicant)

    assert result.state == "submitted"


def test_submit_to_a_closed_call_is_refused(django_capture_on_commit_callbacks):
    app, applicant = _application_in_window()
    app.call.close()
    app.call.save()

    with time_machine.travel(DEADLINE + timedelta(days=1), tick=False):
        exc = assert_refused_without_trace(
            lambda: services.submit_application(app, by=applicant),
            ActionRefused,
            app,
            django_capture_on_commit_callbacks,
        )

    assert list(exc.errors) == ["call"]


def test_resubmit_after_requested_changes_is_not_bound_by_the_deadline():
    app = ApplicationFactory(state="changes_requested", call=CallFactory(opens_at=OPENS, closes_at=DEADLINE))

    with time_machine.travel(DEADLINE + timedelta(days=30), tick=False):
        result = services.resubmit_application(app, by=member_of(app.registry))

    assert result.state == "submitted"


def _no_summary(app):
    type(app).objects.filter(pk=app.pk).update(summary="")


def _budget_short(app):
    app.budget_lines.update(amount_nok=Decimal("50000.00"))


def _no_budget(app):
    app.budget_lines.all().delete()


def _no_milestones(app):
    app.planned_milestones.all().delete()


INCOMPLETE = [
    pytest.param(_no_summary, {"summary": ["Summary is required before you submit."]}, id="no-summary"),
    pytest.param(
        _budget_short,
        {"budget_lines": ["The budget lines add up to 50,000.00 NOK, but the requested amount is 90,000.00 NOK."]},
        id="budget-not-adding-up",
    ),
    pytest.param(_no_budget, {"budget_lines": ["Add at least one budget line."]}, id="no-budget-lines"),
    pytest.param(_no_milestones, {"milestones": ["Add at least one milestone."]}, id="no-milestones"),
]


@pytest.mark.parametrize(("break_it", "errors"), INCOMPLETE)
@pytest.mark.parametrize("action", ["submit", "resubmit"])
def test_incomplete_application_is_refused_with_field_errors(
    action, break_it, errors, django_capture_on_commit_callbacks
):
    app = ApplicationFactory(state="draft" if action == "submit" else "changes_requested")
    break_it(app)
    applicant = member_of(app.registry)

    exc = assert_refused_without_trace(
        lambda: services.APPLICATION_ACTIONS[action](app, by=applicant),
        ActionRefused,
        app,
        django_capture_on_commit_callbacks,
    )

    assert (exc.message, exc.errors) == ("The application is not complete yet.", errors)


def test_every_missing_piece_is_reported_at_once():
    app = ApplicationFactory(summary="", aims="", complete=False)

    with pytest.raises(ActionRefused) as exc:
        services.submit_application(app, by=member_of(app.registry))

    assert list(exc.value.errors) == ["summary", "aims", "budget_lines", "milestones"]


def test_budget_lines_adding_up_to_the_request_in_several_lines_are_accepted():
    app = ApplicationFactory(requested_amount_nok=Decimal("92300.00"), complete=False)
    for amount in ("50000.00", "42299.50", "0.50"):
        BudgetLine.objects.create(application=app, category="salary", year=2027, amount_nok=Decimal(amount))
    PlannedMilestone.objects.create(application=app, title="Rapport", due_date=date(2027, 12, 1))

    result = services.submit_application(app, by=member_of(app.registry))

    assert result.state == "submitted"


def _quality_improvement_application():
    scheme = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring", requires_indicators=True)
    return ApplicationFactory(call=CallFactory(scheme=scheme, max_amount_nok=None))


def test_quality_improvement_application_without_indicators_is_refused(django_capture_on_commit_callbacks):
    app = _quality_improvement_application()
    applicant = member_of(app.registry)

    exc = assert_refused_without_trace(
        lambda: services.submit_application(app, by=applicant), ActionRefused, app, django_capture_on_commit_callbacks
    )

    assert exc.errors == {
        "indicators": ["This scheme requires at least one registry indicator with baseline and target."]
    }


def test_quality_improvement_application_with_an_indicator_is_accepted():
    app = _quality_improvement_application()
    ApplicationIndicator.objects.create(
        application=app,
        indicator=IndicatorFactory(registry=app.registry),
        baseline_value=Decimal("0.22"),
        baseline_year=2025,
        target_value=Decimal("0.15"),
        target_date=date(2027, 12, 31),
    )

    services.submit_application(app, by=member_of(app.registry))

    assert state_of(app) == "submitted"
