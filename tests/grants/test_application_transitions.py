"""The application lifecycle, transition by transition and state by state, through grants.services."""

from decimal import Decimal

import pytest
from django.core import mail

from core.exceptions import InvalidTransition, NotPermitted
from grants.enums import ApplicationState as S
from grants.services import APPLICATION_ACTIONS
from tests.core.lifecycle import (
    Row,
    Snapshot,
    allowed,
    assert_refused_without_trace,
    disallowed,
    entry_fields,
    label_nb,
    nb,
    sent,
    state_of,
    wrong_roles,
)
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    RegistryFactory,
    ReviewFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db

NOT_APPLICANT = ("other_applicant", "reviewer", "decider", "secretariat")
NOT_SECRETARIAT = ("applicant", "other_applicant", "reviewer", "decider")
NOT_DECIDER = ("applicant", "other_applicant", "reviewer", "secretariat")
BEFORE_DECISION = (S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.IN_REVIEW, S.ASSESSED, S.RECOMMENDED, S.NOT_RECOMMENDED)

SPEC = {
    "submit": Row((S.DRAFT,), S.SUBMITTED, "applicant", NOT_APPLICANT),
    "withdraw": Row(BEFORE_DECISION, S.WITHDRAWN, "applicant", NOT_APPLICANT),
    "request_changes": Row((S.SUBMITTED,), S.CHANGES_REQUESTED, "secretariat", NOT_SECRETARIAT),
    "resubmit": Row((S.CHANGES_REQUESTED,), S.SUBMITTED, "applicant", NOT_APPLICANT),
    "mark_ineligible": Row((S.SUBMITTED,), S.INELIGIBLE, "secretariat", NOT_SECRETARIAT),
    "send_to_review": Row((S.SUBMITTED,), S.IN_REVIEW, "secretariat", NOT_SECRETARIAT),
    "complete_assessment": Row((S.IN_REVIEW,), S.ASSESSED, "secretariat", NOT_SECRETARIAT),
    "recommend": Row((S.ASSESSED,), S.RECOMMENDED, "secretariat", NOT_SECRETARIAT),
    "not_recommend": Row((S.ASSESSED,), S.NOT_RECOMMENDED, "secretariat", NOT_SECRETARIAT),
    "grant": Row((S.RECOMMENDED, S.NOT_RECOMMENDED), S.GRANTED, "decider", NOT_DECIDER),
    "reject": Row((S.RECOMMENDED, S.NOT_RECOMMENDED), S.REJECTED, "decider", NOT_DECIDER),
}
EXTRA_ARGS = {
    "recommend": {"proposed_amount_nok": Decimal("80000.00")},
    "grant": {"granted_amount_nok": Decimal("80000.00")},
}
# Audit entries written for other objects in the same transaction.
SIDE_ENTRIES = {"grant": ["projects.project.create"]}
TO_REGISTRY_STATUS = {"withdraw", "request_changes", "mark_ineligible", "grant", "reject"}
COMMENT = "Begrunnelse for vedtaket."


def _cast(app):
    reviewer = AssignmentFactory(application=app).reviewer
    return {
        "applicant": member_of(app.registry),
        "other_applicant": member_of(RegistryFactory()),
        "reviewer": reviewer,
        "secretariat": UserFactory(is_secretariat=True),
        "decider": UserFactory(is_decider=True),
    }


def _fire(name, app, user):
    return APPLICATION_ACTIONS[name](app, by=user, comment=COMMENT, **EXTRA_ARGS.get(name, {}))


def _expected_mail(name, app, cast, source):
    applicant, secretariat = [cast["applicant"].email], [cast["secretariat"].email]
    if name in ("submit", "resubmit"):
        return [
            (nb("Application submitted: %(title)s", title=app.title), applicant),
            (nb("New application from %(registry)s: %(title)s", registry=app.registry, title=app.title), secretariat),
        ]
    if name in TO_REGISTRY_STATUS:
        subject = nb("%(title)s: %(state)s", title=app.title, state=label_nb(S(SPEC[name].target)))
        # A withdrawal the secretariat had already received is news to the secretariat too.
        if name == "withdraw" and source != "draft":
            return [(subject, applicant), (subject, secretariat)]
        return [(subject, applicant)]
    return []


def test_the_matrix_covers_every_application_action():
    assert set(SPEC) == set(APPLICATION_ACTIONS)


@pytest.mark.parametrize(("name", "source"), allowed(SPEC))
def test_allowed_source_moves_to_target_with_one_audit_entry_and_mail(name, source, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state=source)
    cast = _cast(app)
    if name == "complete_assessment":
        ReviewFactory(application=app, state="submitted")
    before = Snapshot(app)
    user = cast[SPEC[name].actor]

    with django_capture_on_commit_callbacks(execute=True):
        result = _fire(name, app, user)

    assert result.state == SPEC[name].target
    assert state_of(app) == SPEC[name].target
    entries = before.new_entries()
    assert [e.action for e in entries] == [f"grants.application.{name}", *SIDE_ENTRIES.get(name, [])]
    assert entry_fields(entries[0]) == (f"grants.application.{name}", user, source, SPEC[name].target, COMMENT)
    assert (entries[0].content_type.model, entries[0].object_id) == ("application", app.pk)
    assert sent() == _expected_mail(name, app, cast, source)


@pytest.mark.parametrize(("name", "source"), disallowed(SPEC, S.values))
def test_other_source_is_invalid_transition_and_changes_nothing(name, source, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state=source)
    user = _cast(app)[SPEC[name].actor]

    assert_refused_without_trace(
        lambda: _fire(name, app, user), InvalidTransition, app, django_capture_on_commit_callbacks
    )


@pytest.mark.parametrize(("name", "role"), wrong_roles(SPEC))
def test_wrong_role_is_not_permitted_and_changes_nothing(name, role, django_capture_on_commit_callbacks):
    app = ApplicationFactory(state=SPEC[name].sources[0])
    user = _cast(app)[role]

    assert_refused_without_trace(lambda: _fire(name, app, user), NotPermitted, app, django_capture_on_commit_callbacks)


def test_submit_mails_every_member_of_the_registry_and_every_secretariat_user(django_capture_on_commit_callbacks):
    app = ApplicationFactory(title="Kvalitet & data")
    first, second = member_of(app.registry), member_of(app.registry)
    member_of(RegistryFactory())
    staff = [UserFactory(is_secretariat=True), UserFactory(is_secretariat=True)]
    UserFactory(is_secretariat=True, is_active=False)

    with django_capture_on_commit_callbacks(execute=True):
        APPLICATION_ACTIONS["submit"](app, by=first)

    submitted = nb("Application submitted: %(title)s", title="Kvalitet & data")
    received = nb("New application from %(registry)s: %(title)s", registry=app.registry, title="Kvalitet & data")
    # one message per person (through the outbox), so no one sees the other recipients
    assert sent() == [
        (submitted, [first.email]),
        (submitted, [second.email]),
        *[(received, [u.email]) for u in staff],
    ]
    assert [(m.cc, m.bcc) for m in mail.outbox] == [([], [])] * 4


def test_status_mail_carries_the_comment(django_capture_on_commit_callbacks):
    app = ApplicationFactory(state=S.SUBMITTED)
    member_of(app.registry)
    secretariat = UserFactory(is_secretariat=True)

    with django_capture_on_commit_callbacks(execute=True):
        APPLICATION_ACTIONS["request_changes"](app, by=secretariat, comment="Budsjettet mangler reiser.")

    assert "Budsjettet mangler reiser." in mail.outbox[0].body
