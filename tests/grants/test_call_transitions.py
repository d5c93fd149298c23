"""The call lifecycle (draft → open → closed → decided) through grants.services.CALL_ACTIONS."""

import pytest

from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from grants.enums import CallState as C
from grants.services import CALL_ACTIONS
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
from tests.factories import ApplicationFactory, CallFactory, RegistryFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

NOT_SECRETARIAT = ("applicant", "reviewer", "decider")
SPEC = {
    "open": Row((C.DRAFT,), C.OPEN, "secretariat", NOT_SECRETARIAT),
    "close": Row((C.OPEN,), C.CLOSED, "secretariat", NOT_SECRETARIAT),
    "decide": Row((C.CLOSED,), C.DECIDED, "secretariat", NOT_SECRETARIAT),
}


def _cast(call):
    return {
        "applicant": member_of(RegistryFactory()),
        "reviewer": reviewer_for(call.scheme),
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def test_the_matrix_covers_every_call_action():
    assert set(SPEC) == set(CALL_ACTIONS)


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_with_one_audit_entry(name, source, django_capture_on_commit_callbacks):
    call = CallFactory(state=source)
    user = _cast(call)["secretariat"]
    before = Snapshot(call)

    with django_capture_on_commit_callbacks(execute=True):
        result = CALL_ACTIONS[name](call, by=user, comment="Etter plan.")

    assert (result.state, state_of(call)) == (SPEC[name].target, SPEC[name].target)
    assert [entry_fields(e) for e in before.new_entries()] == [
        (f"grants.call.{name}", user, source, SPEC[name].target, "Etter plan.")
    ]
    assert sent() == []


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, C.values))
def test_other_source_is_invalid_transition_and_changes_nothing(name, source, django_capture_on_commit_callbacks):
    call = CallFactory(state=source)
    user = _cast(call)["secretariat"]

    assert_refused_without_trace(
        lambda: CALL_ACTIONS[name](call, by=user), InvalidTransition, call, django_capture_on_commit_callbacks
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    call = CallFactory(state=SPEC[name].sources[0])
    user = _cast(call)[role]

    assert_refused_without_trace(
        lambda: CALL_ACTIONS[name](call, by=user), NotPermitted, call, django_capture_on_commit_callbacks
    )


@pytest.mark.parametrize("pending", ["submitted", "in_review", "assessed", "recommended", "not_recommended"])
def test_decide_is_refused_while_an_application_awaits_its_decision(pending, django_capture_on_commit_callbacks):
    call = CallFactory(state=C.CLOSED)
    ApplicationFactory(call=call, state="granted")
    ApplicationFactory(call=call, state=pending)
    secretariat = UserFactory(is_secretariat=True)

    exc = assert_refused_without_trace(
        lambda: CALL_ACTIONS["decide"](call, by=secretariat), ActionRefused, call, django_capture_on_commit_callbacks
    )

    assert exc.message == "1 application in this call is still awaiting a decision."


def test_decide_refusal_counts_every_pending_application(django_capture_on_commit_callbacks):
    call = CallFactory(state=C.CLOSED)
    for state in ("submitted", "in_review", "recommended"):
        ApplicationFactory(call=call, state=state)

    with pytest.raises(ActionRefused) as exc:
        CALL_ACTIONS["decide"](call, by=UserFactory(is_secretariat=True))

    assert exc.value.message == "3 applications in this call are still awaiting a decision."


def test_decide_ignores_drafts_and_closed_cases():
    call = CallFactory(state=C.CLOSED)
    for state in ("draft", "ineligible", "granted", "rejected", "withdrawn"):
        ApplicationFactory(call=call, state=state)

    result = CALL_ACTIONS["decide"](call, by=UserFactory(is_secretariat=True))

    assert result.state == C.DECIDED
