"""The review lifecycle (draft → submitted) through reviews.services.submit_review."""

import pytest

from core.exceptions import InvalidTransition, NotPermitted
from reviews.enums import ReviewState as R
from reviews.services import submit_review
from tests.core.lifecycle import (
    Row,
    Snapshot,
    allowed,
    assert_refused_without_trace,
    disallowed,
    entry_fields,
    nb,
    sent,
    state_of,
    wrong_roles,
)
from tests.factories import AssignmentFactory, RegistryFactory, ReviewFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

SPEC = {
    "submit": Row(
        (R.DRAFT,),
        R.SUBMITTED,
        "reviewer",
        ("applicant", "other_applicant", "secretariat", "decider", "unassigned_reviewer", "conflicted_reviewer"),
    ),
}


def _cast(review):
    app = review.application
    conflicted = AssignmentFactory(application=app).reviewer
    app.conflicts.create(reviewer=conflicted, reason="Kollega av prosjektlederen.")
    return {
        "reviewer": review.reviewer,
        "applicant": member_of(app.registry),
        "other_applicant": member_of(RegistryFactory()),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
        "unassigned_reviewer": reviewer_for(app.call.scheme),
        "conflicted_reviewer": conflicted,
    }


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_submit_locks_the_review_with_one_audit_entry_and_tells_the_secretariat(
    name, source, django_capture_on_commit_callbacks
):
    review = ReviewFactory(state=source)
    cast = _cast(review)
    before = Snapshot(review)

    with django_capture_on_commit_callbacks(execute=True):
        result = submit_review(review.application, by=review.reviewer, comment="Ferdig vurdert.")

    assert (result.state, state_of(review), result.submitted_at is not None) == (R.SUBMITTED, R.SUBMITTED, True)
    assert [entry_fields(e) for e in before.new_entries()] == [
        ("reviews.review.submit", review.reviewer, R.DRAFT, R.SUBMITTED, "Ferdig vurdert.")
    ]
    assert sent() == [(nb("Review submitted: %(title)s", title=review.application.title), [cast["secretariat"].email])]


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, R.values))
def test_submitted_review_cannot_be_submitted_again(name, source, django_capture_on_commit_callbacks):
    review = ReviewFactory(state=source)

    assert_refused_without_trace(
        lambda: submit_review(review.application, by=review.reviewer),
        InvalidTransition,
        review,
        django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    review = ReviewFactory()
    user = _cast(review)[role]

    assert_refused_without_trace(
        lambda: submit_review(review.application, by=user), NotPermitted, review, django_capture_on_commit_callbacks
    )


@pytest.mark.parametrize("state", ["submitted", "assessed", "recommended", "granted", "withdrawn"])
def test_draft_review_cannot_be_submitted_outside_the_review_phase(state, django_capture_on_commit_callbacks):
    review = ReviewFactory(application__state=state)

    assert_refused_without_trace(
        lambda: submit_review(review.application, by=review.reviewer),
        NotPermitted,
        review,
        django_capture_on_commit_callbacks,
    )
