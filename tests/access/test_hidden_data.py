"""What the matrix's statuses cannot show: data that one role may not know exists, inside pages that role may see."""

import pytest
from django.urls import reverse

from grants.models import Application
from grants.services import submit_application, withdraw_application
from reviews.services import declare_conflict, save_review, submit_review
from tests.factories import AssignmentFactory, MilestoneFactory, reviewer_for

from .api_matrix import API_PREFIX
from .world import api_client, build_world, web_client

pytestmark = pytest.mark.django_db


def _application(world, key):
    return Application.objects.select_related("call", "registry").get(pk=world.ids[key])


def _secretariat_sees(world, pk):
    web = web_client(world, "secretariat")
    api = api_client(world, "secretariat")
    dashboard = {state: n for state, _label, n in web.get(reverse("dashboard")).context["state_counts"]}
    calls = {c.pk: c.n_applications for c in web.get(reverse("grants:call_list")).context["page"].object_list}
    return {
        "page": web.get(reverse("grants:application_detail", args=[pk])).status_code,
        "withdrawn counted": (dashboard["withdrawn"], calls[world.ids["call"]]),
        "list": f'href="/applications/{pk}/"' in web.get(reverse("grants:application_list")).content.decode(),
        "api": api.get(f"{API_PREFIX}/applications/{pk}").status_code,
        "annual": "withdrawn" in api.get(f"{API_PREFIX}/reports/annual?year=2026&format=csv").content.decode(),
    }


def test_a_withdrawn_draft_stays_private_to_the_registry():
    world = build_world()
    withdraw_application(_application(world, "draft"), by=world.users["applicant"])

    seen = _secretariat_sees(world, world.ids["draft"])

    assert seen == {"page": 404, "withdrawn counted": (0, 4), "list": False, "api": 404, "annual": False}


def test_a_withdrawn_submitted_application_stays_with_the_secretariat():
    world = build_world()
    draft = _application(world, "draft")
    submit_application(draft, by=world.users["applicant"])
    withdraw_application(draft, by=world.users["applicant"])

    seen = _secretariat_sees(world, draft.pk)

    assert seen == {"page": 200, "withdrawn counted": (1, 5), "list": True, "api": 200, "annual": True}


def _reviews_with_a_conflicted_one(world):
    """The assigned reviewer submits; a second reviewer submits, then declares a conflict (the review stays)."""
    application = _application(world, "in_review")
    submit_review(application, by=world.users["reviewer"])
    second = reviewer_for(application.call.scheme)
    AssignmentFactory(application=application, reviewer=second)
    save_review(application, by=second, scores={"methodology": 1, "feasibility": 1, "value": 1}, comment="NOT-COUNTED")
    submit_review(application, by=second)
    declare_conflict(application, by=second, reason="Kollega av prosjektlederen.")
    return application


def test_the_review_panel_hides_a_conflicted_reviewers_review_from_the_other_reviewers():
    world = build_world()
    application = _reviews_with_a_conflicted_one(world)

    page = web_client(world, "reviewer").get(reverse("grants:application_detail", args=[application.pk]))
    listed = api_client(world, "reviewer").get(f"{API_PREFIX}/applications/{application.pk}/reviews").json()

    assert ("Godt begrunnet." in page.content.decode(), "NOT-COUNTED" in page.content.decode()) == (True, False)
    assert [r["comment"] for r in listed] == ["Godt begrunnet."]


def test_the_secretariat_still_sees_every_submitted_review():
    world = build_world()
    application = _reviews_with_a_conflicted_one(world)

    page = web_client(world, "secretariat").get(reverse("grants:application_detail", args=[application.pk]))

    assert ("Godt begrunnet." in page.content.decode(), "NOT-COUNTED" in page.content.decode()) == (True, True)


def test_another_projects_milestone_is_404_under_ones_own_project():
    world = build_world()
    foreign = MilestoneFactory()
    project = world.ids["project"]

    web = web_client(world, "applicant").post(
        reverse("projects:milestone_report", args=[project, foreign.pk]), {"text": "Gjort."}
    )
    api = api_client(world, "applicant").post(
        f"{API_PREFIX}/projects/{project}/milestones/{foreign.pk}/report",
        {"text": "Gjort."},
        content_type="application/json",
    )

    foreign.refresh_from_db()
    assert (web.status_code, api.status_code, foreign.state) == (404, 404, "planned")
