"""Assigning reviewers for a whole call at once, and review deadlines."""

from datetime import date, timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from reviews import services
from reviews.models import Assignment, ReviewRound
from tests.core.lifecycle import sent
from tests.factories import ApplicationFactory, AssignmentFactory, CallFactory, UserFactory, member_of, reviewer_for

from .conflict_cases import api, make_conflict, web

pytestmark = pytest.mark.django_db

SOON = timezone.localdate() + timedelta(days=30)


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


@pytest.fixture
def call():
    """A call with three applications in review (a, b, c), one submitted, and a group of four (m1..m4)."""
    call = CallFactory()
    apps = [ApplicationFactory(call=call, state="in_review", title=t) for t in ("A", "B", "C")]
    ApplicationFactory(call=call, state="submitted", title="Ikke i vurdering")
    members = [reviewer_for(call.scheme, full_name=f"Medlem {n}") for n in (1, 2, 3, 4)]
    call.apps, call.members = apps, members
    return call


def _pairs(call):
    titles = {a.pk: a.title for a in call.apps}
    names = {m.pk: m.full_name for m in call.members}
    return sorted((titles[a], names[r]) for a, r in Assignment.objects.values_list("application_id", "reviewer_id"))


def test_two_per_application_goes_to_the_least_loaded_skipping_conflicts(call, secretariat):
    a, b, _c = call.apps
    m1, m2, m3, _m4 = call.members
    make_conflict("registry_member", a, m1)
    make_conflict("declared", b, m2)
    AssignmentFactory(application=b, reviewer=m3)  # already assigned: counts towards b's two

    result = services.assign_call(call, by=secretariat, per_application=2, deadline=SOON)

    assert _pairs(call) == [
        ("A", "Medlem 2"), ("A", "Medlem 4"),
        ("B", "Medlem 1"), ("B", "Medlem 3"),
        ("C", "Medlem 1"), ("C", "Medlem 2"),
    ]  # fmt: skip
    assert [(s.application.title, s.reviewer.full_name, s.reasons) for s in result.skipped] == [
        ("A", "Medlem 1", [f"Medlem 1 is a member of {a.registry} and so has a conflict of interest."]),
        ("B", "Medlem 2", ["Medlem 2 has declared a conflict of interest with this application."]),
    ]
    assert (len(result.created), result.short) == (5, [])
    assert {a.deadline for a in result.created} == {SOON}


def test_without_a_number_every_chosen_reviewer_gets_every_application(call, secretariat):
    a, _b, _c = call.apps
    m1, m2, m3, _m4 = call.members
    make_conflict("named_in_project", a, m2)

    result = services.assign_call(call, by=secretariat, reviewers=[m1, m2, m3])

    assert _pairs(call) == [
        ("A", "Medlem 1"), ("A", "Medlem 3"),
        ("B", "Medlem 1"), ("B", "Medlem 2"), ("B", "Medlem 3"),
        ("C", "Medlem 1"), ("C", "Medlem 2"), ("C", "Medlem 3"),
    ]  # fmt: skip
    assert [(s.application.title, s.reviewer.full_name) for s in result.skipped] == [("A", "Medlem 2")]


def test_too_few_eligible_members_is_reported(call, secretariat):
    a, _b, _c = call.apps
    m1, m2, _m3, _m4 = call.members
    make_conflict("declared", a, m2)

    result = services.assign_call(call, by=secretariat, reviewers=[m1, m2], per_application=2)

    assert [(app.title, missing) for app, missing in result.short] == [("A", 1)]
    assert _pairs(call) == [
        ("A", "Medlem 1"),
        ("B", "Medlem 1"),
        ("B", "Medlem 2"),
        ("C", "Medlem 1"),
        ("C", "Medlem 2"),
    ]


def test_running_it_again_assigns_nothing_new(call, secretariat):
    services.assign_call(call, by=secretariat, per_application=2)

    again = services.assign_call(call, by=secretariat, per_application=2)

    assert (again.created, again.skipped, again.short, Assignment.objects.count()) == ([], [], [], 6)


def test_each_assignment_is_audited_on_its_application_and_the_run_on_the_call(call, secretariat):
    a, _b, _c = call.apps

    services.assign_call(call, by=secretariat, reviewers=call.members[:1])

    m1 = call.members[0]
    assert [(e.action, e.data) for e in history(a)] == [
        ("reviews.assignment.create", {"reviewer": m1.pk, "deadline": None})
    ]
    assert [(e.action, e.actor, e.data) for e in history(call)] == [
        ("reviews.assignment.bulk_create", secretariat, {"assignments": [[p.pk, m1.pk] for p in call.apps]})
    ]


def test_each_reviewer_gets_one_message_listing_all_of_theirs(call, secretariat, django_capture_on_commit_callbacks):
    m1, m2 = call.members[:2]

    with django_capture_on_commit_callbacks(execute=True):
        services.assign_call(call, by=secretariat, reviewers=[m1, m2], deadline=SOON)

    assert sent() == [(_subject(3), [m1.email]), (_subject(3), [m2.email])]
    assert [line.strip() for line in mail.outbox[0].body.splitlines() if line.strip().startswith("- ")] == [
        f"- {app.title} ({app.registry}), {_due(SOON)}" for app in call.apps
    ]


def _subject(n):
    with translation.override("nb"):
        return ngettext("Review requested: %(n)s application", "Reviews requested: %(n)s applications", n) % {"n": n}


def _due(day):
    with translation.override("nb"):
        return gettext("due %(date)s") % {"date": formats.date_format(day, "DATE_FORMAT")}


def test_the_deadline_defaults_to_the_calls(call, secretariat):
    services.set_review_deadline(call, by=secretariat, deadline=SOON)

    services.assign_call(call, by=secretariat, reviewers=call.members[:1])
    single = services.assign_reviewer(call.apps[0], by=secretariat, reviewer=call.members[1])

    assert set(Assignment.objects.values_list("deadline", flat=True)) == {SOON}
    assert single.deadline == SOON


def test_moving_the_calls_deadline_moves_the_assignments_that_followed_it(call, secretariat):
    services.set_review_deadline(call, by=secretariat, deadline=SOON)
    services.assign_call(call, by=secretariat, reviewers=call.members[:1])
    own = services.assign_reviewer(call.apps[0], by=secretariat, reviewer=call.members[1], deadline=SOON + timedelta(1))
    Assignment.objects.update(reminded_on=timezone.localdate())

    review_round = services.set_review_deadline(call, by=secretariat, deadline=SOON + timedelta(days=7))

    assert review_round.review_deadline == SOON + timedelta(days=7)
    rows = dict(Assignment.objects.values_list("pk", "deadline"))
    assert rows.pop(own.pk) == SOON + timedelta(days=1)
    assert set(rows.values()) == {SOON + timedelta(days=7)}
    assert set(Assignment.objects.exclude(pk=own.pk).values_list("reminded_on", flat=True)) == {None}
    assert [(e.action, e.data) for e in history(review_round)][-1] == (
        "reviews.reviewround.set_deadline",
        {"deadline": (SOON + timedelta(days=7)).isoformat(), "assignments": 3},
    )


def test_a_deadline_in_the_past_is_refused(call, secretariat):
    with pytest.raises(ActionRefused) as exc:
        services.set_review_deadline(call, by=secretariat, deadline=date(2020, 1, 1))
    with pytest.raises(ActionRefused):
        services.assign_call(call, by=secretariat, deadline=date(2020, 1, 1))

    assert exc.value.errors == {"review_deadline": ["The review deadline cannot be in the past."]}
    assert (ReviewRound.objects.filter(review_deadline__isnull=False).count(), Assignment.objects.count()) == (0, 0)


def test_reviewers_outside_the_group_are_refused(call, secretariat):
    outsider = UserFactory(full_name="Ola Utenfor")

    with pytest.raises(ActionRefused) as exc:
        services.assign_call(call, by=secretariat, reviewers=[call.members[0], outsider])

    assert exc.value.errors == {"reviewers": ["Ola Utenfor is not in this scheme's expert group."]}
    assert Assignment.objects.count() == 0


@pytest.mark.parametrize("role", ["reviewer", "applicant", "decider"])
def test_only_the_secretariat_assigns_a_whole_call(call, role):
    user = {
        "reviewer": call.members[0],
        "applicant": member_of(call.apps[0].registry),
        "decider": UserFactory(is_decider=True),
    }[role]

    with pytest.raises(NotPermitted):
        services.assign_call(call, by=user)

    assert Assignment.objects.count() == 0


def test_the_web_form_reports_what_was_skipped_and_why(call, secretariat):
    a = call.apps[0]
    m1 = call.members[0]
    make_conflict("named_in_project", a, m1)
    url = reverse("reviews:assign_call", args=[call.pk])

    response = web(secretariat).post(url, {"reviewers": [m1.pk], "deadline": SOON.isoformat()}, follow=True)

    texts = [str(m) for m in response.context["messages"]]
    assert texts == [
        "2 assignments made; each reviewer gets one message listing theirs.",
        "Skipped for “A”: Medlem 1 is named in the project team and so has a conflict of interest.",
    ]
    grid = {row["application"].title: row["cells"][0] for row in response.context["grid"]}
    assert [(t, c["assigned"], c["conflicts"]) for t, c in sorted(grid.items())] == [
        ("A", False, ["Named in the project team"]),
        ("B", True, []),
        ("C", True, []),
    ]


def test_the_api_assigns_a_whole_call_and_reports(call, secretariat):
    a = call.apps[0]
    m1, m2 = call.members[:2]
    make_conflict("declared", a, m2)

    response = api(secretariat).post(
        f"/calls/{call.pk}/reviewers", {"reviewers": [m1.pk, m2.pk], "per_application": 2, "deadline": str(SOON)}
    )

    body = response.json()
    assert response.status_code == 200
    assert [(c["application"], c["user"], c["deadline"]) for c in body["created"]] == [
        (a.pk, m1.pk, str(SOON)),
        (call.apps[1].pk, m1.pk, str(SOON)),
        (call.apps[1].pk, m2.pk, str(SOON)),
        (call.apps[2].pk, m1.pk, str(SOON)),
        (call.apps[2].pk, m2.pk, str(SOON)),
    ]
    assert body["skipped"] == [
        {
            "application": a.pk,
            "user": m2.pk,
            "reasons": ["Medlem 2 has declared a conflict of interest with this application."],
        }
    ]
    assert body["short"] == [{"application": a.pk, "missing": 1}]


def test_the_api_assigns_one_reviewer_with_a_deadline(call, secretariat):
    response = api(secretariat).post(
        f"/applications/{call.apps[0].pk}/reviewers", {"user": call.members[0].pk, "deadline": str(SOON)}
    )

    assert (response.status_code, response.json()["deadline"]) == (201, str(SOON))
