"""The chair's consensus score and assessment: the service (who, when, what is audited) and its page."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audit.services import history
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from reviews.consensus import clear_consensus, set_consensus
from reviews.models import Conflict, Consensus, ExpertGroupMember, ReviewRound
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ExpertGroupMemberFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db

D = Decimal


@pytest.fixture
def cast():
    """An application in review in a call in discussion, and one user per role."""
    call = CallFactory()
    ReviewRound.objects.create(call=call, phase="discussion")
    app = ApplicationFactory(call=call, state="in_review")
    group = reviewer_for(call.scheme).committee_memberships.get().group
    conflicted_chair = ExpertGroupMemberFactory(group=group, is_chair=True).user
    Conflict.objects.create(application=app, reviewer=conflicted_chair, reason="Medforfatter.")
    conflicted = AssignmentFactory(application=app).reviewer
    Conflict.objects.create(application=app, reviewer=conflicted, reason="Kollega.")
    users = {
        "chair": ExpertGroupMemberFactory(group=group, is_chair=True).user,
        "member": AssignmentFactory(application=app).reviewer,
        "unassigned": reviewer_for(call.scheme),
        "conflicted": conflicted,
        "conflicted_chair": conflicted_chair,
        "secretariat": UserFactory(is_secretariat=True),
        "applicant": member_of(app.registry),
        "decider": UserFactory(is_decider=True),
        "other_chair": reviewer_for(CallFactory(scheme__code="quality_improvement").scheme),
    }
    ExpertGroupMember.objects.filter(user=users["other_chair"]).update(is_chair=True)
    return app, users


def entries(app):
    return [(e.action, e.actor_id, e.data) for e in history(app)]


# ---------------------------------------------------------------- the service


@pytest.mark.parametrize("role", ["chair", "secretariat"])
def test_the_chair_and_the_secretariat_set_the_consensus(cast, role):
    app, users = cast

    consensus = set_consensus(app, by=users[role], score="5.5", assessment="  Godt forankret.  ")

    assert (consensus.score, consensus.assessment, consensus.set_by) == (D("5.50"), "Godt forankret.", users[role])
    assert entries(app) == [
        ("reviews.consensus.set", users[role].pk, {"score": "5.50", "previous": None}),
    ]


def test_changing_the_consensus_audits_the_previous_score_and_never_the_text(cast):
    app, users = cast
    set_consensus(app, by=users["chair"], score=D("5.50"), assessment="Første.")

    set_consensus(app, by=users["secretariat"], score="6,25", assessment="Andre.")

    assert Consensus.objects.filter(application=app).values_list("score", "assessment").get() == (D("6.25"), "Andre.")
    assert entries(app)[-1] == ("reviews.consensus.set", users["secretariat"].pk, {"score": "6.25", "previous": "5.50"})


def test_clearing_the_consensus_is_audited(cast):
    app, users = cast
    set_consensus(app, by=users["chair"], score="4")

    clear_consensus(app, by=users["chair"])

    assert (Consensus.objects.filter(application=app).exists(), entries(app)[-1]) == (
        False,
        ("reviews.consensus.clear", users["chair"].pk, {"previous": "4.00"}),
    )


def test_clearing_what_is_not_there_is_refused(cast):
    app, users = cast

    with pytest.raises(ActionRefused) as exc:
        clear_consensus(app, by=users["chair"])

    assert (exc.value.message, entries(app)) == ("There is no consensus score to clear.", [])


@pytest.mark.parametrize(
    "role", ["member", "unassigned", "conflicted", "conflicted_chair", "applicant", "decider", "other_chair"]
)
def test_nobody_else_may_set_the_consensus(cast, role):
    app, users = cast

    with pytest.raises(NotPermitted):
        set_consensus(app, by=users[role], score="5")

    assert (Consensus.objects.count(), entries(app)) == (0, [])


@pytest.mark.parametrize("value", ["0.99", "7.01", "5.555", "abc", "NaN", "Infinity", "", None])
def test_a_score_outside_1_to_7_or_with_more_than_two_decimals_is_refused(cast, value):
    app, users = cast

    with pytest.raises(ActionRefused) as exc:
        set_consensus(app, by=users["chair"], score=value)

    message = "Give a consensus score from 1 to 7, with at most two decimals."
    assert (exc.value.errors, Consensus.objects.count(), entries(app)) == ({"score": [message]}, 0, [])


@pytest.mark.parametrize("value", ["1", "7", "7.00", "3.25"])
def test_the_scale_ends_and_two_decimals_are_accepted(cast, value):
    app, users = cast

    assert set_consensus(app, by=users["chair"], score=value).score == D(value)


@pytest.mark.parametrize("phase", ["independent", "decided"])
def test_outside_the_discussion_the_consensus_is_closed(cast, phase):
    app, users = cast
    ReviewRound.objects.filter(call=app.call).update(phase=phase)

    with pytest.raises(InvalidTransition):
        set_consensus(app, by=users["secretariat"], score="5")

    assert entries(app) == []


@pytest.mark.parametrize("state", ["recommended", "not_recommended", "granted", "rejected"])
def test_once_the_group_has_recommended_the_consensus_is_closed(state):
    call = CallFactory()
    ReviewRound.objects.create(call=call, phase="discussion")
    app = ApplicationFactory(call=call, state=state)

    with pytest.raises(InvalidTransition):
        set_consensus(app, by=UserFactory(is_secretariat=True), score="5")

    assert Consensus.objects.count() == 0


def test_an_assessed_application_still_takes_a_consensus():
    call = CallFactory()
    ReviewRound.objects.create(call=call, phase="discussion")
    app = ApplicationFactory(call=call, state="assessed")

    assert set_consensus(app, by=UserFactory(is_secretariat=True), score="5").score == D("5.00")


# ---------------------------------------------------------------- the page


def url(app):
    return reverse("consensus:edit", args=[app.pk])


@pytest.mark.parametrize(
    ("role", "status"),
    [
        ("chair", 200),
        ("secretariat", 200),
        ("member", 403),  # knows of the application, may not set its consensus
        ("unassigned", 403),
        ("applicant", 403),
        ("conflicted", 404),  # a conflicted reviewer learns nothing
        ("conflicted_chair", 404),
        ("decider", 404),  # an application in review is not the decision body's yet
        ("other_chair", 404),
    ],
)
def test_who_may_open_the_consensus_page(client, cast, role, status):
    app, users = cast
    client.force_login(users[role])

    response = client.get(url(app))

    assert response.status_code == status


def test_anonymous_is_sent_to_log_in(client, cast):
    app, _users = cast

    response = client.get(url(app))

    assert (response.status_code, response["Location"]) == (302, f"{reverse('account_login')}?next={url(app)}")


def test_the_chair_saves_the_consensus_and_returns_to_the_ranking(client, cast):
    app, users = cast
    client.force_login(users["chair"])

    response = client.post(url(app), {"action": "set", "score": "6.5", "assessment": "Samlet vurdering."})

    assert (response.status_code, response["Location"]) == (302, reverse("reviews:ranking", args=[app.call_id]))
    assert Consensus.objects.values_list("application", "score", "assessment", "set_by").get() == (
        app.pk,
        D("6.50"),
        "Samlet vurdering.",
        users["chair"].pk,
    )


def test_an_invalid_score_is_shown_again_with_the_error(client, cast):
    app, users = cast
    client.force_login(users["chair"])

    response = client.post(url(app), {"action": "set", "score": "8", "assessment": "Tekst."})

    assert (response.status_code, response.context["form"].errors) == (
        400,
        {"score": ["Ensure this value is less than or equal to 7."]},
    )
    assert Consensus.objects.count() == 0


def test_the_chair_clears_the_consensus(client, cast):
    app, users = cast
    set_consensus(app, by=users["chair"], score="5")
    client.force_login(users["chair"])

    response = client.post(url(app), {"action": "clear"})

    assert (response.status_code, Consensus.objects.count()) == (302, 0)


def test_a_member_may_not_post_a_consensus(client, cast):
    app, users = cast
    client.force_login(users["member"])

    response = client.post(url(app), {"action": "set", "score": "6"})

    assert (response.status_code, Consensus.objects.count()) == (403, 0)


def test_outside_the_discussion_the_page_says_so_and_a_post_changes_nothing(client, cast):
    app, users = cast
    ReviewRound.objects.filter(call=app.call).update(phase="independent")
    client.force_login(users["secretariat"])

    page = client.get(url(app))
    response = client.post(url(app), {"action": "set", "score": "6"}, follow=True)

    closed = "The consensus score can be set while the application is in review or assessed"
    assert (closed in page.content.decode(), 'name="score"' in page.content.decode()) == (True, False)
    assert (response.redirect_chain, Consensus.objects.count()) == ([(url(app), 302)], 0)


def test_the_ranking_links_the_chair_to_the_consensus_page(client, cast):
    app, users = cast
    client.force_login(users["chair"])

    html = client.get(reverse("reviews:ranking", args=[app.call_id])).content.decode()

    assert f'href="{url(app)}"' in html


@pytest.mark.parametrize("role", ["member", "unassigned"])
def test_the_ranking_does_not_link_a_member_to_the_consensus_page(client, cast, role):
    app, users = cast
    client.force_login(users[role])

    html = client.get(reverse("reviews:ranking", args=[app.call_id])).content.decode()

    assert url(app) not in html


def test_in_the_independent_phase_the_ranking_offers_no_consensus(client, cast):
    app, users = cast
    ReviewRound.objects.filter(call=app.call).update(phase="independent")
    client.force_login(users["secretariat"])

    html = client.get(reverse("reviews:ranking", args=[app.call_id])).content.decode()

    assert url(app) not in html
