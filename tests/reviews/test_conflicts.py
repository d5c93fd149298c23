"""Conflicts of interest: every source, declared and waived; assignment refused, 404 on every route that would
reveal the application (web and API), scores never counted, the ranking row hidden."""

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from grants.models import Application
from grants.rules import can_view_application
from grants.selectors import applications_visible_to
from reviews import services
from reviews.conflicts import conflict_q, conflicted_pair, conflicts_of
from reviews.models import Assignment, Conflict, Review, Score
from tests.core.lifecycle import nb, sent
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ReviewFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

from .conflict_cases import SOURCES, WAIVABLE, api, discussion, make_conflict, tree, waive, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True, full_name="Sekretær Sara")


def _member(app, **kwargs):
    return reviewer_for(app.call.scheme, **kwargs)


# ---------------------------------------------------------------- the rule, the list condition and the pair condition


@pytest.mark.parametrize("source", SOURCES)
def test_each_source_is_a_conflict_for_the_pair_the_users_list_and_review_rows_alike(source):
    app = ApplicationFactory(state="in_review")
    ApplicationFactory(state="in_review", call=app.call)  # someone else's, no conflict
    reviewer = _member(app)
    AssignmentFactory(application=app, reviewer=reviewer)
    make_conflict(source, app, reviewer)

    assert conflicts_of(reviewer, app) == [source]
    assert list(Application.objects.filter(conflict_q(reviewer))) == [app]
    assert list(Assignment.objects.filter(conflicted_pair()).values_list("reviewer", flat=True)) == [reviewer.pk]


@pytest.mark.parametrize("source", WAIVABLE)
def test_a_waived_conflict_counts_nowhere(source):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    AssignmentFactory(application=app, reviewer=reviewer)
    make_conflict(source, app, reviewer)

    waive(app, reviewer)

    assert conflicts_of(reviewer, app) == []
    assert list(Application.objects.filter(conflict_q(reviewer))) == []
    assert list(Assignment.objects.filter(conflicted_pair())) == []
    assert (can_view_application(reviewer, app), list(applications_visible_to(reviewer))) == (True, [app])


def test_several_sources_are_all_named_in_order():
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    for source in ["named_in_project", "participating_registry", "declared"]:
        make_conflict(source, app, reviewer)

    assert conflicts_of(reviewer, app) == ["participating_registry", "named_in_project", "declared"]


def test_no_relation_is_no_conflict():
    app = ApplicationFactory(state="in_review")
    units = tree()
    app.participating_units.add(units.sus)
    reviewer = _member(app, organisation=units.haukeland)

    assert (conflicts_of(reviewer, app), list(Application.objects.filter(conflict_q(reviewer)))) == ([], [])


@pytest.mark.parametrize(
    ("employer", "unit", "conflicted"),
    [
        ("haukeland", "haukeland", True),  # the same hospital
        ("haukeland", "voss", True),  # another hospital of the same health trust
        ("haukeland", "bergen", True),  # the health trust itself
        ("bergen", "voss", True),  # employed by the trust, a hospital of it takes part
        ("haukeland", "sus", False),  # another health trust
        ("haukeland", "stavanger", False),
        ("rhf", "voss", False),  # the regional authority is not the health trust
        (None, "voss", False),  # employer unknown
    ],
)
def test_health_trust_is_found_up_the_organisation_tree(employer, unit, conflicted):
    units = tree()
    app = ApplicationFactory(state="in_review")
    app.participating_units.add(getattr(units, unit))
    reviewer = _member(app, organisation=getattr(units, employer) if employer else None)

    expected = ["health_trust"] if conflicted else []
    assert conflicts_of(reviewer, app) == expected
    assert Application.objects.filter(conflict_q(reviewer)).exists() == conflicted
    assert Assignment.objects.filter(conflicted_pair()).exists() is False  # not assigned: no pair rows
    AssignmentFactory(application=app, reviewer=reviewer)
    assert Assignment.objects.filter(conflicted_pair()).exists() == conflicted


# ---------------------------------------------------------------- assignment refused


MESSAGES = {
    "registry_member": "Kari Nordmann is a member of {registry} and so has a conflict of interest.",
    "participating_registry": (
        "Kari Nordmann is a member of a registry taking part in the application and so has a conflict of interest."
    ),
    "health_trust": (
        "Kari Nordmann works in a health trust taking part in the application and so has a conflict of interest."
    ),
    "named_in_project": "Kari Nordmann is named in the project team and so has a conflict of interest.",
    "declared": "Kari Nordmann has declared a conflict of interest with this application.",
}


@pytest.mark.parametrize("source", SOURCES)
def test_assigning_a_conflicted_reviewer_is_refused_naming_the_conflict(source, secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app, full_name="Kari Nordmann")
    make_conflict(source, app, reviewer)
    entries = history(app).count()

    with pytest.raises(ActionRefused) as exc:
        services.assign_reviewer(app, by=secretariat, reviewer=reviewer)

    assert exc.value.errors == {"user": [MESSAGES[source].format(registry=app.registry)]}
    assert (Assignment.objects.count(), history(app).count()) == (0, entries)


@pytest.mark.parametrize("source", SOURCES)
def test_assigning_through_the_api_is_refused_with_400(source, secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app, full_name="Kari Nordmann")
    make_conflict(source, app, reviewer)

    response = api(secretariat).post(f"/applications/{app.pk}/reviewers", {"user": reviewer.pk})

    assert (response.status_code, response.json()["errors"]) == (
        400,
        {"user": [MESSAGES[source].format(registry=app.registry)]},
    )


@pytest.mark.parametrize("source", WAIVABLE)
def test_after_a_waiver_the_reviewer_can_be_assigned(source, secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    make_conflict(source, app, reviewer)
    waive(app, reviewer, secretariat)

    assignment = services.assign_reviewer(app, by=secretariat, reviewer=reviewer)

    assert assignment.reviewer == reviewer


def test_the_panel_offers_only_members_without_a_conflict(secretariat):
    app = ApplicationFactory(state="in_review")
    free = _member(app, full_name="Fri Fredriksen")
    for source in SOURCES:
        make_conflict(source, app, _member(app, full_name=f"Konflikt {source}"))

    page = web(secretariat).get(reverse("grants:application_detail", args=[app.pk]))

    assert [u.pk for u in page.context["candidates"]] == [free.pk]
    assert [(e["user"].full_name, e["sources"], e["can_waive"]) for e in page.context["conflict_entries"]] == [
        ("Konflikt declared", ["Declared by the reviewer"], True),
        ("Konflikt health_trust", ["Works at a health trust named in the application"], True),
        ("Konflikt named_in_project", ["Named in the project team"], True),
        ("Konflikt participating_registry", ["Member of a registry named in the application"], True),
        ("Konflikt registry_member", ["Member of the applicant registry"], False),
    ]


# ---------------------------------------------------------------- 404 on every route that would reveal the application


def _web_routes(app, reviewer):
    pk = app.pk
    return [
        ("get", reverse("grants:application_detail", args=[pk]), None),
        ("get", reverse("grants:application_edit", args=[pk]), None),
        ("post", reverse("grants:application_transition", args=[pk]), {"action": "withdraw"}),
        ("post", reverse("grants:application_autosave", args=[pk]), {"title": "X"}),
        ("post", reverse("reviews:save_review", args=[pk]), {"score_methodology": "7"}),
        ("post", reverse("reviews:autosave_review", args=[pk]), {"score_methodology": "7"}),
        ("post", reverse("reviews:post_comment", args=[pk]), {"text": "Hei."}),
        ("post", reverse("reviews:assign", args=[pk]), {"user": reviewer.pk}),
        ("post", reverse("reviews:reopen_review", args=[pk, reviewer.pk]), {}),
        ("post", reverse("reviews:waive_conflict", args=[pk, reviewer.pk]), {"reason": "Meg selv."}),
    ]


def _api_routes(app, reviewer):
    pk = app.pk
    return [
        ("get", f"/applications/{pk}", None),
        ("patch", f"/applications/{pk}", {"title": "X"}),
        ("post", f"/applications/{pk}/transitions/withdraw", None),
        ("get", f"/applications/{pk}/reviews", None),
        ("get", f"/applications/{pk}/reviews/mine", None),
        ("put", f"/applications/{pk}/reviews/mine", {"scores": {"methodology": 7}}),
        ("post", f"/applications/{pk}/reviews/mine/submit", None),
        ("post", f"/applications/{pk}/reviews/{reviewer.pk}/reopen", None),
        ("get", f"/applications/{pk}/comments", None),
        ("post", f"/applications/{pk}/comments", {"text": "Hei."}),
        ("get", f"/applications/{pk}/conflicts", None),
        ("post", f"/applications/{pk}/conflicts/{reviewer.pk}/waive", {"reason": "Meg selv."}),
        ("post", f"/applications/{pk}/reviewers", {"user": reviewer.pk}),
    ]


def _assigned_with_a_submitted_review(app, reviewer):
    AssignmentFactory(application=app, reviewer=reviewer)
    ReviewFactory(application=app, reviewer=reviewer, state="submitted", submitted_at=app.created_at)


@pytest.mark.parametrize("phase", ["independent", "discussion"])
@pytest.mark.parametrize("source", WAIVABLE)
def test_a_conflicted_reviewer_gets_404_on_every_route_that_would_reveal_the_application(source, phase):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    _assigned_with_a_submitted_review(app, reviewer)
    make_conflict(source, app, reviewer)
    if phase == "discussion":
        discussion(app.call)
    client, json = web(reviewer), api(reviewer)

    statuses = {url: getattr(client, m)(url, body or {}).status_code for m, url, body in _web_routes(app, reviewer)}
    api_statuses = {path: json.request(m, path, body).status_code for m, path, body in _api_routes(app, reviewer)}
    listed = app.pk in [a["id"] for a in json.get("/applications").json()]

    assert set(statuses.values()) | set(api_statuses.values()) == {404}, (statuses, api_statuses)
    assert listed is False
    assert Review.objects.get(reviewer=reviewer).comment == "Godt begrunnet."  # nothing was changed


def test_a_member_of_the_applicant_registry_sees_it_as_an_applicant_but_no_review_or_comment():
    app = ApplicationFactory(state="in_review")
    other = ReviewFactory(application=app, state="submitted", comment="ANNEN-VURDERING")
    reviewer = _member(app)
    _assigned_with_a_submitted_review(app, reviewer)
    make_conflict("registry_member", app, reviewer)
    discussion(app.call)
    services.post_comment(app, by=other.reviewer, text="INTERN-KOMMENTAR")

    page = web(reviewer).get(reverse("grants:application_detail", args=[app.pk]))
    reviews = api(reviewer).get(f"/applications/{app.pk}/reviews")
    comments = api(reviewer).get(f"/applications/{app.pk}/comments")

    body = page.content.decode()
    assert (page.status_code, "ANNEN-VURDERING" in body, "INTERN-KOMMENTAR" in body) == (200, False, False)
    assert (reviews.status_code, comments.status_code) == (403, 403)


# ---------------------------------------------------------------- scores never count; the ranking row is hidden


def _ranking(user, call):
    return {row["application"]: row for row in api(user).get(f"/calls/{call.pk}/ranking").json()}


def _scored(app, reviewer, value):
    review = ReviewFactory(application=app, reviewer=reviewer, state="submitted", scored=False)
    Review.objects.filter(pk=review.pk).update(submitted_at=app.created_at)
    for criterion in app.call.criteria.all():
        Score.objects.create(review=review, criterion=criterion, value=value)
    return review


@pytest.mark.parametrize("source", SOURCES)
def test_a_conflicted_reviewers_scores_never_count(source, secretariat):
    call = CallFactory(budget_nok=Decimal("500000"))
    app = ApplicationFactory(call=call, state="in_review")
    _scored(app, AssignmentFactory(application=app).reviewer, 5)
    _scored(app, AssignmentFactory(application=app).reviewer, 3)
    conflicted = _member(app)
    AssignmentFactory(application=app, reviewer=conflicted)
    _scored(app, conflicted, 7)

    make_conflict(source, app, conflicted)

    row = _ranking(secretariat, call)[app.pk]
    assert (row["reviews"], row["weighted_mean"]) == (2, 4.0)


@pytest.mark.parametrize("source", WAIVABLE)
def test_a_waived_reviewers_scores_count_again(source, secretariat):
    call = CallFactory(budget_nok=Decimal("500000"))
    app = ApplicationFactory(call=call, state="in_review")
    _scored(app, AssignmentFactory(application=app).reviewer, 5)
    conflicted = _member(app)
    AssignmentFactory(application=app, reviewer=conflicted)
    _scored(app, conflicted, 7)
    make_conflict(source, app, conflicted)

    waive(app, conflicted, secretariat)

    row = _ranking(secretariat, call)[app.pk]
    assert (row["reviews"], row["weighted_mean"]) == (2, 6.0)


@pytest.mark.parametrize("source", SOURCES)
def test_a_conflicted_member_never_sees_the_applications_ranking_row(source):
    call = CallFactory()
    app = ApplicationFactory(call=call, state="in_review")
    other = ApplicationFactory(call=call, state="in_review")
    member = _member(app)
    make_conflict(source, app, member)
    discussion(call)

    assert list(_ranking(member, call)) == [other.pk]


# ---------------------------------------------------------------- waiving


def test_waiving_records_the_justification_audits_it_and_tells_the_reviewer(
    secretariat, django_capture_on_commit_callbacks
):
    app = ApplicationFactory(state="in_review", title="Bedre dekningsgrad")
    reviewer = _member(app, full_name="Kari Nordmann")
    make_conflict("named_in_project", app, reviewer)

    with django_capture_on_commit_callbacks(execute=True):
        services.waive_conflict(app, by=secretariat, reviewer=reviewer, reason="Kun nevnt som referanse.")

    conflict = Conflict.objects.get()
    assert (conflict.source, conflict.reason, conflict.waived_by, conflict.waiver_reason) == (
        "named_in_project",
        "Named in the project team",
        secretariat,
        "Kun nevnt som referanse.",
    )
    assert [(e.action, e.actor, e.data) for e in history(app)] == [
        ("reviews.conflict.waive", secretariat, {"reviewer": reviewer.pk, "sources": ["named_in_project"]})
    ]
    assert sent() == [(nb("Conflict of interest waived: %(title)s", title=app.title), [reviewer.email])]
    assert "Kun nevnt som referanse." in mail.outbox[0].body


def test_the_secretariats_timeline_shows_the_declaration_and_the_waiver(secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app, full_name="Kari Nordmann")
    make_conflict("declared", app, reviewer)
    waive(app, reviewer, secretariat)

    secretariat_page = web(secretariat).get(reverse("grants:application_detail", args=[app.pk]))
    applicant_page = web(member_of(app.registry)).get(reverse("grants:application_detail", args=[app.pk]))

    labels = [e["label"] for e in secretariat_page.context["entries"]]
    assert labels == ["Conflict of interest declared: Kari Nordmann", "Conflict of interest waived: Kari Nordmann"]
    assert [e["label"] for e in applicant_page.context["entries"]] == []


def test_a_waiver_needs_a_justification(secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    make_conflict("declared", app, reviewer)

    with pytest.raises(ActionRefused) as exc:
        services.waive_conflict(app, by=secretariat, reviewer=reviewer, reason="  ")

    assert exc.value.errors == {"reason": ["Write why the conflict of interest is waived."]}
    assert Conflict.objects.get().waived_at is None


def test_membership_of_the_applicant_registry_cannot_be_waived(secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app, full_name="Kari Nordmann")
    make_conflict("registry_member", app, reviewer)

    with pytest.raises(ActionRefused) as exc:
        waive(app, reviewer, secretariat)

    assert exc.value.errors == {
        "user": ["Kari Nordmann is a member of the applicant registry: that conflict cannot be waived."]
    }
    assert (Conflict.objects.count(), conflicts_of(reviewer, app)) == (0, ["registry_member"])


def test_there_is_nothing_to_waive_without_a_conflict(secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app, full_name="Kari Nordmann")

    with pytest.raises(ActionRefused) as exc:
        waive(app, reviewer, secretariat)

    assert exc.value.errors == {"user": ["Kari Nordmann has no conflict of interest with this application to waive."]}


@pytest.mark.parametrize("role", ["reviewer", "applicant", "decider"])
def test_only_the_secretariat_waives(role):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    make_conflict("declared", app, reviewer)
    user = {"reviewer": reviewer, "applicant": member_of(app.registry), "decider": UserFactory(is_decider=True)}[role]

    with pytest.raises(NotPermitted):
        services.waive_conflict(app, by=user, reviewer=reviewer, reason="Greit.")

    assert Conflict.objects.get().waived_at is None


def test_declaring_again_after_a_waiver_restores_the_conflict(secretariat):
    app = ApplicationFactory(state="in_review")
    reviewer = _member(app)
    AssignmentFactory(application=app, reviewer=reviewer)
    make_conflict("declared", app, reviewer)
    waive(app, reviewer, secretariat)

    services.declare_conflict(app, by=reviewer, reason="Nå er jeg medforfatter.")

    row = Conflict.objects.values("source", "reason", "waived_at", "waived_by", "waiver_reason").get()
    assert row == {
        "source": "declared",
        "reason": "Nå er jeg medforfatter.",
        "waived_at": None,
        "waived_by": None,
        "waiver_reason": "",
    }
    assert (conflicts_of(reviewer, app), can_view_application(reviewer, app)) == (["declared"], False)


def test_declaring_tells_the_secretariat_without_the_reason(secretariat, django_capture_on_commit_callbacks):
    assignment = AssignmentFactory()
    app = assignment.application

    with django_capture_on_commit_callbacks(execute=True):
        services.declare_conflict(app, by=assignment.reviewer, reason="PRIVAT-GRUNN")

    assert sent() == [(nb("Conflict of interest declared: %(title)s", title=app.title), [secretariat.email])]
    assert "PRIVAT-GRUNN" not in mail.outbox[0].body


def test_the_secretariat_waives_through_the_web_and_the_api(secretariat):
    app = ApplicationFactory(state="in_review")
    first, second = _member(app), _member(app)
    make_conflict("named_in_project", app, first)
    make_conflict("declared", app, second)

    page = web(secretariat).post(
        reverse("reviews:waive_conflict", args=[app.pk, first.pk]), {"reason": "Bare rådgiver."}
    )
    response = api(secretariat).post(f"/applications/{app.pk}/conflicts/{second.pk}/waive", {"reason": "Avklart."})
    listing = api(secretariat).get(f"/applications/{app.pk}/conflicts").json()

    assert (page.status_code, response.status_code) == (302, 200)
    assert [(c["user"], c["sources"], c["waiver_reason"]) for c in listing] == [
        (first.pk, [], "Bare rådgiver."),
        (second.pk, [], "Avklart."),
    ]


def test_the_api_lists_conflicts_by_source_for_the_secretariat(secretariat):
    app = ApplicationFactory(state="in_review")
    declared, member = _member(app), _member(app)
    make_conflict("declared", app, declared)
    make_conflict("registry_member", app, member)
    _member(app)  # no conflict: not listed

    listing = api(secretariat).get(f"/applications/{app.pk}/conflicts").json()

    assert listing == [
        {
            "user": declared.pk,
            "name": declared.full_name,
            "sources": ["declared"],
            "declared_reason": "Min svoger leder prosjektet.",
            "waived_at": None,
            "waived_by": None,
            "waiver_reason": None,
        },
        {
            "user": member.pk,
            "name": member.full_name,
            "sources": ["registry_member"],
            "declared_reason": None,
            "waived_at": None,
            "waived_by": None,
            "waiver_reason": None,
        },
    ]
