"""Expert groups: the secretariat adds and removes members and sets the chair; the reviewer's dashboard."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.rules import is_reviewer
from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from reviews import services
from reviews.models import ExpertGroupMember
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictFactory,
    ExpertGroupFactory,
    ReviewFactory,
    SchemeFactory,
    UserFactory,
    reviewer_for,
)

from .conflict_cases import make_conflict, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


@pytest.fixture
def group():
    return ExpertGroupFactory(scheme=SchemeFactory())


def _members(group):
    return list(group.memberships.order_by("user_id").values_list("user__full_name", "is_chair"))


def test_adding_a_member_makes_them_a_reviewer_of_the_scheme(group, secretariat):
    user = UserFactory(full_name="Kari Nordmann")
    assert is_reviewer(user) is False

    services.add_member(group, by=secretariat, user=user)

    assert (_members(group), is_reviewer(user)) == ([("Kari Nordmann", False)], True)
    assert [(e.action, e.actor, e.data) for e in history(group)] == [
        ("reviews.expertgroup.add_member", secretariat, {"reviewer": user.pk})
    ]


def test_adding_a_member_twice_is_refused(group, secretariat):
    user = UserFactory(full_name="Kari Nordmann")
    services.add_member(group, by=secretariat, user=user)

    with pytest.raises(ActionRefused) as exc:
        services.add_member(group, by=secretariat, user=user)

    assert exc.value.errors == {"user": ["Kari Nordmann is already in this expert group."]}


def test_one_chair_at_a_time(group, secretariat):
    first, second = UserFactory(full_name="Anne"), UserFactory(full_name="Bjørn")
    for user in (first, second):
        services.add_member(group, by=secretariat, user=user)

    services.set_chair(group, by=secretariat, user=first)
    services.set_chair(group, by=secretariat, user=second)

    assert _members(group) == [("Anne", False), ("Bjørn", True)]


def test_removing_a_member_keeps_their_assignments(group, secretariat):
    app = ApplicationFactory(state="in_review", call=CallFactory(scheme=group.scheme))
    member = AssignmentFactory(application=app).reviewer

    services.remove_member(group, by=secretariat, user=member)

    assert (ExpertGroupMember.objects.filter(user=member).count(), member.assignments.count()) == (0, 1)
    assert [e.action for e in history(group)] == ["reviews.expertgroup.remove_member"]


def test_removing_or_chairing_someone_outside_the_group_is_refused(group, secretariat):
    outsider = UserFactory(full_name="Ola Utenfor")

    for action in (services.remove_member, services.set_chair):
        with pytest.raises(ActionRefused) as exc:
            action(group, by=secretariat, user=outsider)
        assert exc.value.errors == {"user": ["Ola Utenfor is not in this expert group."]}


@pytest.mark.parametrize("role", ["reviewer", "decider", "admin_without_secretariat_flag_is_allowed"])
def test_only_the_secretariat_manages_groups(group, role):
    user = {
        "reviewer": reviewer_for(group.scheme),
        "decider": UserFactory(is_decider=True),
        "admin_without_secretariat_flag_is_allowed": UserFactory(is_superuser=True),
    }[role]
    newcomer = UserFactory()

    if role.endswith("allowed"):
        services.add_member(group, by=user, user=newcomer)
        assert ExpertGroupMember.objects.filter(user=newcomer).exists()
        return
    with pytest.raises(NotPermitted):
        services.add_member(group, by=user, user=newcomer)
    assert not ExpertGroupMember.objects.filter(user=newcomer).exists()


def test_the_group_pages_add_chair_and_remove_by_email(group, secretariat):
    user = UserFactory(full_name="Kari Nordmann", email="kari@example.no")
    client = web(secretariat)
    detail = reverse("reviews:group_detail", args=[group.scheme_id])

    added = client.post(reverse("reviews:group_add", args=[group.scheme_id]), {"email": "KARI@example.no"})
    chaired = client.post(reverse("reviews:group_chair", args=[group.scheme_id]), {"user": user.pk})
    listing = client.get(reverse("reviews:group_list"))
    page = client.get(detail)
    unknown = client.post(reverse("reviews:group_add", args=[group.scheme_id]), {"email": "ingen@example.no"})
    removed = client.post(reverse("reviews:group_remove", args=[group.scheme_id]), {"user": user.pk})

    assert (added.status_code, added["Location"], chaired.status_code) == (302, detail, 302)
    assert [(g.name, g.n_members, [m.user.full_name for m in g.chairs]) for g in listing.context["groups"]] == [
        ("Faggruppen", 1, ["Kari Nordmann"])
    ]
    assert [(m.user.full_name, m.is_chair, m.open_assignments) for m in page.context["members"]] == [
        ("Kari Nordmann", True, 0)
    ]
    assert (unknown.status_code, unknown.context["form"].errors) == (
        400,
        {"email": ["No user has this email address. Add the user first."]},
    )
    assert (removed.status_code, _members(group)) == (302, [])


# ---------------------------------------------------------------- the reviewer's dashboard


def test_the_dashboard_shows_deadlines_days_left_own_review_and_the_groups_progress():
    today = timezone.localdate()
    call = CallFactory(title="Datakvalitet 2027")
    reviewer = reviewer_for(call.scheme)
    late = AssignmentFactory(
        application__call=call, application__title="Sen", reviewer=reviewer, deadline=today - timedelta(days=2)
    )
    soon = AssignmentFactory(
        application__call=call, application__title="Snart", reviewer=reviewer, deadline=today + timedelta(days=5)
    )
    AssignmentFactory(application__call=call, application__title="Uten frist", reviewer=reviewer)
    ReviewFactory(application=soon.application, reviewer=reviewer, state="draft")
    ReviewFactory(application=late.application, reviewer=reviewer, state="submitted")
    AssignmentFactory(application=soon.application)  # someone else, nothing submitted
    hidden = AssignmentFactory(application__call=call, reviewer=reviewer, deadline=today)
    make_conflict("declared", hidden.application, reviewer)

    page = web(reviewer).get(reverse("dashboard"))

    rows = [(a.application.title, a.days_left, a.days_overdue, a.review_state) for a in page.context["assignments"]]
    assert rows == [("Sen", -2, 2, "submitted"), ("Snart", 5, 0, "draft"), ("Uten frist", None, 0, None)]
    progress = [(c.title, c.n_applications, c.n_assigned, c.n_submitted) for c in page.context["group_progress"]]
    # The application the reviewer is conflicted on is not counted (it was: 4 applications, 5 assignments).
    assert progress == [("Datakvalitet 2027", 3, 4, 1)]
    assert "2 days overdue" in page.content.decode()


def test_the_groups_progress_counts_an_application_again_once_the_conflict_is_waived():
    call = CallFactory(title="Datakvalitet 2027")
    reviewer = reviewer_for(call.scheme)
    AssignmentFactory(application__call=call, reviewer=reviewer)
    conflicted = AssignmentFactory(application__call=call).application
    conflict = ConflictFactory(application=conflicted, reviewer=reviewer)

    def counts():
        page = web(reviewer).get(reverse("dashboard"))
        return [(c.n_applications, c.n_assigned) for c in page.context["group_progress"]]

    hidden = counts()
    type(conflict).objects.filter(pk=conflict.pk).update(waived_at=timezone.now(), waiver_reason="Ok.")

    assert (hidden, counts()) == ([(1, 1)], [(2, 2)])


@pytest.mark.parametrize("n", [1, 30])
def test_the_reviewers_dashboard_needs_the_same_queries_for_1_and_30_assignments(n, django_assert_num_queries):
    call = CallFactory()
    reviewer = reviewer_for(call.scheme)
    for _ in range(n):
        AssignmentFactory(application__call=call, reviewer=reviewer, deadline=timezone.localdate())
    client = web(reviewer)
    client.get(reverse("dashboard"))  # session and caches warm

    with django_assert_num_queries(5):  # session, user, registries and expert groups, assignments, progress
        response = client.get(reverse("dashboard"))

    assert len(response.context["assignments"]) == n
