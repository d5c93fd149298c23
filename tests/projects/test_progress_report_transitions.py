"""The progress report lifecycle through projects.progress.PROGRESS_ACTIONS: due → submitted → approved | returned."""

from datetime import date
from decimal import Decimal

import pytest
from django.core import mail

from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from projects import progress
from projects.enums import ProgressReportState as PR
from projects.models import ProgressReport, Project
from tests.core.lifecycle import (
    Row,
    Snapshot,
    allowed,
    assert_refused_without_trace,
    disallowed,
    entry_fields,
    label_nb,
    nb,
    sent,
    state_of,
    wrong_roles,
)
from tests.factories import ProjectFactory, RegistryFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

NOT_MEMBER = ("other_applicant", "reviewer", "decider", "secretariat")
NOT_SECRETARIAT = ("applicant", "other_applicant", "reviewer", "decider")
SPEC = {
    "submit": Row((PR.DUE, PR.RETURNED), PR.SUBMITTED, "applicant", NOT_MEMBER),
    "approve": Row((PR.SUBMITTED,), PR.APPROVED, "secretariat", NOT_SECRETARIAT),
    "return_report": Row((PR.SUBMITTED,), PR.RETURNED, "secretariat", NOT_SECRETARIAT),
}
TO_SECRETARIAT = {"submit"}
# The approved spending goes to the accounts (finance.services.record_expenditures), audited on the project.
SIDE_ENTRIES = {"approve": ["finance.expenditure.report"]}
COMMENT = "Tallene for 2027 mangler."


def _report(state=PR.DUE, **kwargs):
    project = ProjectFactory(state="active")
    return ProgressReport.objects.create(
        project=project,
        number=1,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 31),
        state=state,
        summary="Uttrekket er gjort.",
        **kwargs,
    )


def _cast(report):
    project = report.project
    return {
        "applicant": member_of(project.registry),
        "other_applicant": member_of(RegistryFactory()),
        "reviewer": reviewer_for(project.application.call.scheme),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def _subject(report, state):
    return nb(
        "Progress report %(n)s of %(project)s: %(state)s",
        n=report.number,
        project=report.project.title,
        state=label_nb(PR(state)),
    )


def test_the_matrix_covers_every_progress_report_action():
    assert set(SPEC) == set(progress.PROGRESS_ACTIONS)


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_with_one_audit_entry_and_mail(name, source, django_capture_on_commit_callbacks):
    report = _report(source)
    cast = _cast(report)
    user = cast[SPEC[name].actor]
    before = Snapshot(report)

    with django_capture_on_commit_callbacks(execute=True):
        result = progress.PROGRESS_ACTIONS[name](report, by=user, comment=COMMENT)

    assert (result.state, state_of(report)) == (SPEC[name].target, SPEC[name].target)
    entries = before.new_entries()
    assert [e.action for e in entries] == [f"projects.progressreport.{name}", *SIDE_ENTRIES.get(name, [])]
    assert entry_fields(entries[0]) == (f"projects.progressreport.{name}", user, source, SPEC[name].target, COMMENT)
    assert (entries[0].content_type.model, entries[0].object_id) == ("progressreport", report.pk)
    to = cast["secretariat" if name in TO_SECRETARIAT else "applicant"]
    assert sent() == [(_subject(report, SPEC[name].target), [to.email])]


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, PR.values))
def test_other_source_is_invalid_transition_and_changes_nothing(name, source, django_capture_on_commit_callbacks):
    report = _report(source)
    user = _cast(report)[SPEC[name].actor]

    assert_refused_without_trace(
        lambda: progress.PROGRESS_ACTIONS[name](report, by=user, comment=COMMENT),
        InvalidTransition,
        report,
        django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    report = _report(SPEC[name].sources[0])
    user = _cast(report)[role]

    assert_refused_without_trace(
        lambda: progress.PROGRESS_ACTIONS[name](report, by=user, comment=COMMENT),
        NotPermitted,
        report,
        django_capture_on_commit_callbacks,
    )


def test_returning_without_feedback_is_refused_with_the_field_named(django_capture_on_commit_callbacks):
    report = _report(PR.SUBMITTED)
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: progress.return_progress_report(report, by=secretariat, comment="  "),
        ActionRefused,
        report,
        django_capture_on_commit_callbacks,
    )

    assert exc.errors == {"feedback": ["Write the feedback: say what must be changed."]}


def test_submitting_without_a_progress_summary_is_refused_with_the_field_named(django_capture_on_commit_callbacks):
    report = _report(PR.DUE)
    ProgressReport.objects.filter(pk=report.pk).update(summary="")
    report.refresh_from_db()

    exc = assert_refused_without_trace(
        lambda: progress.submit_progress_report(report, by=member_of(report.project.registry)),
        ActionRefused,
        report,
        django_capture_on_commit_callbacks,
    )

    assert exc.errors == {"summary": ["Describe the progress before you submit."]}


def test_submitting_while_the_project_is_not_active_is_refused(django_capture_on_commit_callbacks):
    report = _report(PR.DUE)
    Project.objects.filter(pk=report.project_id).update(state="final_report_submitted")

    assert_refused_without_trace(
        lambda: progress.submit_progress_report(report, by=member_of(report.project.registry)),
        InvalidTransition,
        report,
        django_capture_on_commit_callbacks,
    )


def test_the_returned_feedback_is_stored_emailed_and_cleared_by_the_next_submission(
    django_capture_on_commit_callbacks,
):
    report = _report(PR.SUBMITTED)
    member = member_of(report.project.registry)
    secretariat = UserFactory(is_secretariat=True)

    with django_capture_on_commit_callbacks(execute=True):
        progress.return_progress_report(report, by=secretariat, feedback="Legg ved tall for 2027.")
    report.refresh_from_db()
    body = mail.outbox[0].body

    assert (report.feedback, report.decided_by, report.state) == ("Legg ved tall for 2027.", secretariat, PR.RETURNED)
    assert "Legg ved tall for 2027." in body
    assert f"/projects/{report.project_id}/progress-reports/{report.pk}/" in body

    progress.submit_progress_report(report, by=member)
    report.refresh_from_db()

    assert (report.state, report.feedback, report.submitted_by) == (PR.SUBMITTED, "", member)


def test_submitting_freezes_the_indicator_values_so_far():
    report = _report(PR.DUE)

    progress.submit_progress_report(report, by=member_of(report.project.registry))
    report.refresh_from_db()

    assert (report.indicators["indicators"], sorted(report.indicators)) == ([], ["at", "indicators"])


def test_approving_records_the_reported_spending_as_expenditure():
    from finance.models import Expenditure

    report = _report(PR.SUBMITTED, spending=[{"category": "salary", "year": 2027, "amount_nok": "12500.50"}])

    progress.approve_progress_report(report, by=UserFactory(is_secretariat=True))

    rows = list(Expenditure.objects.filter(progress_report=report).values_list("year", "category", "amount_nok"))
    assert rows == [(2027, "salary", Decimal("12500.50"))]
