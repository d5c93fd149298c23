"""The ranking (web page and API) needs the same, exact number of queries for 1 and for 30 applications, with
several reviews each, a conflict and consensus scores among them."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from reviews.models import Conflict, Consensus, ReviewRound, Score
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ExpertGroupMemberFactory,
    ReviewFactory,
    UserFactory,
    api_token_for,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


class Scene:
    """A call in discussion; `add(n)` adds n applications, each reviewed by three of the group's reviewers, one of
    whom is conflicted with every third application, and a consensus score on every other one."""

    def __init__(self):
        self.call = CallFactory(budget_nok=Decimal("1000000"))
        ReviewRound.objects.create(call=self.call, phase="discussion")
        self.reviewers = [reviewer_for(self.call.scheme) for _ in range(3)]
        self.chair = ExpertGroupMemberFactory(group=self.call.scheme.expert_group, is_chair=True).user
        self.secretariat = UserFactory(is_secretariat=True)
        self.count = 0

    def add(self, n):
        criteria = list(self.call.criteria.all())
        for _ in range(n):
            self.count += 1
            app = ApplicationFactory(call=self.call, state="in_review")
            for offset, reviewer in enumerate(self.reviewers):
                review = ReviewFactory(application=app, reviewer=reviewer, state="submitted", scored=False)
                Score.objects.bulk_create(
                    Score(review=review, criterion=c, value=1 + (self.count + offset + i) % 7)
                    for i, c in enumerate(criteria)
                )
            if self.count % 3 == 0:
                Conflict.objects.create(application=app, reviewer=self.reviewers[0], reason="Kollega.")
            if self.count % 2 == 0:
                Consensus.objects.create(application=app, score=Decimal("5.50"))


WEB = {
    # session, user with their registries and expert groups (the session check), call, phase, applications, scores,
    # grant history, the applications they may open
    "secretariat": 9,
    # session, user with their registries and expert groups (the session check), call, phase, applications, scores,
    # grant history, their conflicts, the applications they may open, chair or not
    "chair": 11,
}
API = {
    # token, call, applications, scores, grant history
    "secretariat": 5,
    # token, call, their expert groups, applications, scores, grant history, their registries, their conflicts, phase
    "chair": 9,
}


def _web(scene, role):
    client = Client()
    client.force_login(getattr(scene, role))
    return client, reverse("reviews:ranking", args=[scene.call.pk])


def _api(scene, role):
    client = Client(headers={"Authorization": f"Bearer {api_token_for(getattr(scene, role))}"})
    path = f"/api/v1/calls/{scene.call.pk}/ranking"
    client.get(path)  # the token's first use is recorded once; not part of the count
    return client, path


@pytest.mark.parametrize("role", ["secretariat", "chair"])
@pytest.mark.parametrize(("make", "queries"), [(_web, WEB), (_api, API)], ids=["web", "api"])
def test_the_ranking_needs_the_same_queries_for_1_and_30_applications(django_assert_num_queries, role, make, queries):
    scene = Scene()
    client, path = make(scene, role)

    scene.add(1)
    with django_assert_num_queries(queries[role]):
        one = client.get(path)
    scene.add(29)
    with django_assert_num_queries(queries[role]):
        thirty = client.get(path)

    assert (one.status_code, thirty.status_code) == (200, 200)
