from decimal import Decimal

import pytest

from audit.models import AuditEntry
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from grants import services
from tests.factories import ApplicationFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def test_submit_moves_draft_to_submitted_and_audits():
    app = ApplicationFactory()
    applicant = member_of(app.registry)

    result = services.submit_application(app, by=applicant, comment="Ferdig")

    assert result.state == "submitted"
    entry = AuditEntry.objects.get(action="grants.application.submit")
    assert (entry.actor, entry.source, entry.target, entry.comment) == (applicant, "draft", "submitted", "Ferdig")


def test_submit_by_stranger_is_not_permitted():
    app = ApplicationFactory()
    with pytest.raises(NotPermitted):
        services.submit_application(app, by=UserFactory())
    app.refresh_from_db()
    assert app.state == "draft"


def test_submit_twice_is_invalid_transition():
    app = ApplicationFactory()
    applicant = member_of(app.registry)
    services.submit_application(app, by=applicant)
    with pytest.raises(InvalidTransition):
        services.submit_application(app, by=applicant)


def test_grant_above_request_is_refused():
    app = ApplicationFactory(state="recommended")
    decider = UserFactory(is_decider=True)
    with pytest.raises(ActionRefused) as exc:
        services.grant(app, by=decider, granted_amount_nok=Decimal("90000.01"))
    assert list(exc.value.errors) == ["granted_amount_nok"]
