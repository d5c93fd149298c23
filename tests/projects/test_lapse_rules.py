"""Lapse rules: not started six months after the grant; not finished three years after it (frozen time)."""

from datetime import date

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import ProgressReport, Project
from projects.selectors import not_finished, not_started
from tests.factories import MilestoneFactory, ProjectFactory, UserFactory

pytestmark = pytest.mark.django_db


def _granted_on(day, **kwargs):
    with time_machine.travel(day, tick=False):
        return ProjectFactory(**kwargs)


def test_a_project_with_the_agreement_pending_is_not_started_from_six_months_after_the_grant():
    project = _granted_on(date(2027, 1, 15))

    assert [list(not_started(date(2027, 7, 14))), list(not_started(date(2027, 7, 15)))] == [[], [project]]


def test_an_active_project_with_no_progress_is_not_started_and_any_progress_starts_it():
    idle = _granted_on(date(2027, 1, 15), state="active")
    reported = _granted_on(date(2027, 1, 15), state="active")
    MilestoneFactory(project=reported, state="reported")
    submitted = _granted_on(date(2027, 1, 15), state="active")
    ProgressReport.objects.create(
        project=submitted,
        number=1,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 30),
        state="submitted",
    )
    MilestoneFactory(project=idle, state="planned")

    assert list(not_started(date(2027, 8, 1))) == [idle]


def test_not_finished_three_years_after_the_grant_unless_closed_or_terminated():
    states = ["agreement_pending", "active", "final_report_submitted", "closed", "terminated"]
    projects = {s: _granted_on(date(2027, 1, 15), state=s) for s in states}

    before = list(not_finished(date(2030, 1, 14)))
    after = sorted(p.state for p in not_finished(date(2030, 1, 15)))

    assert (before, after) == ([], ["active", "agreement_pending", "final_report_submitted"])
    assert Project.objects.count() == len(projects)


@pytest.mark.parametrize("n", [1, 30])
def test_the_dashboard_flags_them_with_links_and_a_fixed_number_of_queries(client, n):
    for _ in range(n):
        _granted_on(date(2027, 1, 15))
    with time_machine.travel(date(2030, 2, 1), tick=False):
        client.force_login(UserFactory(is_secretariat=True))  # a session from today would have expired by 2030
        client.get(reverse("dashboard"))
        with CaptureQueriesContext(connection) as queries:
            page = client.get(reverse("dashboard")).text

    first = Project.objects.order_by("pk").first()
    assert page.count(f'href="{reverse("projects:project_detail", args=[first.pk])}"') == 2
    assert (page.count("agreement not accepted"), len(queries)) == (min(n, 20), DASHBOARD_QUERIES)  # 20 shown at most


DASHBOARD_QUERIES = 22  # the secretariat's panels (core.dashboard); none grows with the rows
