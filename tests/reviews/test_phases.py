"""Review phases per call: the transitions, and who sees what in each (independent, discussion, decided); the
internal discussion; locking, reopening and autosave of a review."""

import pytest
from django.urls import reverse

from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from grants.rules import can_view_application
from grants.selectors import applications_visible_to
from reviews import services
from reviews.enums import ReviewPhase as P
from reviews.models import Review, ReviewComment, ReviewRound
from tests.core.lifecycle import (
    Row,
    Snapshot,
    allowed,
    assert_refused_without_trace,
    disallowed,
    entry_fields,
    nb,
    sent,
)
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    ReviewFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

from .conflict_cases import api, make_conflict, web

pytestmark = pytest.mark.django_db

SPEC = {
    "start_discussion": Row((P.INDEPENDENT,), P.DISCUSSION, "secretariat", ("reviewer", "applicant", "decider")),
    "close_review": Row((P.DISCUSSION,), P.DECIDED, "secretariat", ("reviewer", "applicant", "decider")),
    "back_to_independent": Row((P.DISCUSSION,), P.INDEPENDENT, "secretariat", ("reviewer", "applicant", "decider")),
}


def _round(phase):
    app = ApplicationFactory(state="in_review")
    return ReviewRound.objects.create(call=app.call, phase=phase), app


def _cast(app):
    return {
        "secretariat": UserFactory(is_secretariat=True),
        "reviewer": AssignmentFactory(application=app).reviewer,
        "applicant": member_of(app.registry),
        "decider": UserFactory(is_decider=True),
    }


# ---------------------------------------------------------------- the phase transitions


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_the_secretariat_moves_the_phase_with_one_audit_entry(name, source):
    review_round, app = _round(source)
    secretariat = _cast(app)["secretariat"]
    before = Snapshot(review_round)

    moved = getattr(services, name)(app.call, by=secretariat, comment="Alle har levert.")

    assert (moved.phase, ReviewRound.objects.get().phase) == (SPEC[name].target, SPEC[name].target)
    assert [entry_fields(e) for e in before.new_entries()] == [
        (f"reviews.reviewround.{name}", secretariat, source, SPEC[name].target, "Alle har levert.")
    ]


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, P.values))
def test_a_phase_move_from_the_wrong_phase_is_refused(name, source, django_capture_on_commit_callbacks):
    review_round, app = _round(source)
    secretariat = UserFactory(is_secretariat=True)

    assert_refused_without_trace(
        lambda: getattr(services, name)(app.call, by=secretariat),
        InvalidTransition,
        review_round,
        django_capture_on_commit_callbacks,
    )


@pytest.mark.parametrize(("name", "role"), [(n, r) for n, row in SPEC.items() for r in row.wrong])
def test_only_the_secretariat_moves_the_phase(name, role, django_capture_on_commit_callbacks):
    review_round, app = _round(SPEC[name].sources[0])
    user = _cast(app)[role]

    assert_refused_without_trace(
        lambda: getattr(services, name)(app.call, by=user),
        NotPermitted,
        review_round,
        django_capture_on_commit_callbacks,
    )


def test_the_round_is_created_on_first_use_in_the_independent_phase():
    app = ApplicationFactory(state="in_review")

    services.start_discussion(app.call, by=UserFactory(is_secretariat=True))

    assert list(ReviewRound.objects.values_list("call", "phase")) == [(app.call_id, "discussion")]


def test_the_call_page_offers_the_phase_actions_to_the_secretariat_only():
    app = ApplicationFactory(state="in_review")
    url = reverse("grants:call_detail", args=[app.call_id])
    member = reviewer_for(app.call.scheme)

    secretariat_page = web(UserFactory(is_secretariat=True)).get(url).content.decode()
    member_page = web(member).get(url).content.decode()
    applicant_page = web(member_of(app.registry)).get(url).content.decode()

    assert 'name="action" value="start_discussion"' in secretariat_page
    assert ("Independent review" in member_page, 'value="start_discussion"' in member_page) == (True, False)
    assert "Independent review" not in applicant_page


# ---------------------------------------------------------------- who sees what, by phase


def _submitted(app, reviewer=None, comment="Solid metode."):
    kwargs = {"reviewer": reviewer} if reviewer else {}
    review = ReviewFactory(application=app, comment=comment, **kwargs)
    services.submit_review(app, by=review.reviewer)
    return review


def test_in_the_independent_phase_a_reviewer_sees_no_other_review_until_their_own_is_submitted():
    app = ApplicationFactory(state="in_review")
    _submitted(app, comment="ANDRES-VURDERING")
    mine = ReviewFactory(application=app)
    client = web(mine.reviewer)

    before = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()
    listed_before = api(mine.reviewer).get(f"/applications/{app.pk}/reviews").status_code
    services.submit_review(app, by=mine.reviewer)
    after = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()
    listed_after = [r["comment"] for r in api(mine.reviewer).get(f"/applications/{app.pk}/reviews").json()]

    assert ("ANDRES-VURDERING" in before, listed_before) == (False, 403)
    assert ("ANDRES-VURDERING" in after, listed_after) == (True, ["ANDRES-VURDERING", "Godt begrunnet."])


def test_in_the_independent_phase_an_unassigned_member_does_not_see_the_application():
    app = ApplicationFactory(state="in_review")
    member = reviewer_for(app.call.scheme)

    response = web(member).get(reverse("grants:application_detail", args=[app.pk]))

    assert (response.status_code, can_view_application(member, app), list(applications_visible_to(member))) == (
        404,
        False,
        [],
    )


def test_in_discussion_every_unconflicted_member_sees_all_submitted_reviews_assigned_or_not():
    app = ApplicationFactory(state="in_review")
    ApplicationFactory(state="submitted", call=app.call)  # not in review: never shown to the group
    _submitted(app, comment="FØRSTE")
    ReviewFactory(application=app, comment="UTKAST")  # a draft is nobody else's business
    unassigned = reviewer_for(app.call.scheme)
    assigned_without_review = AssignmentFactory(application=app).reviewer

    services.start_discussion(app.call, by=UserFactory(is_secretariat=True))

    for member in (unassigned, assigned_without_review):
        assert list(applications_visible_to(member)) == [app]
        assert [r["comment"] for r in api(member).get(f"/applications/{app.pk}/reviews").json()] == ["FØRSTE"]
        page = web(member).get(reverse("grants:application_detail", args=[app.pk])).content.decode()
        assert ("FØRSTE" in page, "UTKAST" in page) == (True, False)


def test_in_discussion_a_member_of_another_schemes_group_sees_nothing():
    from tests.factories import SchemeFactory

    app = ApplicationFactory(state="in_review")
    outsider = reviewer_for(SchemeFactory(code="quality_improvement"))

    services.start_discussion(app.call, by=UserFactory(is_secretariat=True))

    assert web(outsider).get(reverse("grants:application_detail", args=[app.pk])).status_code == 404


@pytest.mark.parametrize("source", ["declared", "health_trust"])
def test_in_discussion_a_conflicted_member_still_sees_nothing(source):
    app = ApplicationFactory(state="in_review")
    _submitted(app)
    member = reviewer_for(app.call.scheme)
    make_conflict(source, app, member)

    services.start_discussion(app.call, by=UserFactory(is_secretariat=True))

    assert web(member).get(reverse("grants:application_detail", args=[app.pk])).status_code == 404
    assert api(member).get(f"/applications/{app.pk}/reviews").status_code == 404


def test_the_discussion_thread_is_for_the_group_and_the_secretariat_only():
    app = ApplicationFactory(state="recommended")
    member = reviewer_for(app.call.scheme)
    secretariat = UserFactory(is_secretariat=True)
    services.start_discussion(app.call, by=secretariat)
    services.post_comment(app, by=member, text="Metoden er svak.")
    services.post_comment(app, by=secretariat, text="Budsjettet er innenfor.")

    as_member = api(member).get(f"/applications/{app.pk}/comments").json()
    applicant = api(member_of(app.registry)).get(f"/applications/{app.pk}/comments")
    decider = api(UserFactory(is_decider=True)).get(f"/applications/{app.pk}/comments")
    decider_page = web(UserFactory(is_decider=True)).get(reverse("grants:application_detail", args=[app.pk]))

    assert [(c["author"]["id"], c["text"]) for c in as_member] == [
        (member.pk, "Metoden er svak."),
        (secretariat.pk, "Budsjettet er innenfor."),
    ]
    assert (applicant.status_code, decider.status_code) == (403, 403)
    assert (decider_page.status_code, "Metoden er svak." in decider_page.content.decode()) == (200, False)


def test_a_member_posts_to_the_thread_on_the_web_in_discussion():
    app = ApplicationFactory(state="in_review")
    member = reviewer_for(app.call.scheme)
    services.start_discussion(app.call, by=UserFactory(is_secretariat=True))

    response = web(member).post(reverse("reviews:post_comment", args=[app.pk]), {"text": "  Enig med første.  "})

    assert response.status_code == 302
    assert list(ReviewComment.objects.values_list("author", "text")) == [(member.pk, "Enig med første.")]


def test_comments_outside_the_discussion_phase_are_refused():
    app = ApplicationFactory(state="in_review")
    secretariat = UserFactory(is_secretariat=True)

    with pytest.raises(InvalidTransition):
        services.post_comment(app, by=secretariat, text="For tidlig.")
    response = api(secretariat).post(f"/applications/{app.pk}/comments", {"text": "For tidlig."})

    assert (response.status_code, ReviewComment.objects.count()) == (409, 0)


def test_an_empty_comment_is_refused():
    app = ApplicationFactory(state="in_review")
    member = reviewer_for(app.call.scheme)
    services.start_discussion(app.call, by=UserFactory(is_secretariat=True))

    with pytest.raises(ActionRefused) as exc:
        services.post_comment(app, by=member, text="   ")

    assert exc.value.errors == {"text": ["Write a comment of at most 10000 characters."]}


def test_once_decided_everything_is_read_only():
    app = ApplicationFactory(state="in_review")
    secretariat = UserFactory(is_secretariat=True)
    draft = ReviewFactory(application=app)
    submitted = _submitted(app)
    member = reviewer_for(app.call.scheme)
    services.start_discussion(app.call, by=secretariat)
    services.close_review(app.call, by=secretariat)

    with pytest.raises(InvalidTransition):
        services.save_review(app, by=draft.reviewer, scores={"methodology": 1}, comment="Endret.")
    with pytest.raises(NotPermitted):
        services.submit_review(app, by=draft.reviewer)
    with pytest.raises(InvalidTransition):
        services.post_comment(app, by=member, text="For sent.")
    with pytest.raises(InvalidTransition):
        services.reopen_review(submitted, by=secretariat)
    with pytest.raises(ActionRefused) as exc:
        services.assign_reviewer(app, by=secretariat, reviewer=reviewer_for(app.call.scheme))

    assert exc.value.message == "The review of this call is decided."
    assert list(Review.objects.order_by("pk").values_list("state", flat=True)) == ["draft", "submitted"]
    assert api(member).get(f"/applications/{app.pk}/reviews").status_code == 200  # still readable


# ---------------------------------------------------------------- locking and reopening


def test_a_submitted_review_is_locked_on_the_web_and_in_the_api():
    review = _submitted(ApplicationFactory(state="in_review"))
    app = review.application

    page = web(review.reviewer).get(reverse("grants:application_detail", args=[app.pk]))
    put = api(review.reviewer).put(f"/applications/{app.pk}/reviews/mine", {"scores": {"methodology": 1}})

    assert (page.context["can_score"], put.status_code) == (False, 409)
    assert "A submitted review is locked" in page.content.decode()


def test_the_secretariat_reopens_a_review_audited_and_the_reviewer_is_told(django_capture_on_commit_callbacks):
    review = _submitted(ApplicationFactory(state="in_review", title="Bedre dekning"))
    secretariat = UserFactory(is_secretariat=True)
    before = Snapshot(review)

    with django_capture_on_commit_callbacks(execute=True):
        reopened = services.reopen_review(review, by=secretariat, comment="Se på budsjettet igjen.")

    assert (reopened.state, reopened.submitted_at) == ("draft", None)
    assert [(entry_fields(e), e.data) for e in before.new_entries()] == [
        (
            ("reviews.review.reopen", secretariat, "submitted", "draft", "Se på budsjettet igjen."),
            {"application": review.application_id, "reviewer": review.reviewer_id},
        )
    ]
    assert sent() == [(nb("Your review is reopened: %(title)s", title="Bedre dekning"), [review.reviewer.email])]


def test_a_reopened_review_can_be_changed_and_submitted_again():
    review = _submitted(ApplicationFactory(state="in_review"))
    app = review.application
    services.reopen_review(review, by=UserFactory(is_secretariat=True))

    scores = {"methodology": 2, "feasibility": 5, "value": 5}
    services.save_review(app, by=review.reviewer, scores=scores, comment="Justert.")
    services.submit_review(app, by=review.reviewer)

    review.refresh_from_db()
    assert (review.state, review.comment, review.scores.get(criterion__code="methodology").value) == (
        "submitted",
        "Justert.",
        2,
    )


@pytest.mark.parametrize("role", ["reviewer", "applicant", "decider", "other_reviewer"])
def test_only_the_secretariat_reopens(role, django_capture_on_commit_callbacks):
    review = _submitted(ApplicationFactory(state="in_review"))
    app = review.application
    user = {
        "reviewer": review.reviewer,
        "applicant": member_of(app.registry),
        "decider": UserFactory(is_decider=True),
        "other_reviewer": AssignmentFactory(application=app).reviewer,
    }[role]

    assert_refused_without_trace(
        lambda: services.reopen_review(review, by=user), NotPermitted, review, django_capture_on_commit_callbacks
    )


def test_a_draft_cannot_be_reopened(django_capture_on_commit_callbacks):
    review = ReviewFactory()

    assert_refused_without_trace(
        lambda: services.reopen_review(review, by=UserFactory(is_secretariat=True)),
        InvalidTransition,
        review,
        django_capture_on_commit_callbacks,
    )


def test_a_review_is_not_reopened_once_the_application_left_review(django_capture_on_commit_callbacks):
    review = _submitted(ApplicationFactory(state="in_review"))
    type(review.application).objects.filter(pk=review.application_id).update(state="assessed")
    review.refresh_from_db()

    assert_refused_without_trace(
        lambda: services.reopen_review(review, by=UserFactory(is_secretariat=True)),
        InvalidTransition,
        review,
        django_capture_on_commit_callbacks,
    )


def test_the_secretariat_reopens_on_the_panel_and_through_the_api():
    app = ApplicationFactory(state="in_review")
    first, second = _submitted(app), _submitted(app)
    secretariat = UserFactory(is_secretariat=True)

    page = web(secretariat).get(reverse("grants:application_detail", args=[app.pk]))
    posted = web(secretariat).post(reverse("reviews:reopen_review", args=[app.pk, first.reviewer_id]))
    response = api(secretariat).post(f"/applications/{app.pk}/reviews/{second.reviewer_id}/reopen")

    assert [row["can_reopen"] for row in page.context["review_rows"]] == [True, True]
    assert (posted.status_code, response.status_code, response.json()["state"]) == (302, 200, "draft")
    assert list(Review.objects.order_by("pk").values_list("state", flat=True)) == ["draft", "draft"]


# ---------------------------------------------------------------- autosave


def test_the_review_form_saves_the_draft_as_it_is_typed():
    assignment = AssignmentFactory()
    app, reviewer = assignment.application, assignment.reviewer
    url = reverse("reviews:autosave_review", args=[app.pk])

    response = web(reviewer).post(url, {"score_methodology": "6", "comment": "Halvveis."}, headers={"HX-Request": "1"})

    review = Review.objects.get()
    assert (response.status_code, response.content.decode().startswith("Draft saved ")) == (200, True)
    assert "<html" not in response.content.decode()
    assert (review.state, review.comment, dict(review.scores.values_list("criterion__code", "value"))) == (
        "draft",
        "Halvveis.",
        {"methodology": 6},
    )


def test_autosave_of_a_submitted_review_changes_nothing_and_says_so():
    review = _submitted(ApplicationFactory(state="in_review"))
    url = reverse("reviews:autosave_review", args=[review.application_id])

    response = web(review.reviewer).post(url, {"score_methodology": "1", "comment": "Endret."})

    review.refresh_from_db()
    assert (response.status_code, review.comment) == (409, "Solid metode.")
    assert "Your review has been submitted and is locked." in response.content.decode()


def test_the_score_fields_show_weight_description_and_anchors():
    app = ApplicationFactory(state="in_review")
    app.call.criteria.filter(code="methodology").update(
        description="Passer metoden til datakvalitetsdimensjonen?",
        anchors={"1": "Ingen metode beskrevet", "4": "Rimelig, med svakheter", "7": "Fremragende"},
    )
    reviewer = AssignmentFactory(application=app).reviewer

    page = web(reviewer).get(reverse("grants:application_detail", args=[app.pk]))

    methodology = page.context["my_scores"][0]
    assert [text for _n, text in methodology["scale"]] == [
        "Ingen metode beskrevet", "", "", "Rimelig, med svakheter", "", "", "Fremragende"
    ]  # fmt: skip
    html = page.content.decode()
    assert "Passer metoden til datakvalitetsdimensjonen?" in html
    assert 'value="7"> 7 – Fremragende</label>' in html
    assert "(weight 2)" in html
