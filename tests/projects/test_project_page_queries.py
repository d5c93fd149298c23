"""The project page gathers milestones, progress reports, change requests, payments and spending: its queries do not
grow with their number, for the registry and for the secretariat (who also gets the payment actions)."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from finance.models import Expenditure, Payment
from projects.models import ChangeRequest, Milestone, ProgressReport
from tests.factories import ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def _add(project, n, user, start=0):
    for i in range(n):
        ProgressReport.objects.create(
            project=project,
            number=100 + start + i,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 6, 30),
            due_date=date(2027, 7, 31),
        )
        ChangeRequest.objects.create(
            project=project, kind="extension", proposal={"end_date": "2029-01-01"}, reason="x", created_by=user
        )
        Milestone.objects.create(project=project, title=f"m{start + i}", due_date=date(2027, 5, 1))
        Payment.objects.create(project=project, amount_nok=10, trigger="milestone")
        Expenditure.objects.create(project=project, year=2027, category="salary", amount_nok=1, reported_by=user)


@pytest.mark.parametrize("who", ["member", "secretariat"])
def test_the_project_page_does_not_grow_with_its_rows(client, who):
    project = ProjectFactory(state="active")
    user = member_of(project.registry) if who == "member" else UserFactory(is_secretariat=True)
    client.force_login(user)
    url = reverse("projects:project_detail", args=[project.pk])
    _add(project, 1, user)
    client.get(url)  # the first request of a session does its own bookkeeping
    with CaptureQueriesContext(connection) as one:
        first = client.get(url)
    _add(project, 10, user, start=1)
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)
    assert (first.status_code, response.status_code) == (200, 200)
    assert response.content.decode().count("m10") == 1  # the rows added last are on the page
    assert len(one) == len(many)
