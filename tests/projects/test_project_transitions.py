"""The project lifecycle through projects.services.PROJECT_ACTIONS."""

import pytest

from core.exceptions import InvalidTransition, NotPermitted
from projects.enums import ProjectState as P
from projects.models import FinalReport
from projects.services import PROJECT_ACTIONS
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
    "accept_agreement": Row((P.AGREEMENT_PENDING,), P.ACTIVE, "applicant", NOT_MEMBER),
    "submit_final_report": Row((P.ACTIVE,), P.FINAL_REPORT_SUBMITTED, "applicant", NOT_MEMBER),
    "approve_final_report": Row((P.FINAL_REPORT_SUBMITTED,), P.CLOSED, "secretariat", NOT_SECRETARIAT),
    "return_final_report": Row((P.FINAL_REPORT_SUBMITTED,), P.ACTIVE, "secretariat", NOT_SECRETARIAT),
    "terminate": Row(
        (P.AGREEMENT_PENDING, P.ACTIVE, P.FINAL_REPORT_SUBMITTED), P.TERMINATED, "secretariat", NOT_SECRETARIAT
    ),
}
# Audit entries for the project's payments, written in the same transaction (the factory's two are scheduled).
SIDE_ENTRIES = {
    "accept_agreement": ["finance.payment.become_due"],
    "approve_final_report": ["finance.payment.become_due"],
    "terminate": ["finance.payment.cancel", "finance.payment.cancel"],
}
TO_SECRETARIAT = {"accept_agreement", "submit_final_report"}
COMMENT = "Vurdert av sekretariatet."


def _cast(project):
    return {
        "applicant": member_of(project.registry),
        "other_applicant": member_of(RegistryFactory()),
        "reviewer": reviewer_for(project.application.call.scheme),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def _expected_mail(name, project, cast):
    subject = nb("Project %(title)s: %(state)s", title=project.title, state=label_nb(P(SPEC[name].target)))
    return [(subject, [cast["secretariat" if name in TO_SECRETARIAT else "applicant"].email])]


def test_the_matrix_covers_every_project_action():
    assert set(SPEC) == set(PROJECT_ACTIONS)


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_with_one_audit_entry_and_mail(name, source, django_capture_on_commit_callbacks):
    project = ProjectFactory(state=source)
    FinalReport.objects.filter(project=project).update(sections={"summary": "Kort.", "results": "Bedre."})
    cast = _cast(project)
    user = cast[SPEC[name].actor]
    before = Snapshot(project)

    with django_capture_on_commit_callbacks(execute=True):
        result = PROJECT_ACTIONS[name](project, by=user, comment=COMMENT)

    assert (result.state, state_of(project)) == (SPEC[name].target, SPEC[name].target)
    entries = before.new_entries()
    assert [e.action for e in entries] == [f"projects.project.{name}", *SIDE_ENTRIES.get(name, [])]
    assert entry_fields(entries[0]) == (f"projects.project.{name}", user, source, SPEC[name].target, COMMENT)
    assert (entries[0].content_type.model, entries[0].object_id) == ("project", project.pk)
    assert sent() == _expected_mail(name, project, cast)


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, P.values))
def test_other_source_is_invalid_transition_and_changes_nothing(name, source, django_capture_on_commit_callbacks):
    project = ProjectFactory(state=source)
    user = _cast(project)[SPEC[name].actor]

    assert_refused_without_trace(
        lambda: PROJECT_ACTIONS[name](project, by=user, comment=COMMENT),
        InvalidTransition,
        project,
        django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    project = ProjectFactory(state=SPEC[name].sources[0])
    user = _cast(project)[role]

    assert_refused_without_trace(
        lambda: PROJECT_ACTIONS[name](project, by=user, comment=COMMENT),
        NotPermitted,
        project,
        django_capture_on_commit_callbacks,
    )
