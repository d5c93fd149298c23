"""The payment lifecycle through finance.services.PAYMENT_ACTIONS."""

from datetime import date

import pytest
from django.utils import translation

from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from finance.enums import PaymentState as PS
from finance.models import Payment
from finance.services import PAYMENT_ACTIONS
from tests.core.lifecycle import (
    Row,
    Snapshot,
    allowed,
    assert_refused_without_trace,
    disallowed,
    entry_fields,
    sent,
    state_of,
    wrong_roles,
)
from tests.factories import PaymentFactory, RegistryFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

NOT_SECRETARIAT = ("applicant", "other_applicant", "reviewer", "decider")
# What each action needs besides the comment (pay: the accounts' reference and the payment date).
EXTRA = {"approve": {}, "pay": {"reference": "BILAG-2026-118", "paid_on": date(2026, 3, 2)}, "cancel": {}}
SPEC = {
    "approve": Row((PS.DUE,), PS.APPROVED, "secretariat", NOT_SECRETARIAT),
    "pay": Row((PS.APPROVED,), PS.PAID, "secretariat", NOT_SECRETARIAT),
    "cancel": Row((PS.SCHEDULED, PS.DUE, PS.APPROVED), PS.CANCELLED, "secretariat", NOT_SECRETARIAT),
}


def _cast(payment):
    project = payment.project
    return {
        "applicant": member_of(project.registry),
        "other_applicant": member_of(RegistryFactory()),
        "reviewer": reviewer_for(project.application.call.scheme),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def test_the_matrix_covers_every_payment_action():
    assert set(SPEC) == set(PAYMENT_ACTIONS)


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_with_one_audit_entry(name, source, django_capture_on_commit_callbacks):
    payment = PaymentFactory(state=source)
    user = _cast(payment)["secretariat"]
    before = Snapshot(payment)

    with django_capture_on_commit_callbacks(execute=True):
        result = PAYMENT_ACTIONS[name](payment, by=user, comment="Bilag 2026-118.", **EXTRA[name])

    assert (result.state, state_of(payment)) == (SPEC[name].target, SPEC[name].target)
    assert [entry_fields(e) for e in before.new_entries()] == [
        (f"finance.payment.{name}", user, source, SPEC[name].target, "Bilag 2026-118.")
    ]
    assert before.new_entries()[0].data == (
        {"reference": "BILAG-2026-118", "paid_on": "2026-03-02"} if name == "pay" else {}
    )
    assert sent() == []


def test_pay_stamps_the_payment_date_and_reference():
    payment = PaymentFactory(state=PS.APPROVED)

    result = PAYMENT_ACTIONS["pay"](payment, by=UserFactory(is_secretariat=True), **EXTRA["pay"])

    assert result.paid_at is not None
    assert Payment.objects.values_list("paid_on", "reference").get(pk=payment.pk) == (
        date(2026, 3, 2),
        "BILAG-2026-118",
    )


def test_approve_records_who_approved():
    payment = PaymentFactory(state=PS.DUE)
    secretariat = UserFactory(is_secretariat=True)

    PAYMENT_ACTIONS["approve"](payment, by=secretariat)

    assert Payment.objects.get(pk=payment.pk).approved_by == secretariat


@pytest.mark.parametrize(
    ("kwargs", "errors"),
    [
        ({}, {"reference": ["Give the payment reference from the accounts."], "paid_on": [
            "Give the payment date (YYYY-MM-DD)."]}),
        ({"reference": "  ", "paid_on": "2026-02-30"}, {"reference": ["Give the payment reference from the accounts."],
                                                        "paid_on": ["Give the payment date (YYYY-MM-DD)."]}),
        ({"reference": "X" * 101, "paid_on": "2026-03-02"}, {"reference": ["At most 100 characters."]}),
        ({"reference": "B-1", "paid_on": date(2999, 1, 1)}, {"paid_on": ["The payment date cannot be in the future."]}),
    ],
)  # fmt: skip
def test_pay_without_reference_or_valid_date_is_refused_per_field(kwargs, errors, django_capture_on_commit_callbacks):
    payment = PaymentFactory(state=PS.APPROVED)
    user = UserFactory(is_secretariat=True)

    with translation.override("en"):
        exc = assert_refused_without_trace(
            lambda: PAYMENT_ACTIONS["pay"](payment, by=user, **kwargs),
            ActionRefused,
            payment,
            django_capture_on_commit_callbacks,
        )

    assert exc.errors == errors


def test_cancel_without_a_reason_is_refused(django_capture_on_commit_callbacks):
    payment = PaymentFactory(state=PS.DUE)
    user = UserFactory(is_secretariat=True)

    with translation.override("en"):
        exc = assert_refused_without_trace(
            lambda: PAYMENT_ACTIONS["cancel"](payment, by=user, comment=" "),
            ActionRefused,
            payment,
            django_capture_on_commit_callbacks,
        )

    assert exc.errors == {"comment": ["Give the reason for cancelling the payment."]}


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, PS.values))
def test_other_source_is_invalid_transition_and_changes_nothing(name, source, django_capture_on_commit_callbacks):
    payment = PaymentFactory(state=source)
    user = _cast(payment)["secretariat"]

    assert_refused_without_trace(
        lambda: PAYMENT_ACTIONS[name](payment, by=user), InvalidTransition, payment, django_capture_on_commit_callbacks
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    payment = PaymentFactory(state=SPEC[name].sources[0])
    user = _cast(payment)[role]

    assert_refused_without_trace(
        lambda: PAYMENT_ACTIONS[name](payment, by=user), NotPermitted, payment, django_capture_on_commit_callbacks
    )
