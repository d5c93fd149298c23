"""The milestone lifecycle: report (projects.services.report_milestone) and MILESTONE_ACTIONS."""

import pytest

from core.exceptions import InvalidTransition, NotPermitted
from projects import services
from projects.enums import MilestoneState as M
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
from tests.factories import MilestoneFactory, RegistryFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

NOT_MEMBER = ("other_applicant", "reviewer", "decider", "secretariat")
NOT_SECRETARIAT = ("applicant", "other_applicant", "reviewer", "decider")
SPEC = {
    "report": Row((M.PLANNED, M.REVISION_REQUESTED), M.REPORTED, "applicant", NOT_MEMBER),
    "approve": Row((M.REPORTED,), M.APPROVED, "secretariat", NOT_SECRETARIAT),
    "request_revision": Row((M.REPORTED,), M.REVISION_REQUESTED, "secretariat", NOT_SECRETARIAT),
}
TEXT = "Datauttrekket er levert."
COMMENT = "Se merknadene."


def _fire(name, milestone, user):
    if name == "report":
        return services.report_milestone(milestone, by=user, text=TEXT)
    return services.MILESTONE_ACTIONS[name](milestone, by=user, comment=COMMENT)


def _cast(milestone):
    project = milestone.project
    return {
        "applicant": member_of(project.registry),
        "other_applicant": member_of(RegistryFactory()),
        "reviewer": reviewer_for(project.application.call.scheme),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def test_the_matrix_covers_every_milestone_action():
    assert set(SPEC) == {"report", *services.MILESTONE_ACTIONS}


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_with_one_audit_entry_and_mail(name, source, django_capture_on_commit_callbacks):
    milestone = MilestoneFactory(state=source)
    cast = _cast(milestone)
    user = cast[SPEC[name].actor]
    before = Snapshot(milestone)

    with django_capture_on_commit_callbacks(execute=True):
        result = _fire(name, milestone, user)

    assert (result.state, state_of(milestone)) == (SPEC[name].target, SPEC[name].target)
    comment = "" if name == "report" else COMMENT
    assert [entry_fields(e) for e in before.new_entries()] == [
        (f"projects.milestone.{name}", user, source, SPEC[name].target, comment)
    ]
    to = cast["secretariat" if name == "report" else "applicant"].email
    subject = nb("Milestone %(title)s: %(state)s", title=milestone.title, state=label_nb(M(SPEC[name].target)))
    assert sent() == [(subject, [to])]


def test_report_keeps_the_text():
    milestone = MilestoneFactory()

    result = services.report_milestone(milestone, by=member_of(milestone.project.registry), text=TEXT)

    assert (result.report_text, result.reported_at is not None) == (TEXT, True)


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, M.values))
def test_other_source_is_invalid_transition_and_changes_nothing(name, source, django_capture_on_commit_callbacks):
    milestone = MilestoneFactory(state=source)
    user = _cast(milestone)[SPEC[name].actor]

    assert_refused_without_trace(
        lambda: _fire(name, milestone, user), InvalidTransition, milestone, django_capture_on_commit_callbacks
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    milestone = MilestoneFactory(state=SPEC[name].sources[0])
    user = _cast(milestone)[role]

    assert_refused_without_trace(
        lambda: _fire(name, milestone, user), NotPermitted, milestone, django_capture_on_commit_callbacks
    )
