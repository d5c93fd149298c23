"""Progress reports on the web: the form, autosave, field-named errors, the feedback on the page, the project list."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from projects.models import ProgressReport
from tests.factories import MilestoneFactory, ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def _report(project, number=1, **kwargs):
    return ProgressReport.objects.create(
        project=project,
        number=number,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 30),
        **kwargs,
    )


def _url(report):
    return reverse("projects:progress_report", args=[report.project_id, report.pk])


def test_saving_the_form_stores_milestones_spending_and_texts(client):
    project = ProjectFactory(state="active")
    milestone = MilestoneFactory(project=project)
    report = _report(project)
    client.force_login(member_of(project.registry))

    response = client.post(
        _url(report),
        {
            "summary": "Godt i gang.",
            "risks": "Ingen.",
            "changes": "",
            f"milestone_{milestone.pk}_status": "delayed",
            f"milestone_{milestone.pk}_comment": "Venter på data.",
            "spending_salary_2027": "45000",
        },
    )
    report.refresh_from_db()

    assert response["Location"] == _url(report)
    assert (report.summary, report.risks, report.state) == ("Godt i gang.", "Ingen.", "due")
    assert report.milestones == {str(milestone.pk): {"status": "delayed", "comment": "Venter på data."}}
    assert report.spending == [{"category": "salary", "year": 2027, "amount_nok": "45000.00"}]


def test_a_bad_amount_is_shown_next_to_its_line_and_nothing_is_saved(client):
    project = ProjectFactory(state="active")
    report = _report(project, summary="Før.")
    client.force_login(member_of(project.registry))

    response = client.post(_url(report), {"summary": "Etter.", "spending_salary_2027": "mye"})
    report.refresh_from_db()

    assert response.status_code == 400
    assert "Enter an amount in NOK of zero or more, with at most two decimals." in response.text
    assert 'value="mye"' in response.text
    assert (report.summary, report.spending) == ("Før.", [])


def test_autosave_answers_with_the_status_line(client):
    project = ProjectFactory(state="active")
    report = _report(project)
    client.force_login(member_of(project.registry))

    response = client.post(_url(report), {"summary": "Skrevet."}, headers={"HX-Request": "true"})
    report.refresh_from_db()

    assert response.text.startswith("Saved ")
    assert report.summary == "Skrevet."


def test_save_and_submit_submits(client):
    project = ProjectFactory(state="active")
    report = _report(project)
    client.force_login(member_of(project.registry))

    response = client.post(_url(report), {"summary": "Ferdig for perioden.", "submit": "1"})
    report.refresh_from_db()

    assert (response["Location"], report.state) == (reverse("projects:project_detail", args=[project.pk]), "submitted")


def test_the_applicant_sees_the_feedback_and_the_form_again_after_a_return(client):
    project = ProjectFactory(state="active")
    report = _report(project, state="returned", feedback="Legg ved regnskapet.", summary="Kort.")
    client.force_login(member_of(project.registry))

    page = client.get(_url(report)).text

    assert "Feedback from the secretariat" in page and "Legg ved regnskapet." in page
    assert 'name="summary"' in page


def test_the_secretariat_sees_the_decision_buttons_not_the_form(client):
    project = ProjectFactory(state="active")
    report = _report(project, state="submitted", summary="Kort.")
    client.force_login(UserFactory(is_secretariat=True))

    page = client.get(_url(report)).text

    assert ('name="summary"' in page, 'value="approve"' in page, 'value="return_report"' in page) == (
        False,
        True,
        True,
    )


def test_returning_on_the_page_without_feedback_changes_nothing(client):
    project = ProjectFactory(state="active")
    report = _report(project, state="submitted", summary="Kort.")
    client.force_login(UserFactory(is_secretariat=True))
    url = reverse("projects:progress_report_transition", args=[project.pk, report.pk])

    response = client.post(url, {"action": "return_report", "comment": ""}, follow=True)
    report.refresh_from_db()

    assert "Write the feedback: say what must be changed." in response.text
    assert report.state == "submitted"


@pytest.mark.parametrize("n", [1, 30])
def test_the_project_page_lists_the_reports_with_a_fixed_number_of_queries(client, n):
    project = ProjectFactory(state="active")
    for number in range(1, n + 1):
        _report(project, number=number)
    client.force_login(member_of(project.registry))
    url = reverse("projects:project_detail", args=[project.pk])
    client.get(url)

    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).text

    assert (page.count("progress-reports/"), len(queries)) == (n, PROJECT_PAGE_QUERIES)


PROJECT_PAGE_QUERIES = 20
