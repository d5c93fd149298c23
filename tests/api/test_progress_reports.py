"""Progress reports through the API: list, draft save with field-named errors, transitions with feedback."""

from datetime import date

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext

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


def test_a_member_saves_a_draft_and_reads_it_back_with_money_as_strings(api):
    project = ProjectFactory(state="active")
    milestone = MilestoneFactory(project=project)
    report = _report(project)
    client = api(member_of(project.registry))

    r = client.put(
        f"/projects/{project.pk}/progress_reports/{report.pk}",
        {
            "summary": "Godt i gang.",
            "risks": "Forsinket datauttrekk.",
            "milestones": {str(milestone.pk): {"status": "on_track", "comment": "Uttrekk bestilt."}},
            "spending": [{"category": "salary", "year": 2027, "amount_nok": "12 500,50"}],
        },
    )

    assert r.status_code == 200
    body = r.json()
    assert (body["summary"], body["risks"], body["state"]) == ("Godt i gang.", "Forsinket datauttrekk.", "due")
    assert body["milestones"] == {str(milestone.pk): {"status": "on_track", "comment": "Uttrekk bestilt."}}
    assert body["spending"] == [{"category": "salary", "year": 2027, "amount_nok": "12500.50"}]
    assert body["available_transitions"] == ["submit"]


def test_bad_spending_and_milestones_are_400_naming_each_field_and_change_nothing(api):
    project = ProjectFactory(state="active")
    report = _report(project, summary="Før.")
    client = api(member_of(project.registry))

    r = client.put(
        f"/projects/{project.pk}/progress_reports/{report.pk}",
        {
            "summary": "Etter.",
            "milestones": {"999999": {"status": "done"}},
            "spending": [
                {"category": "salary", "year": 2027, "amount_nok": "-5"},
                {"category": "caviar", "year": 2031, "amount_nok": "1.005"},
            ],
        },
    )

    assert (r.status_code, r["Content-Type"]) == (400, "application/problem+json")
    assert r.json()["errors"] == {"milestones.999999": ["This project has no such milestone."]}
    report.refresh_from_db()
    assert (report.summary, report.spending) == ("Før.", [])


def test_bad_spending_rows_are_named_by_row_and_key(api):
    project = ProjectFactory(state="active")
    report = _report(project)
    client = api(member_of(project.registry))

    r = client.put(
        f"/projects/{project.pk}/progress_reports/{report.pk}",
        {
            "spending": [
                {"category": "salary", "year": 2027, "amount_nok": "-5"},
                {"category": "caviar", "year": 2031, "amount_nok": "1.005"},
            ]
        },
    )

    assert r.status_code == 400
    assert r.json()["errors"] == {
        "spending.0.amount_nok": ["Enter an amount in NOK of zero or more, with at most two decimals."],
        "spending.1.category": ["Choose one of the budget categories."],
        "spending.1.year": ["Enter a year within the project period."],
        "spending.1.amount_nok": ["Enter an amount in NOK of zero or more, with at most two decimals."],
    }


def test_a_submitted_report_cannot_be_edited_409(api):
    project = ProjectFactory(state="active")
    report = _report(project, state="submitted")

    r = api(member_of(project.registry)).put(f"/projects/{project.pk}/progress_reports/{report.pk}", {"summary": "X"})

    assert r.status_code == 409


def test_submit_then_return_with_feedback_then_the_registry_sees_it_and_is_emailed(
    api, django_capture_on_commit_callbacks
):
    project = ProjectFactory(state="active")
    report = _report(project, summary="Godt i gang.")
    member = member_of(project.registry)
    secretariat = UserFactory(is_secretariat=True)

    submitted = api(member).post(f"/projects/{project.pk}/progress_reports/{report.pk}/transitions/submit")
    with django_capture_on_commit_callbacks(execute=True):
        returned = api(secretariat).post(
            f"/projects/{project.pk}/progress_reports/{report.pk}/transitions/return_report",
            {"feedback": "Legg ved regnskapet."},
        )
    seen = api(member).get(f"/projects/{project.pk}/progress_reports").json()

    assert (submitted.status_code, submitted.json()["state"]) == (200, "submitted")
    assert (returned.status_code, returned.json()["state"], returned.json()["feedback"]) == (
        200,
        "returned",
        "Legg ved regnskapet.",
    )
    assert [(r["state"], r["feedback"], r["available_transitions"]) for r in seen] == [
        ("returned", "Legg ved regnskapet.", ["submit"])
    ]
    assert [m.to for m in mail.outbox] == [[member.email]]


def test_returning_without_feedback_is_400_naming_feedback(api):
    project = ProjectFactory(state="active")
    report = _report(project, state="submitted")

    r = api(UserFactory(is_secretariat=True)).post(
        f"/projects/{project.pk}/progress_reports/{report.pk}/transitions/return_report"
    )

    assert (r.status_code, r.json()["errors"]) == (400, {"feedback": ["Write the feedback: say what must be changed."]})


def test_an_unknown_transition_is_404(api):
    project = ProjectFactory(state="active")
    report = _report(project)

    r = api(member_of(project.registry)).post(f"/projects/{project.pk}/progress_reports/{report.pk}/transitions/x")

    assert r.status_code == 404


@pytest.mark.parametrize("n", [1, 30])
def test_the_list_runs_a_fixed_number_of_queries(api, n):
    project = ProjectFactory(state="active")
    for number in range(1, n + 1):
        _report(project, number=number)
    client = api(member_of(project.registry))
    client.get(f"/projects/{project.pk}/progress_reports")  # warm the token and content-type caches

    with CaptureQueriesContext(connection) as queries:
        r = client.get(f"/projects/{project.pk}/progress_reports")

    assert (len(r.json()), len(queries)) == (n, QUERIES)


QUERIES = 4
