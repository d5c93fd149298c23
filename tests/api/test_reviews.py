"""Reviews: no peeking before one's own is submitted, conflicted reviewers never count, and the ranked list."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from reviews.models import Conflict, Score
from reviews.selectors import call_ranking
from reviews.services import start_discussion
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    MembershipFactory,
    ReviewFactory,
    UserFactory,
    reviewer_for,
)

pytestmark = pytest.mark.django_db

# The data-quality scheme's criteria in the factories: methodology (weight 2), feasibility (1), value (1).


def scored_review(application, state="submitted", **scores):
    submitted_at = timezone.now() if state == "submitted" else None
    review = ReviewFactory(application=application, state=state, submitted_at=submitted_at, scored=False)
    for criterion in application.call.criteria.all():
        Score.objects.create(review=review, criterion=criterion, value=scores[criterion.code])
    return review


def test_a_reviewer_sees_no_other_review_before_submitting_their_own(api):
    app = ApplicationFactory(state="in_review")
    scored_review(app, methodology=6, feasibility=4, value=5)
    mine = scored_review(app, state="draft", methodology=3, feasibility=3, value=3)

    response = api(mine.reviewer).get(f"/applications/{app.pk}/reviews")

    assert response.status_code == 403
    assert response.json()["detail"] == "You can see the other reviews once you have submitted your own."


def test_after_submitting_a_reviewer_sees_the_submitted_unconflicted_reviews(api):
    app = ApplicationFactory(state="in_review")
    other = scored_review(app, methodology=6, feasibility=4, value=5)
    scored_review(app, state="draft", methodology=1, feasibility=1, value=1)
    conflicted = scored_review(app, methodology=7, feasibility=7, value=7)
    Conflict.objects.create(application=app, reviewer=conflicted.reviewer, reason="Kollega.")
    mine = scored_review(app, methodology=3, feasibility=3, value=3)

    response = api(mine.reviewer).get(f"/applications/{app.pk}/reviews")

    assert [(r["id"], r["scores"], r["weighted_score"]) for r in response.json()] == [
        (other.pk, {"methodology": 6, "feasibility": 4, "value": 5}, 5.25),
        (mine.pk, {"methodology": 3, "feasibility": 3, "value": 3}, 3.0),
    ]


def test_the_secretariat_sees_every_review_with_conflicts_flagged(api):
    app = ApplicationFactory(state="in_review")
    draft = scored_review(app, state="draft", methodology=1, feasibility=1, value=1)
    conflicted = scored_review(app, methodology=7, feasibility=7, value=7)
    MembershipFactory(user=conflicted.reviewer, registry=app.registry)

    response = api(UserFactory(is_secretariat=True)).get(f"/applications/{app.pk}/reviews")

    assert [(r["id"], r["state"], r["conflicted"]) for r in response.json()] == [
        (conflicted.pk, "submitted", True),
        (draft.pk, "draft", False),
    ]


def test_a_reviewer_reads_their_own_draft(api):
    app = ApplicationFactory(state="in_review")
    mine = scored_review(app, state="draft", methodology=2, feasibility=3, value=4)

    response = api(mine.reviewer).get(f"/applications/{app.pk}/reviews/mine")

    assert response.json() == {
        "id": mine.pk,
        "application": app.pk,
        "reviewer": {"id": mine.reviewer_id, "name": mine.reviewer.full_name},
        "state": "draft",
        "scores": {"methodology": 2, "feasibility": 3, "value": 4},
        "comment": "Godt begrunnet.",
        "weighted_score": 2.75,
        "submitted_at": None,
        "conflicted": False,
    }


def test_declaring_a_conflict_hides_the_application_from_the_reviewer(api):
    assignment = AssignmentFactory()
    client = api(assignment.reviewer)

    declared = client.post(f"/applications/{assignment.application_id}/conflict", {"reason": "Medforfatter."})
    after = client.get(f"/applications/{assignment.application_id}")

    assert declared.status_code == 201
    assert after.status_code == 404


def test_call_ranking_averages_reviews_and_leaves_conflicted_ones_out():
    call = CallFactory(budget_nok=Decimal("150000"))
    strong = ApplicationFactory(call=call, state="assessed", requested_amount_nok=Decimal("90000"))
    weak = ApplicationFactory(call=call, state="in_review", requested_amount_nok=Decimal("80000"))
    unscored = ApplicationFactory(call=call, state="in_review")
    ApplicationFactory(call=call, state="submitted")  # not in review yet: not ranked
    scored_review(strong, methodology=6, feasibility=4, value=5)  # 5.25
    scored_review(strong, methodology=4, feasibility=4, value=4)  # 4.0
    declared = scored_review(strong, methodology=7, feasibility=7, value=7)
    Conflict.objects.create(application=strong, reviewer=declared.reviewer, reason="Kollega.")
    member = scored_review(weak, methodology=7, feasibility=7, value=7)
    MembershipFactory(user=member.reviewer, registry=weak.registry)
    scored_review(weak, methodology=3, feasibility=5, value=4)  # 3.75
    scored_review(unscored, state="draft", methodology=7, feasibility=7, value=7)

    ranking = call_ranking(call)

    assert [
        (r.application_id, r.rank, r.reviews, r.weighted_mean, r.spread, r.cumulative_nok, r.within_budget)
        for r in ranking
    ] == [
        (strong.pk, 1, 2, Decimal("4.625"), Decimal("1.25"), Decimal("90000.00"), True),
        (weak.pk, 2, 1, Decimal("3.75"), Decimal("0"), Decimal("170000.00"), False),
        (unscored.pk, None, 0, None, None, None, False),
    ]


# ---------------------------------------------------------------- the call's review round, the discussion, reopening


def test_the_secretariat_sets_the_deadline_and_moves_the_phase_and_the_group_follows(api):
    app = ApplicationFactory(state="in_review")
    secretariat, member = UserFactory(is_secretariat=True), reviewer_for(app.call.scheme)
    deadline = (timezone.localdate() + timedelta(days=20)).isoformat()

    before = api(member).get(f"/calls/{app.call_id}/review_round").json()
    put = api(secretariat).put(f"/calls/{app.call_id}/review_round", {"review_deadline": deadline})
    moved = api(secretariat).post(f"/calls/{app.call_id}/review_round/transitions/start_discussion")
    after = api(member).get(f"/calls/{app.call_id}/review_round").json()

    assert before == {"call": app.call_id, "phase": "independent", "review_deadline": None, "available_transitions": []}
    assert (put.status_code, put.json()["review_deadline"]) == (200, deadline)
    assert moved.json()["available_transitions"] == ["back_to_independent", "close_review"]
    assert after == {
        "call": app.call_id,
        "phase": "discussion",
        "review_deadline": deadline,
        "available_transitions": [],
    }


def test_an_unknown_phase_transition_is_404_and_a_wrong_one_409(api):
    app = ApplicationFactory(state="in_review")
    client = api(UserFactory(is_secretariat=True))

    unknown = client.post(f"/calls/{app.call_id}/review_round/transitions/fly")
    wrong = client.post(f"/calls/{app.call_id}/review_round/transitions/close_review")

    assert (unknown.status_code, wrong.status_code) == (404, 409)
    assert unknown.json()["detail"] == (
        "The review round has no transition “fly”; the transitions are: start_discussion, close_review, "
        "back_to_independent."
    )


def test_in_discussion_an_unassigned_member_reads_the_reviews_and_posts_to_the_thread(api):
    app = ApplicationFactory(state="in_review")
    other = scored_review(app, methodology=6, feasibility=4, value=5)
    member = reviewer_for(app.call.scheme)
    start_discussion(app.call, by=UserFactory(is_secretariat=True))
    client = api(member)

    reviews = client.get(f"/applications/{app.pk}/reviews").json()
    posted = client.post(f"/applications/{app.pk}/comments", {"text": "Enig i metodevurderingen."})
    thread = client.get(f"/applications/{app.pk}/comments").json()

    assert [(r["id"], r["weighted_score"]) for r in reviews] == [(other.pk, 5.25)]
    assert posted.status_code == 201
    assert [(c["author"]["id"], c["text"]) for c in thread] == [(member.pk, "Enig i metodevurderingen.")]


def test_the_secretariat_reopens_a_submitted_review_through_the_api(api):
    review = scored_review(ApplicationFactory(state="in_review"), methodology=2, feasibility=3, value=4)

    response = api(UserFactory(is_secretariat=True)).post(
        f"/applications/{review.application_id}/reviews/{review.reviewer_id}/reopen", {"comment": "Se igjen."}
    )
    again = api(review.reviewer).put(
        f"/applications/{review.application_id}/reviews/mine", {"scores": {"methodology": 7}}
    )

    assert (response.status_code, response.json()["state"], response.json()["submitted_at"]) == (200, "draft", None)
    assert (again.status_code, again.json()["scores"]) == (200, {"methodology": 7})


def test_reopening_a_review_that_does_not_exist_is_404(api):
    app = ApplicationFactory(state="in_review")

    response = api(UserFactory(is_secretariat=True)).post(f"/applications/{app.pk}/reviews/999999/reopen")

    assert response.status_code == 404
