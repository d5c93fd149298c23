"""Granting: the amount rules, and what a grant creates (one project, its milestones, payments, final report)."""

from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone

from audit.services import history
from core.exceptions import ActionRefused
from grants import services
from grants.models import Application, PlannedMilestone
from projects.models import Project
from tests.core.lifecycle import assert_refused_without_trace, state_of
from tests.factories import ApplicationFactory, CallFactory, ConflictFactory, ReviewFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def decider():
    return UserFactory(is_decider=True)


def _refused_grant(app, decider, amount, comment, capture):
    def act():
        services.grant(app, by=decider, granted_amount_nok=amount, comment=comment)

    exc = assert_refused_without_trace(act, ActionRefused, app, capture)
    assert Project.objects.count() == 0
    return exc


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("90000.01"), "The granted amount cannot be more than the requested 90,000.00 NOK."),
        (None, "Enter the granted amount."),
        (Decimal("0"), "The granted amount must be more than 0 NOK."),
        (Decimal("-1"), "The granted amount must be more than 0 NOK."),
    ],
)
def test_grant_with_a_bad_amount_is_refused(amount, message, decider, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="recommended")

    exc = _refused_grant(app, decider, amount, "Innvilget.", django_capture_on_commit_callbacks)

    assert (exc.message, exc.errors) == (message, {"granted_amount_nok": [message]})


def _above_cap():
    return ApplicationFactory(
        state="recommended",
        requested_amount_nok=Decimal("120000.00"),
        call=CallFactory(max_amount_nok=Decimal("100000")),
    )


@pytest.mark.parametrize("comment", ["", "   \n"])
def test_grant_above_the_call_cap_without_a_reason_is_refused(comment, decider, django_capture_on_commit_callbacks):
    app = _above_cap()

    exc = _refused_grant(app, decider, Decimal("110000.00"), comment, django_capture_on_commit_callbacks)

    msg = "110,000.00 NOK is above the call's cap of 100,000.00 NOK; give the reason in the comment."
    assert exc.errors == {"granted_amount_nok": [msg]}


def test_grant_above_the_call_cap_with_a_reason_is_granted_and_the_reason_audited(decider):
    app = _above_cap()
    reason = "Unntaksvis høyere: nasjonal nytte for alle registre."

    services.grant(app, by=decider, granted_amount_nok=Decimal("110000.00"), comment=reason)

    granted = Application.objects.get(pk=app.pk)
    assert (granted.state, granted.granted_amount_nok) == ("granted", Decimal("110000.00"))
    entry = history(app).get(action="grants.application.grant")
    assert (entry.comment, entry.data) == (reason, {"granted_amount_nok": "110000.00"})


def test_grant_exactly_at_the_cap_needs_no_reason(decider):
    app = _above_cap()

    services.grant(app, by=decider, granted_amount_nok=Decimal("100000.00"))

    assert state_of(app) == "granted"


def test_grant_in_a_call_without_cap_is_limited_only_by_the_request(decider):
    app = ApplicationFactory(
        state="not_recommended", requested_amount_nok=Decimal("750000.00"), call=CallFactory(max_amount_nok=None)
    )

    services.grant(app, by=decider, granted_amount_nok=Decimal("750000.00"))

    assert state_of(app) == "granted"


def test_grant_creates_exactly_one_project_with_milestones_payments_and_an_empty_final_report(decider):
    app = ApplicationFactory(state="recommended", requested_amount_nok=Decimal("92300.50"))
    PlannedMilestone.objects.create(application=app, title="Sluttrapport", due_date=date(2027, 12, 15))

    services.grant(app, by=decider, granted_amount_nok=Decimal("92300.50"))

    project = Project.objects.get()
    assert (
        project.application_id,
        project.registry_id,
        project.title,
        project.granted_amount_nok,
        project.start_date,
        project.end_date,
        project.state,
    ) == (
        app.pk,
        app.registry_id,
        app.title,
        Decimal("92300.50"),
        date(2027, 1, 1),
        date(2027, 12, 31),
        "agreement_pending",
    )
    assert list(project.milestones.values_list("title", "due_date", "state")) == [
        ("Datauttrekk", date(2027, 6, 30), "planned"),
        ("Sluttrapport", date(2027, 12, 15), "planned"),
    ]
    assert list(project.payments.values_list("amount_nok", "trigger", "state")) == [
        (Decimal("46150.25"), "agreement", "scheduled"),
        (Decimal("46150.25"), "final_report", "scheduled"),
    ]
    assert (project.final_report.sections, project.final_report.submitted_at) == ({}, None)


def test_grant_of_one_ore_has_only_the_final_payment(decider):
    app = ApplicationFactory(state="recommended")

    services.grant(app, by=decider, granted_amount_nok=Decimal("0.01"))

    assert list(Project.objects.get().payments.values_list("amount_nok", "trigger")) == [
        (Decimal("0.01"), "final_report")
    ]


@pytest.mark.parametrize(
    ("amount", "message"),
    [
        (Decimal("90000.01"), "The proposed amount cannot be more than the requested 90,000.00 NOK."),
        (None, "Enter the amount the expert group proposes."),
        (Decimal("0"), "The proposed amount must be more than 0 NOK."),
    ],
)
def test_recommend_with_a_bad_amount_is_refused(amount, message, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="assessed")
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: services.recommend(app, by=secretariat, proposed_amount_nok=amount),
        ActionRefused,
        app,
        django_capture_on_commit_callbacks,
    )

    assert exc.errors == {"proposed_amount_nok": [message]}


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("request_changes", "Say what the applicant must change."),
        ("mark_ineligible", "Give the reason the application is ineligible."),
    ],
)
def test_screening_without_a_comment_is_refused(action, message, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="submitted")
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: services.APPLICATION_ACTIONS[action](app, by=secretariat, comment=" "),
        ActionRefused,
        app,
        django_capture_on_commit_callbacks,
    )

    assert exc.errors == {"comment": [message]}


def test_complete_assessment_without_a_submitted_review_is_refused(django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="in_review")
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: services.complete_assessment(app, by=secretariat),
        ActionRefused,
        app,
        django_capture_on_commit_callbacks,
    )

    assert exc.message == "At least one submitted review is needed to complete the assessment."


def _only_review_then(app, conflict):
    review = ReviewFactory(application=app, state="submitted")
    if conflict == "declared":
        ConflictFactory(application=app, reviewer=review.reviewer)
    elif conflict == "waived":
        ConflictFactory(application=app, reviewer=review.reviewer, waived_at=timezone.now(), waiver_reason="Fjern.")
    elif conflict == "registry_member":
        review.reviewer.memberships.create(registry=app.registry)
    return review


@pytest.mark.parametrize("conflict", ["declared", "registry_member"])
def test_a_conflicted_reviewers_review_does_not_complete_the_assessment(conflict, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state="in_review")
    _only_review_then(app, conflict)
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: services.complete_assessment(app, by=secretariat),
        ActionRefused,
        app,
        django_capture_on_commit_callbacks,
    )

    assert exc.message == "At least one submitted review is needed to complete the assessment."


def test_a_review_whose_conflict_was_waived_completes_the_assessment():
    app = ApplicationFactory(state="in_review")
    _only_review_then(app, "waived")

    services.complete_assessment(app, by=UserFactory(is_secretariat=True))

    assert state_of(app) == "assessed"
