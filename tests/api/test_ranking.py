"""GET /calls/{id}/ranking: CONTRACT's fields plus median, disagreement, reviews, normalised_score, consensus_score,
proposed_amount_nok and first_time; who gets it, and which rows each viewer gets."""

from decimal import Decimal

import pytest

from config.api import api as ninja_api
from reviews.models import Conflict, Consensus, ReviewRound, Score
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ExpertGroupMemberFactory,
    MembershipFactory,
    ReviewFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

from .helpers import problem

pytestmark = pytest.mark.django_db

D = Decimal


def review(application, reviewer, value):
    made = ReviewFactory(application=application, reviewer=reviewer, state="submitted", scored=False)
    for criterion in application.call.criteria.all():
        Score.objects.create(review=made, criterion=criterion, value=value)


@pytest.fixture
def scene():
    """A call in discussion: `strong` (6 and 3: a disagreement), `agreed` (4 and 2, a consensus of 6.25, a proposed
    amount), `unscored`; a third member of the group is conflicted with `agreed`."""
    call = CallFactory(budget_nok=D("180000.00"))
    ReviewRound.objects.create(call=call, phase="discussion")
    strong = ApplicationFactory(call=call, state="in_review", requested_amount_nok=D("95000.00"))
    agreed = ApplicationFactory(
        call=call, state="assessed", requested_amount_nok=D("100000.00"), proposed_amount_nok=D("85000.00")
    )
    unscored = ApplicationFactory(call=call, state="in_review", requested_amount_nok=D("50000.00"))
    one, two = reviewer_for(call.scheme), reviewer_for(call.scheme)
    review(strong, one, 6)
    review(strong, two, 3)
    review(agreed, one, 4)
    review(agreed, two, 2)
    Consensus.objects.create(application=agreed, score=D("6.25"), assessment="Samlet vurdering.")
    conflicted = reviewer_for(call.scheme)
    Conflict.objects.create(application=agreed, reviewer=conflicted, reason="Medforfatter.")
    chair = ExpertGroupMemberFactory(group=call.scheme.expert_group, is_chair=True).user
    return call, {"strong": strong, "agreed": agreed, "unscored": unscored}, {"conflicted": conflicted, "chair": chair}


def expected(apps):
    strong, agreed, unscored = apps["strong"], apps["agreed"], apps["unscored"]
    return [
        {
            "application": agreed.pk,
            "title": agreed.title,
            "registry": agreed.registry_id,
            "state": "assessed",
            "rank": 1,
            "reviews": 2,
            "weighted_mean": 3.0,
            "median": 3.0,
            "spread": 2.0,
            "disagreement": False,
            "normalised_score": -1.0,  # each reviewer's lower score: z = -1 from both
            "consensus_score": 6.25,
            "first_time": True,
            "requested_amount_nok": "100000.00",
            "proposed_amount_nok": "85000.00",
            "cumulative_nok": "85000.00",
            "within_budget": True,
        },
        {
            "application": strong.pk,
            "title": strong.title,
            "registry": strong.registry_id,
            "state": "in_review",
            "rank": 2,
            "reviews": 2,
            "weighted_mean": 4.5,
            "median": 4.5,
            "spread": 3.0,
            "disagreement": True,
            "normalised_score": 1.0,  # each reviewer's higher score: z = +1 from both
            "consensus_score": None,
            "first_time": True,
            "requested_amount_nok": "95000.00",
            "proposed_amount_nok": None,
            "cumulative_nok": "180000.00",
            "within_budget": True,
        },
        {
            "application": unscored.pk,
            "title": unscored.title,
            "registry": unscored.registry_id,
            "state": "in_review",
            "rank": None,
            "reviews": 0,
            "weighted_mean": None,
            "median": None,
            "spread": None,
            "disagreement": False,
            "normalised_score": None,
            "consensus_score": None,
            "first_time": True,
            "requested_amount_nok": "50000.00",
            "proposed_amount_nok": None,
            "cumulative_nok": None,
            "within_budget": False,
        },
    ]


def test_the_secretariat_gets_every_row_with_every_field(api, scene):
    call, apps, _users = scene

    response = api(UserFactory(is_secretariat=True)).get(f"/calls/{call.pk}/ranking")

    assert (response.status_code, response.json()) == (200, expected(apps))


def test_the_chair_gets_every_row_they_have_no_conflict_with(api, scene):
    call, apps, users = scene

    response = api(users["chair"]).get(f"/calls/{call.pk}/ranking")

    assert (response.status_code, response.json()) == (200, expected(apps))


def test_a_conflicted_member_gets_the_other_rows_with_their_ranks(api, scene):
    call, apps, users = scene

    response = api(users["conflicted"]).get(f"/calls/{call.pk}/ranking")

    assert (response.status_code, response.json()) == (200, expected(apps)[1:])


def test_a_member_of_the_applicant_registry_does_not_get_its_row(api, scene):
    call, apps, _users = scene
    member = reviewer_for(call.scheme)
    MembershipFactory(user=member, registry=apps["strong"].registry)

    response = api(member).get(f"/calls/{call.pk}/ranking")

    assert [r["application"] for r in response.json()] == [apps["agreed"].pk, apps["unscored"].pk]


def test_in_the_independent_phase_a_member_gets_the_rows_without_scores(api, scene):
    call, apps, users = scene
    ReviewRound.objects.filter(call=call).update(phase="independent")

    response = api(users["chair"]).get(f"/calls/{call.pk}/ranking")

    hidden = dict.fromkeys(
        ("rank", "weighted_mean", "median", "spread", "normalised_score", "consensus_score", "cumulative_nok"), None
    )
    assert response.json() == [
        {**row, **hidden, "disagreement": False, "within_budget": False}
        for row in sorted(expected(apps), key=lambda r: r["application"])
    ]


def test_scores_are_rounded_to_four_places_half_to_even(api):
    call = CallFactory()
    app = ApplicationFactory(call=call, state="in_review")
    for value in (5, 4, 4):
        review(app, reviewer_for(call.scheme), value)

    [row] = api(UserFactory(is_secretariat=True)).get(f"/calls/{call.pk}/ranking").json()

    assert (row["weighted_mean"], row["median"], row["spread"]) == (4.3333, 4.0, 1.0)


@pytest.mark.parametrize("role", ["applicant", "decider", "stranger"])
def test_those_outside_the_expert_group_may_not_get_the_ranking(api, scene, role):
    call, apps, _users = scene
    user = {
        "applicant": lambda: member_of(apps["strong"].registry),
        "decider": lambda: UserFactory(is_decider=True),
        "stranger": lambda: MembershipFactory().user,
    }[role]()

    response = api(user).get(f"/calls/{call.pk}/ranking")

    assert (response.status_code, problem(response)["detail"]) == (
        403,
        "Only the secretariat and the scheme's expert group may see the ranking.",
    )


def test_without_a_token_the_ranking_is_401(api, scene):
    call, _apps, _users = scene

    response = api(None).get(f"/calls/{call.pk}/ranking")

    assert (response.status_code, problem(response)["status"]) == (401, 401)


def test_a_draft_calls_ranking_is_404_for_the_expert_group(api, scene):
    call, _apps, users = scene
    draft = CallFactory(scheme=call.scheme, state="draft")

    response = api(users["chair"]).get(f"/calls/{draft.pk}/ranking")

    assert (response.status_code, problem(response)["detail"]) == (404, f"No call with id {draft.pk}.")


def test_the_openapi_document_names_every_ranking_field():
    schema = ninja_api.get_openapi_schema()["components"]["schemas"]["RankingOut"]

    assert sorted(schema["properties"]) == sorted(
        [
            "application", "title", "registry", "state", "rank", "reviews", "weighted_mean", "median", "spread",
            "disagreement", "normalised_score", "consensus_score", "first_time", "requested_amount_nok",
            "proposed_amount_nok", "cumulative_nok", "within_budget",
        ]
    )  # fmt: skip
