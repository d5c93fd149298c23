"""Change requests: submit, withdraw, approve (applied to the plan, both versions kept) or refuse with a reason."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.test import Client
from django.utils import translation

from audit.services import history
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from finance.models import BudgetLine
from projects import changes
from projects.enums import ChangeRequestState as CR
from projects.models import ChangeRequest, Milestone
from tests.core.lifecycle import Row, Snapshot, allowed, assert_refused_without_trace, disallowed, state_of, wrong_roles
from tests.factories import MilestoneFactory, ProjectFactory, RegistryFactory, UserFactory, api_token_for, member_of

pytestmark = pytest.mark.django_db

SPEC = {
    "approve": Row((CR.SUBMITTED,), CR.APPROVED, "secretariat", ("applicant", "other_applicant", "decider")),
    "refuse": Row((CR.SUBMITTED,), CR.REFUSED, "secretariat", ("applicant", "other_applicant", "decider")),
    "withdraw": Row((CR.SUBMITTED,), CR.WITHDRAWN, "applicant", ("other_applicant", "secretariat", "decider")),
}


def _project():
    return ProjectFactory(state="active")  # end 2027-12-31; budget: 2027 salary 90000.00; milestone 2027-06-30


def _cast(project):
    return {
        "applicant": member_of(project.registry),
        "other_applicant": member_of(RegistryFactory()),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def _change(state=CR.SUBMITTED, project=None):
    project = project or _project()
    change = changes.submit_change(
        project, by=member_of(project.registry), kind="extension", proposal={"end_date": "2028-06-30"}, reason="Sent."
    )
    ChangeRequest.objects.filter(pk=change.pk).update(state=state)
    return ChangeRequest.objects.get(pk=change.pk)


def test_the_matrix_covers_every_action():
    assert set(SPEC) == set(changes.CHANGE_ACTIONS)


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_and_is_audited(name, source):
    change = _change(source)
    user = _cast(change.project)[SPEC[name].actor]
    before = Snapshot(change)

    changes.CHANGE_ACTIONS[name](change, by=user, comment="Begrunnet.")

    assert state_of(change) == SPEC[name].target
    entries = [(e.action, e.source, e.target, e.comment) for e in before.new_entries() if e.object_id == change.pk]
    assert entries[0] == (f"projects.changerequest.{name}", source, SPEC[name].target, "Begrunnet.")


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, CR.values))
def test_other_source_is_refused(name, source, django_capture_on_commit_callbacks):
    change = _change(source)
    user = _cast(change.project)[SPEC[name].actor]

    assert_refused_without_trace(
        lambda: changes.CHANGE_ACTIONS[name](change, by=user, comment="Ok."),
        InvalidTransition,
        change,
        django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted(name, role, django_capture_on_commit_callbacks):
    change = _change()
    user = _cast(change.project)[role]

    assert_refused_without_trace(
        lambda: changes.CHANGE_ACTIONS[name](change, by=user, comment="Ok."),
        NotPermitted,
        change,
        django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize("name", ["approve", "refuse"])
def test_a_decision_needs_a_reason(name, django_capture_on_commit_callbacks):
    change = _change()

    with translation.override("en"):
        exc = assert_refused_without_trace(
            lambda: changes.CHANGE_ACTIONS[name](change, by=UserFactory(is_secretariat=True), comment=" "),
            ActionRefused,
            change,
            django_capture_on_commit_callbacks,
        )

    assert exc.errors == {"comment": ["Give the reason for the decision."]}


def test_approved_extension_moves_end_and_final_report_due_and_keeps_both_versions():
    project = _project()
    change = _change(project=project)
    secretariat = UserFactory(is_secretariat=True)

    changes.approve_change(change, by=secretariat, comment="Godkjent.")

    project.refresh_from_db()
    change.refresh_from_db()
    assert (project.end_date, project.final_report_due) == (date(2028, 6, 30), date(2028, 9, 30))
    assert (change.before, change.proposal) == (
        {"end_date": "2027-12-31", "final_report_due": None},
        {"end_date": "2028-06-30", "final_report_due": "2028-09-30"},
    )
    assert (change.decided_by, change.decision_reason) == (secretariat, "Godkjent.")
    applied = history(change).get(action="projects.changerequest.apply")
    assert applied.data == {
        "before": {"end_date": "2027-12-31", "final_report_due": None},
        "after": {"end_date": "2028-06-30", "final_report_due": "2028-09-30"},
    }


def test_refused_change_leaves_the_plan_alone():
    project = _project()
    change = _change(project=project)

    changes.refuse_change(change, by=UserFactory(is_secretariat=True), comment="Ikke begrunnet godt nok.")

    project.refresh_from_db()
    assert (project.end_date, ChangeRequest.objects.get(pk=change.pk).decision_reason) == (
        date(2027, 12, 31),
        "Ikke begrunnet godt nok.",
    )


def test_budget_reallocation_keeps_the_total_and_replaces_the_lines():
    project = _project()
    member = member_of(project.registry)
    lines = [
        {"year": 2027, "category": "salary", "amount_nok": "60000.01"},
        {"year": 2028, "category": "travel", "amount_nok": "29999.99"},
    ]

    change = changes.submit_change(project, by=member, kind="budget", proposal={"lines": lines}, reason="Flytt.")
    changes.approve_change(change, by=UserFactory(is_secretariat=True), comment="Ok.")

    rows = list(
        BudgetLine.objects.filter(application=project.application).values_list("year", "category", "amount_nok")
    )
    assert rows == [(2027, "salary", D("60000.01")), (2028, "travel", D("29999.99"))]
    assert ChangeRequest.objects.get(pk=change.pk).before == {
        "lines": [{"year": 2027, "category": "salary", "amount_nok": "90000.00"}]
    }


def test_budget_reallocation_changing_the_total_is_refused_naming_the_field():
    project = _project()
    lines = [{"year": 2027, "category": "salary", "amount_nok": "90000.01"}]

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        changes.submit_change(
            project, by=member_of(project.registry), kind="budget", proposal={"lines": lines}, reason="x"
        )

    assert exc.value.errors == {
        "lines": ["A reallocation keeps the total: the new lines add up to 90000.01 NOK, the budget is 90000.00 NOK."]
    }
    assert ChangeRequest.objects.count() == 0


def test_budget_lines_are_validated_per_field():
    project = _project()
    lines = [{"year": 1999, "category": "food", "amount_nok": "1.001"}]

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        changes.submit_change(
            project, by=member_of(project.registry), kind="budget", proposal={"lines": lines}, reason="x"
        )

    assert exc.value.errors == {
        "lines.0.year": ["Give a year between 2000 and 2100."],
        "lines.0.category": ["Choose one of the budget categories: salary, operating, travel, equipment, other."],
        "lines.0.amount_nok": ["At most two decimals (øre)."],
    }


def test_milestone_change_retitles_moves_adds_and_removes_planned_only():
    project = ProjectFactory(state="active")
    keep = MilestoneFactory(project=project, title="Uttrekk", due_date=date(2027, 3, 1))
    drop = MilestoneFactory(project=project, title="Analyse", due_date=date(2027, 5, 1))
    reported = MilestoneFactory(project=project, title="Oppstart", due_date=date(2027, 2, 1), state="reported")
    proposal = {
        "milestones": [
            {"id": keep.pk, "title": "Uttrekk og vask", "due_date": "2027-04-01"},
            {"title": "Rapport", "due_date": "2027-11-30"},
        ]
    }

    change = changes.submit_change(
        project, by=member_of(project.registry), kind="milestones", proposal=proposal, reason="Ny plan."
    )
    changes.approve_change(change, by=UserFactory(is_secretariat=True), comment="Ok.")

    rows = list(
        Milestone.objects.filter(project=project).order_by("due_date").values_list("title", "due_date", "state")
    )
    assert rows == [
        ("Oppstart", date(2027, 2, 1), "reported"),
        ("Uttrekk og vask", date(2027, 4, 1), "planned"),
        ("Rapport", date(2027, 11, 30), "planned"),
    ]
    assert not Milestone.objects.filter(pk=drop.pk).exists()
    assert Milestone.objects.filter(pk=reported.pk).exists()


def test_a_reported_milestone_cannot_be_changed():
    project = ProjectFactory(state="active")
    reported = MilestoneFactory(project=project, state="reported")

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        changes.submit_change(
            project,
            by=member_of(project.registry),
            kind="milestones",
            proposal={"milestones": [{"id": reported.pk, "title": "Ny", "due_date": "2027-01-01"}]},
            reason="x",
        )

    assert exc.value.errors == {
        "milestones.0.id": ["Only planned milestones of this project can be changed, each once."]
    }


@pytest.mark.parametrize(
    ("proposal", "errors"),
    [
        ({"end_date": "2027-12-31"}, {"end_date": ["The new end date must be after the current one (2027-12-31)."]}),
        ({"end_date": "snart"}, {"end_date": ["Give a date (YYYY-MM-DD)."]}),
    ],
)
def test_extension_must_be_after_the_current_end(proposal, errors):
    project = _project()

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        changes.submit_change(project, by=member_of(project.registry), kind="extension", proposal=proposal, reason="x")

    assert exc.value.errors == errors


def test_submit_needs_a_reason_and_a_known_kind():
    project = _project()

    with translation.override("en"), pytest.raises(ActionRefused) as exc:
        changes.submit_change(project, by=member_of(project.registry), kind="budgets", proposal={}, reason="")

    assert exc.value.errors == {
        "kind": ["Choose one of: extension, budget, milestones."],
        "reason": ["Say why the change is needed."],
    }


def test_only_an_active_project_takes_change_requests():
    project = ProjectFactory(state="closed")

    with pytest.raises(InvalidTransition):
        changes.submit_change(
            project, by=member_of(project.registry), kind="extension", proposal={"end_date": "2029-01-01"}, reason="x"
        )


def test_a_stranger_may_not_submit():
    project = _project()

    with pytest.raises(NotPermitted):
        changes.submit_change(
            project, by=member_of(RegistryFactory()), kind="extension", proposal={"end_date": "2029-01-01"}, reason="x"
        )


def _api(user):
    return Client(headers={"Authorization": f"Bearer {api_token_for(user)}"})


def test_api_submit_and_approve():
    project = _project()
    member = member_of(project.registry)

    created = _api(member).post(
        f"/api/v1/projects/{project.pk}/change_requests",
        {"kind": "extension", "proposal": {"end_date": "2028-03-31"}, "reason": "Forsinket."},
        content_type="application/json",
    )
    cid = created.json()["id"]
    decided = _api(UserFactory(is_secretariat=True)).post(
        f"/api/v1/projects/{project.pk}/change_requests/{cid}/transitions/approve",
        {"comment": "Ok."},
        content_type="application/json",
    )

    assert (created.status_code, created.json()["proposal"]) == (
        201,
        {"end_date": "2028-03-31", "final_report_due": "2028-06-30"},
    )
    assert (decided.status_code, decided.json()["state"], decided.json()["decision_reason"]) == (200, "approved", "Ok.")


def test_api_refuse_without_reason_is_400_naming_the_field():
    change = _change()

    response = _api(UserFactory(is_secretariat=True)).post(
        f"/api/v1/projects/{change.project_id}/change_requests/{change.pk}/transitions/refuse",
        {"comment": ""},
        content_type="application/json",
    )

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"comment": ["Give the reason for the decision."]},
    )


def test_web_form_submits_a_budget_reallocation():
    project = _project()
    client = Client()
    client.force_login(member_of(project.registry))
    data = {
        "rows": "2",
        "line-0-year": "2027",
        "line-0-category": "salary",
        "line-0-amount": "45000",
        "line-1-year": "2028",
        "line-1-category": "salary",
        "line-1-amount": "45000,00",
        "reason": "Utsatt arbeid.",
    }

    response = client.post(f"/projects/{project.pk}/changes/new/budget/", data)

    assert response.status_code == 302
    assert ChangeRequest.objects.get().proposal == {
        "lines": [
            {"year": 2027, "category": "salary", "amount_nok": "45000.00"},
            {"year": 2028, "category": "salary", "amount_nok": "45000.00"},
        ]
    }


def test_web_form_shows_errors_naming_the_row_and_field():
    project = _project()
    client = Client()
    client.force_login(member_of(project.registry))
    data = {"rows": "1", "line-0-year": "2027", "line-0-category": "salary", "line-0-amount": "-5", "reason": "x"}

    response = client.post(f"/projects/{project.pk}/changes/new/budget/", data, headers={"Accept-Language": "en"})

    assert response.status_code == 400
    assert "Row 1, amount: The amount cannot be negative." in response.text
    assert ChangeRequest.objects.count() == 0
