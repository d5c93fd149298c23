"""Invalid input to every write endpoint: 400 problem+json naming each field (nested ones as dotted paths), and
nothing stored."""

import pytest

from grants.models import Application, Call
from projects.models import Milestone, Project
from reviews.models import Assignment, Conflict, Review
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    IndicatorFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
    SchemeFactory,
    UserFactory,
    member_of,
)

from .helpers import problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat(api):
    return api(UserFactory(is_secretariat=True))


def errors_of(response):
    assert response.status_code == 400, response.content
    body = problem(response)
    assert (body["status"], body["title"]) == (400, "Bad Request")
    return body["errors"]


def test_creating_a_call_with_invalid_fields_names_each_and_stores_nothing(secretariat):
    response = secretariat.post(
        "/calls",
        {
            "scheme": "data_quality",
            "title": "x" * 201,
            "year": 1999,
            "budget_nok": "12.345",
            "opens_at": "soon",
            "closes_at": "2026-09-01T12:00:00+02:00",
            "criteria": [{"name": "Metode", "weight": 0}],
            "colour": "blue",
        },
    )

    assert errors_of(response) == {
        "title": ["String should have at most 200 characters"],
        "year": ["Input should be greater than or equal to 2000"],
        "budget_nok": ["Decimal input should have no more than 2 decimal places"],
        "opens_at": ["Input should be a valid datetime or date, input is too short"],
        "criteria.0.weight": ["Input should be greater than 0"],
        "colour": ["Extra inputs are not permitted"],
    }
    assert Call.objects.count() == 0


def test_creating_a_call_that_breaks_business_rules_names_the_fields(secretariat):
    SchemeFactory()

    response = secretariat.post(
        "/calls",
        {
            "scheme": "data_quality",
            "title": "Datakvalitet",
            "year": 2026,
            "budget_nok": "500000",
            "max_amount_nok": "600000",
            "opens_at": "2026-09-01T12:00:00",
            "closes_at": "2026-06-01T12:00:00",
        },
    )

    assert errors_of(response) == {
        "max_amount_nok": ["The cap per application cannot be larger than the budget."],
        "closes_at": ["The deadline must be after the opening time."],
    }
    assert Call.objects.count() == 0


def test_creating_a_call_of_an_unknown_scheme_is_refused(secretariat):
    response = secretariat.post(
        "/calls",
        {
            "scheme": "nope",
            "title": "T",
            "year": 2026,
            "budget_nok": "1",
            "opens_at": "2026-01-01T00:00",
            "closes_at": "2026-02-01T00:00",
        },
    )

    assert errors_of(response) == {"scheme": ["No active scheme with code “nope”."]}
    assert Call.objects.count() == 0


def test_a_call_transition_with_an_invalid_body_is_refused(secretariat):
    call = CallFactory(state="draft")

    response = secretariat.post(f"/calls/{call.pk}/transitions/open", {"comment": 5, "when": "now"})

    assert errors_of(response) == {
        "comment": ["Input should be a valid string"],
        "when": ["Extra inputs are not permitted"],
    }
    assert Call.objects.get(pk=call.pk).state == "draft"


def test_creating_an_application_with_invalid_nested_fields_names_each_and_stores_nothing(api):
    call = CallFactory()
    applicant = member_of(IndicatorFactory().registry)

    response = api(applicant).post(
        "/applications",
        {
            "call": call.pk,
            "registry": applicant.memberships.get().registry_id,
            "title": "Bedre data",
            "requested_amount_nok": "abc",
            "start_date": "2027-02-30",
            "budget_lines": [{"category": "food", "year": 2027, "amount_nok": "1.001"}],
            "milestones": [{"title": "Uttrekk"}],
        },
    )

    assert errors_of(response) == {
        "requested_amount_nok": ["Input should be a valid decimal"],
        "start_date": ["Input should be a valid date or datetime, day value is outside expected range"],
        "budget_lines.0.category": ["Input should be 'salary', 'operating', 'travel', 'equipment' or 'other'"],
        "budget_lines.0.amount_nok": ["Decimal input should have no more than 2 decimal places"],
        "milestones.0.due_date": ["Field required"],
    }
    assert Application.objects.count() == 0


def test_creating_an_application_that_breaks_business_rules_names_the_fields(api):
    call = CallFactory()
    indicator = IndicatorFactory()
    other = IndicatorFactory()
    applicant = member_of(indicator.registry)

    response = api(applicant).post(
        "/applications",
        {
            "call": call.pk,
            "registry": indicator.registry_id,
            "title": "Bedre data",
            "requested_amount_nok": "0",
            "start_date": "2027-01-01",
            "end_date": "2026-12-31",
            "indicators": [{"indicator": other.pk}],
        },
    )

    assert errors_of(response) == {
        "requested_amount_nok": ["The requested amount must be more than 0 NOK."],
        "end_date": ["The end date must be on or after the start date."],
        "indicators.0.indicator": [f"“{other.pk}” is not an indicator of {indicator.registry}."],
    }
    assert Application.objects.count() == 0


def test_creating_an_application_for_an_unknown_call_and_registry_is_refused(api):
    response = api(UserFactory()).post("/applications", {"call": 9999, "registry": 9999, "title": "T"})

    assert errors_of(response) == {"call": ["No call with id 9999."], "registry": ["No registry with id 9999."]}


def test_patching_an_application_with_invalid_fields_changes_nothing(api):
    app = ApplicationFactory()
    client = api(member_of(app.registry))

    response = client.patch(
        f"/applications/{app.pk}",
        {
            "requested_amount_nok": "-5",
            "call": app.call_id + 1,
            "budget_lines": [{"category": "salary", "year": 1990, "amount_nok": "10"}],
        },
    )

    assert errors_of(response) == {
        "call": ["This cannot be changed; start a new application instead."],
        "requested_amount_nok": ["The requested amount must be more than 0 NOK."],
        "budget_lines.0.year": ["Enter a year between 2000 and 2100."],
    }
    app.refresh_from_db()
    assert (app.requested_amount_nok, app.budget_lines.get().year) == (90000, 2027)


def test_patching_the_call_of_an_application_is_refused(api):
    app = ApplicationFactory()

    response = api(member_of(app.registry)).patch(f"/applications/{app.pk}", {"call": app.call_id + 1, "title": "Ny"})

    assert errors_of(response) == {"call": ["This cannot be changed; start a new application instead."]}
    assert Application.objects.get(pk=app.pk).title == app.title


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"granted_amount_nok": "lots"}, {"granted_amount_nok": ["Input should be a valid decimal"]}),
        ({}, {"granted_amount_nok": ["Enter the granted amount."]}),
        (
            {"granted_amount_nok": "90000.01"},
            {"granted_amount_nok": ["The granted amount cannot be more than the requested 90,000.00 NOK."]},
        ),
    ],
)
def test_granting_with_an_invalid_amount_is_refused_and_makes_no_project(api, body, errors):
    app = ApplicationFactory(state="recommended")

    response = api(UserFactory(is_decider=True)).post(f"/applications/{app.pk}/transitions/grant", body)

    assert errors_of(response) == errors
    assert (Application.objects.get(pk=app.pk).state, Project.objects.count()) == ("recommended", 0)


def test_recommending_without_an_amount_is_refused(secretariat):
    app = ApplicationFactory(state="assessed")

    response = secretariat.post(f"/applications/{app.pk}/transitions/recommend", {"comment": "God"})

    assert errors_of(response) == {"proposed_amount_nok": ["Enter the amount the expert group proposes."]}
    assert Application.objects.get(pk=app.pk).state == "assessed"


@pytest.mark.parametrize(
    ("body", "errors"),
    [
        ({"user": "someone"}, {"user": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"user": 999999}, {"user": ["No user with id 999999."]}),
    ],
)
def test_assigning_an_invalid_reviewer_is_refused(secretariat, body, errors):
    app = ApplicationFactory(state="submitted")

    response = secretariat.post(f"/applications/{app.pk}/reviewers", body)

    assert errors_of(response) == errors
    assert Assignment.objects.count() == 0


def test_declaring_a_conflict_without_a_reason_is_refused(api):
    assignment = AssignmentFactory()

    response = api(assignment.reviewer).post(f"/applications/{assignment.application_id}/conflict", {"reason": " "})

    assert errors_of(response) == {"reason": ["Give the reason for the conflict of interest."]}
    assert Conflict.objects.count() == 0


def test_scores_out_of_range_are_refused_per_criterion(api):
    assignment = AssignmentFactory()

    response = api(assignment.reviewer).put(
        f"/applications/{assignment.application_id}/reviews/mine",
        {"scores": {"methodology": 8, "feasibility": 0, "value": 4.5}},
    )

    assert errors_of(response) == {
        "scores.methodology": ["Input should be less than or equal to 7"],
        "scores.feasibility": ["Input should be greater than or equal to 1"],
        "scores.value": ["Input should be a valid integer, got a number with a fractional part"],
    }
    assert Review.objects.count() == 0


def test_a_score_for_an_unknown_criterion_is_refused(api):
    assignment = AssignmentFactory()

    response = api(assignment.reviewer).put(
        f"/applications/{assignment.application_id}/reviews/mine", {"scores": {"beauty": 7}}
    )

    assert errors_of(response) == {"scores.beauty": ["This call has no criterion “beauty”."]}
    assert Review.objects.count() == 0


def test_submitting_a_review_with_unscored_criteria_is_refused_naming_them(api):
    assignment = AssignmentFactory()
    client = api(assignment.reviewer)
    client.put(f"/applications/{assignment.application_id}/reviews/mine", {"scores": {"methodology": 6}})

    response = client.post(f"/applications/{assignment.application_id}/reviews/mine/submit")

    assert errors_of(response) == {
        "scores.feasibility": ["This criterion has no score."],
        "scores.value": ["This criterion has no score."],
    }
    assert Review.objects.get().state == "draft"


@pytest.mark.parametrize(
    ("sections", "errors"),
    [
        ({"summary": 5}, {"sections.summary": ["Input should be a valid string"]}),
        ({"conclusion": "Ferdig"}, {"sections.conclusion": ["This scheme's final report has no such section."]}),
    ],
)
def test_a_final_report_with_invalid_sections_is_refused(api, sections, errors):
    project = ProjectFactory(state="active")

    response = api(member_of(project.registry)).put(f"/projects/{project.pk}/final_report", {"sections": sections})

    assert errors_of(response) == errors
    assert Project.objects.get(pk=project.pk).final_report.sections == {}


def test_terminating_a_project_without_a_reason_is_refused(secretariat):
    project = ProjectFactory(state="active")

    response = secretariat.post(f"/projects/{project.pk}/transitions/terminate", {"comment": ""})

    assert errors_of(response) == {"comment": ["Give the reason for terminating the project."]}
    assert Project.objects.get(pk=project.pk).state == "active"


@pytest.mark.parametrize(
    ("body", "errors"),
    [({}, {"text": ["Field required"]}), ({"text": "  "}, {"text": ["Write the progress report."]})],
)
def test_a_milestone_report_without_text_is_refused(api, body, errors):
    milestone = MilestoneFactory()

    response = api(member_of(milestone.project.registry)).post(
        f"/projects/{milestone.project_id}/milestones/{milestone.pk}/report", body
    )

    assert errors_of(response) == errors
    assert Milestone.objects.get(pk=milestone.pk).state == "planned"


def test_asking_for_a_milestone_revision_without_saying_what_is_refused(secretariat):
    milestone = MilestoneFactory(state="reported")

    response = secretariat.post(
        f"/projects/{milestone.project_id}/milestones/{milestone.pk}/transitions/request_revision"
    )

    assert errors_of(response) == {"comment": ["Say what must be revised."]}
    assert Milestone.objects.get(pk=milestone.pk).state == "reported"


def test_a_payment_transition_with_an_invalid_body_is_refused(secretariat):
    payment = PaymentFactory(state="due")

    response = secretariat.post(
        f"/projects/{payment.project_id}/payments/{payment.pk}/transitions/approve", {"comment": ["a"]}
    )

    assert errors_of(response) == {"comment": ["Input should be a valid string"]}
    payment.refresh_from_db()
    assert payment.state == "due"


@pytest.mark.parametrize(
    ("query", "errors"),
    [
        ({"year": "last"}, {"year": ["Input should be a valid integer, unable to parse string as an integer"]}),
        ({"year": 2026, "format": "docx"}, {"format": ["Input should be 'xlsx', 'csv' or 'pdf'"]}),
        ({}, {"year": ["Field required"]}),
    ],
)
def test_the_annual_report_with_invalid_parameters_is_refused(secretariat, query, errors):
    response = secretariat.get("/reports/annual", **query)

    assert errors_of(response) == errors
