"""Transitions through the API: 409 from a wrong state, 404 for an unknown name, the deadline, and what is refused."""

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine

from audit.models import AuditEntry
from core.labels import action_label
from grants.enums import ApplicationState as S
from grants.models import Application, Call
from projects.models import Milestone, Project
from reviews.models import Review
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MilestoneFactory,
    ProjectFactory,
    ReviewFactory,
    UserFactory,
    member_of,
)

from .helpers import problem

pytestmark = pytest.mark.django_db
OSLO = ZoneInfo("Europe/Oslo")

# (transition, who fires it, a state it is not allowed from that this user can see)
WRONG_APPLICATION_STATES = [
    ("submit", "applicant", "submitted"),
    ("withdraw", "applicant", "granted"),
    ("resubmit", "applicant", "draft"),
    ("request_changes", "secretariat", "in_review"),
    ("mark_ineligible", "secretariat", "in_review"),
    ("send_to_review", "secretariat", "in_review"),
    ("complete_assessment", "secretariat", "submitted"),
    ("recommend", "secretariat", "in_review"),
    ("not_recommend", "secretariat", "submitted"),
    ("grant", "decider", "granted"),
    ("reject", "decider", "assessed"),
]


def _user(role, registry):
    if role == "applicant":
        return member_of(registry)
    return UserFactory(is_secretariat=role == "secretariat", is_decider=role == "decider")


@pytest.mark.parametrize(("name", "role", "state"), WRONG_APPLICATION_STATES)
def test_an_application_transition_from_a_wrong_state_is_409(api, name, role, state):
    app = ApplicationFactory(state=state, granted_amount_nok=90000 if state == "granted" else None)
    client = api(_user(role, app.registry))
    body = {"comment": "Begrunnelse", "proposed_amount_nok": "1000", "granted_amount_nok": "1000"}

    response = client.post(f"/applications/{app.pk}/transitions/{name}", body)

    assert response.status_code == 409
    assert (
        problem(response)["detail"] == f"“{action_label(name)}” is not possible while the state is “{S(state).label}”."
    )
    assert Application.objects.get(pk=app.pk).state == state
    assert AuditEntry.objects.count() == 0


@pytest.mark.parametrize(("name", "state"), [("open", "open"), ("close", "draft"), ("decide", "open")])
def test_a_call_transition_from_a_wrong_state_is_409(api, name, state):
    call = CallFactory(state=state)

    response = api(UserFactory(is_secretariat=True)).post(f"/calls/{call.pk}/transitions/{name}")

    assert response.status_code == 409
    assert Call.objects.get(pk=call.pk).state == state


WRONG_PROJECT_STATES = [
    ("accept_agreement", "member", "active"),
    ("submit_final_report", "member", "agreement_pending"),
    ("approve_final_report", "secretariat", "active"),
    ("return_final_report", "secretariat", "closed"),
    ("terminate", "secretariat", "closed"),
]


@pytest.mark.parametrize(("name", "role", "state"), WRONG_PROJECT_STATES)
def test_a_project_transition_from_a_wrong_state_is_409(api, name, role, state):
    project = ProjectFactory(state=state)
    user = member_of(project.registry) if role == "member" else UserFactory(is_secretariat=True)

    response = api(user).post(f"/projects/{project.pk}/transitions/{name}", {"comment": "Begrunnelse"})

    assert response.status_code == 409
    assert Project.objects.get(pk=project.pk).state == state


@pytest.mark.parametrize(("name", "state"), [("approve", "planned"), ("request_revision", "approved")])
def test_a_milestone_transition_from_a_wrong_state_is_409(api, name, state):
    milestone = MilestoneFactory(state=state)

    response = api(UserFactory(is_secretariat=True)).post(
        f"/projects/{milestone.project_id}/milestones/{milestone.pk}/transitions/{name}", {"comment": "Mer detalj"}
    )

    assert response.status_code == 409
    assert Milestone.objects.get(pk=milestone.pk).state == state


@pytest.mark.parametrize(
    ("milestone_state", "project_state"), [("approved", "active"), ("planned", "agreement_pending")]
)
def test_reporting_a_milestone_in_a_wrong_state_is_409(api, milestone_state, project_state):
    milestone = MilestoneFactory(state=milestone_state, project__state=project_state)

    response = api(member_of(milestone.project.registry)).post(
        f"/projects/{milestone.project_id}/milestones/{milestone.pk}/report", {"text": "Levert."}
    )

    assert response.status_code == 409
    assert Milestone.objects.get(pk=milestone.pk).report_text == ""


def test_submitting_a_review_twice_is_409(api):
    review = ReviewFactory(state="submitted")

    response = api(review.reviewer).post(f"/applications/{review.application_id}/reviews/mine/submit")

    assert response.status_code == 409


def test_changing_a_submitted_review_is_409(api):
    review = ReviewFactory(state="submitted")

    response = api(review.reviewer).put(
        f"/applications/{review.application_id}/reviews/mine", {"scores": {"methodology": 1}}
    )

    assert (response.status_code, problem(response)["detail"]) == (409, "Your review has been submitted and is locked.")
    assert sorted(review.scores.values_list("value", flat=True)) == [5, 5, 5]


def test_scoring_after_the_assessment_is_409(api):
    review = ReviewFactory(application__state="assessed")

    response = api(review.reviewer).put(
        f"/applications/{review.application_id}/reviews/mine", {"scores": {"methodology": 1}}
    )

    assert response.status_code == 409
    assert Review.objects.get(pk=review.pk).scores.get(criterion__code="methodology").value == 5


def test_changing_a_submitted_application_is_409(api):
    app = ApplicationFactory(state="submitted")

    response = api(member_of(app.registry)).patch(f"/applications/{app.pk}", {"title": "Ny tittel"})

    assert response.status_code == 409
    assert problem(response)["detail"] == (
        "The application can be changed only while it is a draft or changes are requested; it is submitted."
    )
    assert Application.objects.get(pk=app.pk).title == app.title


def test_writing_the_final_report_of_a_closed_project_is_409(api):
    project = ProjectFactory(state="closed")

    response = api(member_of(project.registry)).put(
        f"/projects/{project.pk}/final_report", {"sections": {"summary": "x"}}
    )

    assert response.status_code == 409
    assert project.final_report.sections == {}


@pytest.mark.parametrize(
    ("path", "detail"),
    [
        (
            "/applications/{app}/transitions/approve",
            "An application has no transition “approve”; the transitions are: "
            "submit, withdraw, request_changes, resubmit, mark_ineligible, send_to_review, complete_assessment, "
            "recommend, not_recommend, grant, reject.",
        ),
        (
            "/calls/{call}/transitions/publish",
            "A call has no transition “publish”; the transitions are: open, close, decide.",
        ),
        (
            "/projects/{project}/transitions/close",
            "A project has no transition “close”; the transitions are: "
            "accept_agreement, submit_final_report, approve_final_report, return_final_report, terminate.",
        ),
        (
            "/projects/{project}/milestones/{milestone}/transitions/report",
            "A milestone has no transition “report”; the transitions are: approve, request_revision.",
        ),
    ],
)
def test_an_unknown_transition_name_is_404_naming_the_transitions(api, path, detail):
    milestone = MilestoneFactory()
    app = ApplicationFactory(state="submitted")
    ids = {"app": app.pk, "call": app.call_id, "project": milestone.project_id, "milestone": milestone.pk}

    response = api(UserFactory(is_secretariat=True)).post(path.format(**ids))

    assert (response.status_code, problem(response)["detail"]) == (404, detail)


def test_submit_after_deadline_is_refused_with_the_deadline_in_the_detail(api):
    closes = datetime(2026, 9, 1, 23, 59, tzinfo=OSLO)
    app = ApplicationFactory(call=CallFactory(opens_at=datetime(2026, 6, 1, tzinfo=OSLO), closes_at=closes))
    client = api(member_of(app.registry))

    with time_machine.travel(datetime(2026, 9, 2, 8, 0, tzinfo=OSLO), tick=False):
        response = client.post(f"/applications/{app.pk}/transitions/submit")

    assert response.status_code == 400
    detail = "The deadline for this call was 1 September 2026, 23:59; applications can no longer be submitted."
    assert problem(response) == {
        "type": "about:blank",
        "title": "Bad Request",
        "status": 400,
        "detail": detail,
        "errors": {"call": [detail]},
    }
    assert Application.objects.get(pk=app.pk).state == "draft"


def test_submitting_the_final_report_with_empty_sections_is_refused_naming_them(api):
    project = ProjectFactory(state="active")
    client = api(member_of(project.registry))
    client.put(f"/projects/{project.pk}/final_report", {"sections": {"summary": "Ferdig."}})

    response = client.post(f"/projects/{project.pk}/transitions/submit_final_report")

    assert response.status_code == 400
    assert problem(response)["errors"] == {"sections.results": ["This section is required."]}
    assert Project.objects.get(pk=project.pk).state == "active"


def test_assigning_a_conflicted_reviewer_is_refused(api):
    from reviews.models import Conflict
    from tests.factories import reviewer_for

    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme)
    Conflict.objects.create(application=app, reviewer=reviewer, reason="Kollega.")

    response = api(UserFactory(is_secretariat=True)).post(f"/applications/{app.pk}/reviewers", {"user": reviewer.pk})

    assert response.status_code == 400
    assert list(problem(response)["errors"]) == ["user"]
    assert app.assignments.count() == 0


def test_accepting_the_agreement_through_the_api_records_the_typed_name(api):
    project = ProjectFactory(state="agreement_pending")
    member = member_of(project.registry, full_name="Kari Konto")

    response = api(member).post(
        f"/projects/{project.pk}/transitions/accept_agreement", {"comment": "OK", "name": "Kari Nordmann"}
    )

    project.refresh_from_db()
    assert (response.status_code, response.json()["state"]) == (200, "active")
    assert (project.agreement_accepted_by, project.agreement_accepted_name) == (member, "Kari Nordmann")


def test_without_a_typed_name_the_accounts_name_is_recorded(api):
    project = ProjectFactory(state="agreement_pending")
    member = member_of(project.registry, full_name="Kari Konto")

    api(member).post(f"/projects/{project.pk}/transitions/accept_agreement", {"comment": "OK"})

    project.refresh_from_db()
    assert project.agreement_accepted_name == "Kari Konto"


def test_a_name_longer_than_200_characters_is_refused_on_the_name_field(api):
    project = ProjectFactory(state="agreement_pending")

    response = api(member_of(project.registry)).post(
        f"/projects/{project.pk}/transitions/accept_agreement", {"name": "K" * 201}
    )

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"name": ["The name is longer than 200 characters."]},
    )
    assert Project.objects.get(pk=project.pk).state == "agreement_pending"
