"""HTMX partials and file downloads follow the same rules as the pages: a refused caller gets the status and
nothing is stored or sent."""

import pytest
from django.urls import reverse

from grants.models import Application
from projects.models import FinalReport

from .api_matrix import API_PREFIX
from .world import ROLES, api_client, build_world, web_client

pytestmark = pytest.mark.django_db

HX = {"HX-Request": "true"}
TYPED = {"title": "Skrevet av en uvedkommende", "budget-TOTAL_FORMS": "0", "budget-INITIAL_FORMS": "0"}


def test_application_autosave_stores_nothing_for_anyone_but_the_applicant():
    world = build_world()
    url = reverse("grants:application_autosave", args=[world.ids["draft"]])
    before = Application.objects.values("title", "draft_data").get(pk=world.ids["draft"])

    statuses = {role: web_client(world, role).post(url, TYPED, headers=HX).status_code for role in ROLES[2:]}

    after = Application.objects.values("title", "draft_data").get(pk=world.ids["draft"])
    assert (statuses, after) == (dict.fromkeys(ROLES[2:], 404), before)


def test_application_autosave_answers_the_applicant_with_the_status_line_only():
    world = build_world()
    url = reverse("grants:application_autosave", args=[world.ids["draft"]])

    response = web_client(world, "applicant").post(url, TYPED, headers=HX)

    body = response.content.decode()
    assert (response.status_code, body.startswith("Draft kept"), "<html" in body) == (200, True, False)


def test_final_report_autosave_stores_nothing_for_those_who_may_not_write_it():
    world = build_world()
    url = reverse("projects:final_report_edit", args=[world.ids["project"]])
    refused = ("stranger", "reviewer", "unassigned", "conflicted", "secretariat", "decider", "admin")

    statuses = {
        role: web_client(world, role).post(url, {"section_summary": "X"}, headers=HX).status_code for role in refused
    }

    sections = FinalReport.objects.get(project_id=world.ids["project"]).sections
    expected = {
        "stranger": 404,
        "reviewer": 404,
        "unassigned": 404,
        "conflicted": 404,
        "secretariat": 403,
        "decider": 404,
        "admin": 403,
    }
    assert (statuses, sections) == (expected, {})


ANNUAL = f"{API_PREFIX}/reports/annual?year=2026&format=csv"


def test_annual_summary_is_a_download_for_the_secretariat_without_the_drafts():
    world = build_world()

    response = api_client(world, "secretariat").get(ANNUAL)

    states = [line.split(",")[4] for line in response.content.decode().splitlines()[1:]]
    assert (response.status_code, response["Content-Disposition"], states) == (
        200,
        'attachment; filename="annual-summary-2026.csv"',
        ["submitted", "in_review", "recommended", "granted"],
    )


@pytest.mark.parametrize("role", ["anonymous", "applicant", "stranger", "reviewer", "decider"])
def test_annual_summary_refused_is_a_problem_not_a_file(role):
    world = build_world()

    response = api_client(world, role).get(ANNUAL)

    assert (response.status_code, response["Content-Type"], response.has_header("Content-Disposition")) == (
        401 if role == "anonymous" else 403,
        "application/problem+json",
        False,
    )
