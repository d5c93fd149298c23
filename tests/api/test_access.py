"""Who may know what exists (404 otherwise) and who may do what they can see (403 otherwise), route by route."""

from types import SimpleNamespace

import pytest

from reviews.models import Conflict
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    MembershipFactory,
    MilestoneFactory,
    ProjectFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

from .helpers import problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(api):
    scheme = SchemeFactory()
    registry = RegistryFactory()
    call = CallFactory(scheme=scheme)
    application = ApplicationFactory(call=call, registry=registry, state="in_review")
    reviewer = AssignmentFactory(application=application).reviewer
    conflicted = AssignmentFactory(application=application).reviewer
    Conflict.objects.create(application=application, reviewer=conflicted, reason="Medforfatter.")
    granted = ApplicationFactory(registry=registry, state="granted", granted_amount_nok=90000)
    project = ProjectFactory(application=granted)
    milestone = MilestoneFactory(project=project)
    users = {
        "applicant": member_of(registry),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
        "reviewer": reviewer,
        "conflicted_reviewer": conflicted,
        "unassigned_reviewer": reviewer_for(scheme),
        "other_registry_member": MembershipFactory().user,
    }
    return SimpleNamespace(
        ids={
            "application": application.pk,
            "call": call.pk,
            "registry": registry.pk,
            "project": project.pk,
            "milestone": milestone.pk,
            "draft_call": CallFactory(scheme=scheme, state="draft").pk,
        },
        client={role: api(user) for role, user in users.items()},
        users=users,
    )


STRANGERS = ["other_registry_member", "conflicted_reviewer", "unassigned_reviewer"]
HIDDEN_ROUTES = [
    ("get", "/applications/{application}", None),
    ("patch", "/applications/{application}", {"title": "Ny tittel"}),
    ("post", "/applications/{application}/transitions/withdraw", None),
    ("post", "/applications/{application}/reviewers", {"user": 1}),
    ("put", "/applications/{application}/reviews/mine", {"scores": {"methodology": 5}}),
    ("post", "/applications/{application}/reviews/mine/submit", None),
    ("get", "/applications/{application}/reviews", None),
    ("get", "/projects/{project}", None),
    ("get", "/projects/{project}/final_report", None),
    ("put", "/projects/{project}/final_report", {"sections": {"summary": "x"}}),
    ("post", "/projects/{project}/transitions/accept_agreement", None),
    ("post", "/projects/{project}/milestones/{milestone}/report", {"text": "x"}),
    ("post", "/projects/{project}/milestones/{milestone}/transitions/approve", None),
    ("post", "/projects/{project}/payments/1/transitions/approve", None),
]


@pytest.mark.parametrize("stranger", STRANGERS)
@pytest.mark.parametrize(("method", "path", "body"), HIDDEN_ROUTES)
def test_strangers_get_404_for_applications_and_projects_they_may_not_know(world, stranger, method, path, body):
    response = world.client[stranger].request(method, path.format(**world.ids), body)

    assert response.status_code == 404
    assert problem(response)["status"] == 404


@pytest.mark.parametrize("stranger", STRANGERS)
def test_strangers_do_not_see_the_application_in_lists(world, stranger):
    response = world.client[stranger].get("/applications")

    assert response.json() == []


@pytest.mark.parametrize("stranger", ["other_registry_member", "conflicted_reviewer", "unassigned_reviewer"])
def test_strangers_do_not_see_the_project_in_lists(world, stranger):
    response = world.client[stranger].get("/projects")

    assert response.json() == []


def test_a_conflicted_reviewer_may_still_restate_the_conflict(world):
    response = world.client["conflicted_reviewer"].post(
        "/applications/{application}/conflict".format(**world.ids), {"reason": "Veileder for prosjektleder."}
    )

    assert (response.status_code, response.json()["reason"]) == (201, "Veileder for prosjektleder.")


@pytest.mark.parametrize("role", ["applicant", "reviewer", "decider", "other_registry_member"])
@pytest.mark.parametrize(
    "path", ["/calls/{draft_call}", "/calls/{draft_call}/ranking", "/calls/{draft_call}/transitions/open"]
)
def test_a_draft_call_is_404_to_all_but_the_secretariat(world, role, path):
    method = "post" if "transitions" in path else "get"

    response = world.client[role].request(method, path.format(**world.ids))

    assert response.status_code == 404


FORBIDDEN = [
    ("applicant", "get", "/users", None),
    ("reviewer", "get", "/users", None),
    (
        "applicant",
        "post",
        "/calls",
        {
            "scheme": "data_quality",
            "title": "T",
            "year": 2026,
            "budget_nok": "1",
            "opens_at": "2026-01-01T00:00",
            "closes_at": "2026-02-01T00:00",
        },
    ),
    ("decider", "post", "/calls/{call}/transitions/close", None),
    ("other_registry_member", "post", "/applications", {"call": "{call}", "registry": "{registry}"}),
    ("secretariat", "patch", "/applications/{application}", {"title": "Ny"}),
    ("reviewer", "patch", "/applications/{application}", {"title": "Ny"}),
    ("applicant", "post", "/applications/{application}/transitions/send_to_review", None),
    ("secretariat", "post", "/applications/{application}/transitions/grant", {"granted_amount_nok": "1"}),
    ("reviewer", "post", "/applications/{application}/transitions/complete_assessment", None),
    ("reviewer", "post", "/applications/{application}/transitions/withdraw", None),
    ("applicant", "post", "/applications/{application}/reviewers", {"user": 1}),
    ("secretariat", "post", "/applications/{application}/conflict", {"reason": "x"}),
    ("applicant", "post", "/applications/{application}/conflict", {"reason": "x"}),
    ("secretariat", "put", "/applications/{application}/reviews/mine", {"scores": {}}),
    ("applicant", "put", "/applications/{application}/reviews/mine", {"scores": {}}),
    ("secretariat", "post", "/applications/{application}/reviews/mine/submit", None),
    ("applicant", "get", "/applications/{application}/reviews", None),
    ("reviewer", "get", "/applications/{application}/reviews", None),
    ("applicant", "get", "/calls/{call}/ranking", None),
    ("decider", "get", "/calls/{call}/ranking", None),
    ("secretariat", "put", "/projects/{project}/final_report", {"sections": {}}),
    ("secretariat", "post", "/projects/{project}/transitions/accept_agreement", None),
    ("applicant", "post", "/projects/{project}/transitions/approve_final_report", None),
    ("applicant", "post", "/projects/{project}/transitions/terminate", {"comment": "Stopp"}),
    ("secretariat", "post", "/projects/{project}/milestones/{milestone}/report", {"text": "x"}),
    ("applicant", "post", "/projects/{project}/milestones/{milestone}/transitions/approve", None),
    ("applicant", "get", "/reports/annual?year=2026&format=csv", None),
]


@pytest.mark.parametrize(("role", "method", "path", "body"), FORBIDDEN)
def test_visible_but_not_allowed_is_403(world, role, method, path, body):
    if isinstance(body, dict):
        body = {k: int(v.format(**world.ids)) if isinstance(v, str) and "{" in v else v for k, v in body.items()}
    path, _, query = path.partition("?")
    client = world.client[role]

    if query:
        response = client.client.get("/api/v1" + path + "?" + query)
    else:
        response = client.request(method, path.format(**world.ids), body)

    assert response.status_code == 403, response.content
    assert problem(response)["title"] == "Forbidden"


@pytest.mark.parametrize("role", ["applicant", "secretariat", "reviewer"])
def test_those_who_may_see_the_application_get_it(world, role):
    response = world.client[role].get("/applications/{application}".format(**world.ids))

    assert (response.status_code, response.json()["id"]) == (200, world.ids["application"])


@pytest.mark.parametrize("role", ["applicant", "secretariat"])
def test_project_members_and_the_secretariat_get_the_project(world, role):
    response = world.client[role].get("/projects/{project}".format(**world.ids))

    assert (response.status_code, response.json()["id"]) == (200, world.ids["project"])


def test_the_expert_group_sees_the_ranking_without_rows_it_is_conflicted_with(world):
    response = world.client["conflicted_reviewer"].get("/calls/{call}/ranking".format(**world.ids))

    assert (response.status_code, response.json()) == (200, [])
