"""Withdrawing a waiver: the secretariat only, with a reason; the reviewer is conflicted again at once (sees nothing,
their scores stop counting), and the trail keeps who waived it and why."""

from decimal import Decimal

import pytest
from django.urls import reverse

from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from grants.selectors import applications_visible_to
from reviews import services
from reviews.models import Conflict
from tests.factories import ApplicationFactory, AssignmentFactory, CallFactory, ExpertGroupMemberFactory, UserFactory

from .conflict_cases import api, make_conflict, waive, web

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


@pytest.fixture
def waived(secretariat):
    app = ApplicationFactory(call=CallFactory(budget_nok=Decimal("500000")), state="in_review")
    reviewer = UserFactory(full_name="Kari Nordmann")
    ExpertGroupMemberFactory(group__scheme=app.call.scheme, user=reviewer)
    AssignmentFactory(application=app, reviewer=reviewer)
    make_conflict("declared", app, reviewer)
    waive(app, reviewer, secretariat)
    return app, reviewer


def test_withdrawing_a_waiver_conflicts_the_reviewer_again_and_audits_both(secretariat, waived):
    app, reviewer = waived
    seen_while_waived = applications_visible_to(reviewer).filter(pk=app.pk).exists()

    services.revoke_waiver(app, by=secretariat, reviewer=reviewer, reason="Ny relasjon kom fram.")

    conflict = Conflict.objects.get()
    assert (conflict.waived_at, conflict.waived_by, conflict.waiver_reason) == (None, None, "")
    assert (seen_while_waived, applications_visible_to(reviewer).filter(pk=app.pk).exists()) == (True, False)
    entries = list(history(app))
    assert [(e.action, e.actor, e.comment) for e in entries][-2:] == [
        ("reviews.conflict.waive", secretariat, ""),
        ("reviews.conflict.revoke_waiver", secretariat, "Ny relasjon kom fram."),
    ]
    assert entries[-1].data["waived_by"] == secretariat.pk


def test_only_the_secretariat_withdraws_a_waiver_and_only_with_a_reason(secretariat, waived):
    app, reviewer = waived

    with pytest.raises(NotPermitted):
        services.revoke_waiver(app, by=UserFactory(is_decider=True), reviewer=reviewer, reason="Nei.")
    with pytest.raises(ActionRefused) as no_reason:
        services.revoke_waiver(app, by=secretariat, reviewer=reviewer, reason=" ")

    assert no_reason.value.errors == {"reason": ["Write why the waiver is withdrawn."]}
    assert Conflict.objects.get().waived_at is not None


def test_there_is_nothing_to_withdraw_without_a_waiver(secretariat, waived):
    app, reviewer = waived
    services.revoke_waiver(app, by=secretariat, reviewer=reviewer, reason="Første gang.")

    with pytest.raises(ActionRefused) as exc:
        services.revoke_waiver(app, by=secretariat, reviewer=reviewer, reason="Andre gang.")

    assert exc.value.errors == {"user": ["Kari Nordmann has no waived conflict of interest with this application."]}


def test_the_secretariat_withdraws_it_on_the_application_page(secretariat, waived):
    app, reviewer = waived
    client = web(secretariat)
    page = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()

    response = client.post(reverse("reviews:revoke_waiver", args=[app.pk, reviewer.pk]), {"reason": "Ny relasjon."})
    after = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()

    assert f'action="{reverse("reviews:revoke_waiver", args=[app.pk, reviewer.pk])}"' in page
    assert (response.status_code, response["Location"]) == (302, reverse("grants:application_detail", args=[app.pk]))
    assert "The waiver for Kari Nordmann is withdrawn." in after
    labels = [e["label"] for e in client.get(reverse("grants:application_detail", args=[app.pk])).context["entries"]]
    assert labels[-1] == "Waiver withdrawn: Kari Nordmann"
    assert Conflict.objects.get().waived_at is None


def test_the_api_withdraws_a_waiver_and_reports_the_conflict(secretariat, waived):
    app, reviewer = waived

    response = api(secretariat).post(
        f"/applications/{app.pk}/conflicts/{reviewer.pk}/revoke_waiver", {"reason": "Ny relasjon."}
    )

    assert response.status_code == 200
    assert (response.json()["user"], response.json()["waived_at"], response.json()["sources"]) == (
        reviewer.pk,
        None,
        ["declared"],
    )
