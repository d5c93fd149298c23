"""The payment lifecycle through finance.services.PAYMENT_ACTIONS."""

import pytest

from core.exceptions import InvalidTransition, NotPermitted
from finance.enums import PaymentState as PS
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
        result = PAYMENT_ACTIONS[name](payment, by=user, comment="Bilag 2026-118.")

    assert (result.state, state_of(payment)) == (SPEC[name].target, SPEC[name].target)
    assert [entry_fields(e) for e in before.new_entries()] == [
        (f"finance.payment.{name}", user, source, SPEC[name].target, "Bilag 2026-118.")
    ]
    assert sent() == []


def test_pay_stamps_the_payment_date():
    payment = PaymentFactory(state=PS.APPROVED)

    result = PAYMENT_ACTIONS["pay"](payment, by=UserFactory(is_secretariat=True))

    assert result.paid_at is not None


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
