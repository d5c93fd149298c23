"""Scores: whole numbers 1-7 for the call's own criteria; a submitted review is locked."""

from decimal import Decimal

import pytest

from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from reviews import services
from reviews.models import Review, Score
from tests.factories import AssignmentFactory, ReviewFactory, member_of

pytestmark = pytest.mark.django_db

RANGE = "Enter a whole number from 1 to 7."


def _scores(review):
    return dict(Score.objects.filter(review=review).values_list("criterion__code", "value"))


@pytest.mark.parametrize("value", [0, 8, -1, 100, "0", "8", "abc", "5.0", 3.5, True, False, [5], {"v": 5}])
def test_a_score_that_is_not_a_whole_number_from_1_to_7_is_refused(value):
    assignment = AssignmentFactory()
    app, reviewer = assignment.application, assignment.reviewer

    with pytest.raises(ActionRefused) as exc:
        services.save_review(app, by=reviewer, scores={"methodology": value, "value": 4}, comment="Utkast.")

    assert exc.value.errors == {"scores.methodology": [RANGE]}
    assert Review.objects.filter(application=app).count() == 0


@pytest.mark.parametrize(("value", "stored"), [(1, 1), (7, 7), ("4", 4), (" 6 ", 6), (Decimal("2"), 2)])
def test_a_whole_number_from_1_to_7_is_kept(value, stored):
    assignment = AssignmentFactory()

    review = services.save_review(
        assignment.application, by=assignment.reviewer, scores={"methodology": value}, comment=""
    )

    assert _scores(review) == {"methodology": stored}


def test_an_empty_score_means_not_scored_yet():
    assignment = AssignmentFactory()

    review = services.save_review(
        assignment.application, by=assignment.reviewer, scores={"methodology": "", "value": None}, comment=""
    )

    assert _scores(review) == {}


def test_a_score_for_a_criterion_the_call_does_not_have_is_refused():
    assignment = AssignmentFactory()

    with pytest.raises(ActionRefused) as exc:
        services.save_review(
            assignment.application, by=assignment.reviewer, scores={"methodology": 5, "novelty": 6}, comment=""
        )

    assert exc.value.errors == {"scores.novelty": ["This call has no criterion “novelty”."]}
    assert Review.objects.count() == 0


def test_saving_again_replaces_the_scores():
    assignment = AssignmentFactory()
    app, reviewer = assignment.application, assignment.reviewer
    services.save_review(app, by=reviewer, scores={"methodology": 5, "value": 3}, comment="Første.")

    review = services.save_review(app, by=reviewer, scores={"methodology": 6}, comment="Andre.")

    assert (_scores(review), review.comment) == ({"methodology": 6}, "Andre.")


def test_submitting_with_a_criterion_unscored_is_refused():
    review = ReviewFactory(scored=False)
    services.save_review(review.application, by=review.reviewer, scores={"methodology": 5}, comment="")

    with pytest.raises(ActionRefused) as exc:
        services.submit_review(review.application, by=review.reviewer)

    assert exc.value.errors == {
        "scores.feasibility": ["This criterion has no score."],
        "scores.value": ["This criterion has no score."],
    }
    assert Review.objects.get(pk=review.pk).state == "draft"


def test_a_submitted_review_is_locked():
    review = ReviewFactory()
    services.submit_review(review.application, by=review.reviewer)

    with pytest.raises(ActionRefused) as exc:
        services.save_review(review.application, by=review.reviewer, scores={"methodology": 1}, comment="Endret.")
    with pytest.raises(InvalidTransition):
        services.submit_review(review.application, by=review.reviewer)

    assert exc.value.message == "Your review has been submitted and is locked."
    locked = Review.objects.get(pk=review.pk)
    assert (locked.comment, _scores(locked)) == ("Godt begrunnet.", {"methodology": 5, "feasibility": 5, "value": 5})


def test_an_assigned_reviewer_cannot_score_before_the_application_is_in_review():
    assignment = AssignmentFactory(application__state="submitted")

    with pytest.raises(NotPermitted):
        services.save_review(assignment.application, by=assignment.reviewer, scores={"methodology": 5}, comment="")


@pytest.mark.parametrize("state", ["assessed", "recommended", "granted"])
def test_scores_after_the_review_phase_are_a_state_conflict(state):
    """The reviewer may still read the application, so this is 409 (as in the API), not 403."""
    assignment = AssignmentFactory(application__state=state)

    with pytest.raises(InvalidTransition):
        services.save_review(assignment.application, by=assignment.reviewer, scores={"methodology": 5}, comment="")


def test_the_applicant_cannot_score():
    assignment = AssignmentFactory()

    with pytest.raises(NotPermitted):
        services.save_review(
            assignment.application, by=member_of(assignment.application.registry), scores={}, comment=""
        )


def test_weighted_score_uses_the_criterion_weights():
    review = ReviewFactory(scored=False)
    services.save_review(
        review.application, by=review.reviewer, scores={"methodology": 7, "feasibility": 4, "value": 1}, comment=""
    )

    assert Review.objects.get(pk=review.pk).weighted_score() == Decimal("4.75")
