"""Assigning reviewers and conflicts of interest; who can see an application, by role and state."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from grants.enums import ApplicationState as S
from grants.rules import can_view_application
from grants.selectors import applications_visible_to
from reviews import services
from reviews.models import Assignment, Conflict
from tests.core.lifecycle import Snapshot, nb, sent
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ConflictFactory,
    ExpertGroupMemberFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


def _refused_assignment(app, secretariat, reviewer, capture):
    before = Snapshot(app)
    with capture() as callbacks, pytest.raises(ActionRefused) as exc:
        services.assign_reviewer(app, by=secretariat, reviewer=reviewer)
    assert (callbacks, before.new_entries(), Assignment.objects.filter(reviewer=reviewer).count()) == ([], [], 0)
    return exc.value


@pytest.mark.parametrize("state", ["in_review"])
def test_assigning_a_group_member_records_it_and_mails_the_reviewer(
    state, secretariat, django_capture_on_commit_callbacks
):
    app = ApplicationFactory(state=state)
    reviewer = reviewer_for(app.call.scheme)

    with django_capture_on_commit_callbacks(execute=True):
        assignment = services.assign_reviewer(app, by=secretariat, reviewer=reviewer)

    assert (assignment.application, assignment.reviewer, assignment.assigned_by) == (app, reviewer, secretariat)
    assert [(e.action, e.actor, e.data) for e in history(app)] == [
        ("reviews.assignment.create", secretariat, {"reviewer": reviewer.pk, "deadline": None})
    ]
    assert sent() == [(nb("Review requested: %(title)s", title=app.title), [reviewer.email])]


def test_assigning_a_member_of_the_applicant_registry_is_refused(secretariat, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme, full_name="Kari Nordmann")
    reviewer.memberships.create(registry=app.registry)

    exc = _refused_assignment(app, secretariat, reviewer, django_capture_on_commit_callbacks)

    msg = f"Kari Nordmann is a member of {app.registry.short_name} and so has a conflict of interest."
    assert exc.errors == {"user": [msg]}


def test_assigning_someone_outside_the_expert_group_is_refused(secretariat, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="in_review")
    outsider = UserFactory(full_name="Ola Nordmann")

    exc = _refused_assignment(app, secretariat, outsider, django_capture_on_commit_callbacks)

    assert exc.errors == {"user": ["Ola Nordmann is not in this scheme's expert group."]}


def test_assigning_a_member_of_another_schemes_expert_group_is_refused(secretariat, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="in_review")
    other = ExpertGroupMemberFactory(
        group__scheme=SchemeFactory(code="quality_improvement"), user__full_name="Per Hansen"
    ).user

    exc = _refused_assignment(app, secretariat, other, django_capture_on_commit_callbacks)

    assert exc.errors == {"user": ["Per Hansen is not in this scheme's expert group."]}


def test_assigning_a_reviewer_with_a_declared_conflict_is_refused(secretariat, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme, full_name="Kari Nordmann")
    ConflictFactory(application=app, reviewer=reviewer)

    exc = _refused_assignment(app, secretariat, reviewer, django_capture_on_commit_callbacks)

    assert exc.errors == {"user": ["Kari Nordmann has declared a conflict of interest with this application."]}


def test_assigning_twice_is_refused(secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme, full_name="Kari Nordmann")
    services.assign_reviewer(app, by=secretariat, reviewer=reviewer)

    with pytest.raises(ActionRefused) as exc:
        services.assign_reviewer(app, by=secretariat, reviewer=reviewer)

    assert exc.value.errors == {"user": ["Kari Nordmann is already assigned."]}
    assert Assignment.objects.filter(application=app).count() == 1


@pytest.mark.parametrize("state", [s for s in S.values if s != "in_review"])
def test_assigning_outside_the_review_phase_is_refused(state, secretariat, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state=state)

    exc = _refused_assignment(app, secretariat, reviewer_for(app.call.scheme), django_capture_on_commit_callbacks)

    assert exc.message == "Reviewers can be assigned only once the application has been sent to review."


@pytest.mark.parametrize("role", ["applicant", "reviewer", "decider"])
def test_only_the_secretariat_assigns_reviewers(role):
    app = ApplicationFactory(state="in_review")
    user = {
        "applicant": member_of(app.registry),
        "reviewer": reviewer_for(app.call.scheme),
        "decider": UserFactory(is_decider=True),
    }[role]

    with pytest.raises(NotPermitted):
        services.assign_reviewer(app, by=user, reviewer=reviewer_for(app.call.scheme))

    assert Assignment.objects.count() == 0


def test_declaring_a_conflict_hides_the_application_from_the_reviewer():
    assignment = AssignmentFactory()
    app, reviewer = assignment.application, assignment.reviewer
    assert (can_view_application(reviewer, app), list(applications_visible_to(reviewer))) == (True, [app])

    services.declare_conflict(app, by=reviewer, reason="Jeg er medforfatter.")

    assert (can_view_application(reviewer, app), list(applications_visible_to(reviewer))) == (False, [])
    with pytest.raises(NotPermitted):
        services.save_review(app, by=reviewer, scores={"methodology": 5}, comment="")
    assert [(e.action, e.actor) for e in history(app)] == [("reviews.conflict.declare", reviewer)]


def test_declaring_a_conflict_needs_a_reason():
    assignment = AssignmentFactory()

    with pytest.raises(ActionRefused) as exc:
        services.declare_conflict(assignment.application, by=assignment.reviewer, reason=" ")

    assert exc.value.errors == {"reason": ["Give the reason for the conflict of interest."]}
    assert Conflict.objects.count() == 0


@pytest.mark.parametrize("who", ["other_schemes_reviewer", "applicant", "secretariat", "decider"])
def test_only_a_member_of_the_schemes_expert_group_declares_a_conflict(who):
    app = ApplicationFactory(state="in_review")
    user = {
        "other_schemes_reviewer": reviewer_for(SchemeFactory(code="quality_improvement")),
        "applicant": member_of(app.registry),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }[who]

    with pytest.raises(NotPermitted):
        services.declare_conflict(app, by=user, reason="Kollega.")

    assert Conflict.objects.count() == 0


def test_an_unassigned_group_member_declares_a_conflict_before_any_assignment():
    app = ApplicationFactory(state="in_review")
    member = reviewer_for(app.call.scheme)

    services.declare_conflict(app, by=member, reason="Min ektefelle leder prosjektet.")

    assert list(Conflict.objects.values_list("reviewer", "source", "reason", "waived_at")) == [
        (member.pk, "declared", "Min ektefelle leder prosjektet.", None)
    ]
    assert [(e.action, e.actor, e.data) for e in history(app)] == [
        ("reviews.conflict.declare", member, {"reviewer": member.pk})
    ]


def test_a_group_member_cannot_declare_on_an_application_not_yet_in_review():
    app = ApplicationFactory(state="submitted")

    with pytest.raises(NotPermitted):
        services.declare_conflict(app, by=reviewer_for(app.call.scheme), reason="Kollega.")


# ---------------------------------------------------------------- who sees what: the rule and the selector agree

ROLES = [
    "anonymous", "applicant", "other_applicant", "secretariat", "decider", "assigned_reviewer",
    "unassigned_reviewer", "conflicted_reviewer", "waived_conflict_reviewer", "registry_member_reviewer",
    "decider_and_assigned_reviewer",
]  # fmt: skip
ALL = set(S.values)
REVIEW_PHASE = {"in_review", "assessed", "recommended", "not_recommended", "granted", "rejected"}
FOR_DECIDERS = {"assessed", "recommended", "not_recommended", "granted", "rejected"}
EXPECTED = {
    "anonymous": set(),
    "applicant": ALL,
    "other_applicant": set(),
    "secretariat": ALL - {"draft"},
    "decider": FOR_DECIDERS,
    "assigned_reviewer": REVIEW_PHASE,
    "unassigned_reviewer": set(),
    "conflicted_reviewer": set(),
    "waived_conflict_reviewer": REVIEW_PHASE,
    # A member of the applicant registry sees it as an applicant, never as a reviewer.
    "registry_member_reviewer": ALL,
    "decider_and_assigned_reviewer": REVIEW_PHASE | FOR_DECIDERS,
}


def _user(role, app):
    scheme = app.call.scheme

    def assigned(**kwargs):
        return AssignmentFactory(application=app, **kwargs).reviewer

    if role == "anonymous":
        return AnonymousUser()
    if role == "applicant":
        return member_of(app.registry)
    if role == "other_applicant":
        return member_of(RegistryFactory())
    if role == "secretariat":
        return UserFactory(is_secretariat=True)
    if role == "decider":
        return UserFactory(is_decider=True)
    if role == "assigned_reviewer":
        return assigned()
    if role == "unassigned_reviewer":
        return reviewer_for(scheme)
    if role == "conflicted_reviewer":
        user = assigned()
        ConflictFactory(application=app, reviewer=user)
        return user
    if role == "waived_conflict_reviewer":
        user = assigned()
        ConflictFactory(application=app, reviewer=user, waived_at=timezone.now(), waiver_reason="Fjern relasjon.")
        return user
    if role == "registry_member_reviewer":
        user = assigned()
        user.memberships.create(registry=app.registry)
        return user
    return assigned(reviewer=reviewer_for(scheme, is_decider=True))


@pytest.mark.parametrize("state", S.values)
@pytest.mark.parametrize("role", ROLES)
def test_rule_and_selector_agree_on_who_sees_the_application(role, state):
    # Every state but draft has been submitted once (a withdrawn draft is tests/access/test_hidden_data.py's).
    app = ApplicationFactory(state=state, submitted_at=None if state == S.DRAFT else timezone.now())
    ApplicationFactory(state=state)  # someone else's, in the same state
    user = _user(role, app)

    by_rule = can_view_application(user, app)
    by_selector = app in applications_visible_to(user)

    assert (by_rule, by_selector) == (state in EXPECTED[role], state in EXPECTED[role])


def test_a_conflicted_reviewer_can_neither_score_nor_submit_nor_assign():
    app = ApplicationFactory(state="in_review")
    reviewer = _user("conflicted_reviewer", app)

    with pytest.raises(NotPermitted):
        services.save_review(app, by=reviewer, scores={"methodology": 5}, comment="")
    with pytest.raises(NotPermitted):
        services.submit_review(app, by=reviewer)
    with pytest.raises(NotPermitted):
        services.assign_reviewer(app, by=reviewer, reviewer=reviewer)
