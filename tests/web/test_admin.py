"""The Django admin changes states only through the services' transition actions."""

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(is_superuser=True, is_staff=True, is_secretariat=True))
    return client


def test_state_is_read_only_on_the_change_form(admin_client):
    app = ApplicationFactory(state="submitted")

    response = admin_client.get(reverse("admin:grants_application_change", args=[app.pk]))

    assert "state" not in response.context["adminform"].form.fields
    assert "state" in response.context["adminform"].readonly_fields


def test_posting_a_state_on_the_change_form_changes_nothing(admin_client):
    app = ApplicationFactory(state="submitted")
    url = reverse("admin:grants_application_change", args=[app.pk])

    admin_client.post(url, {"state": "granted", "title": app.title, "call": app.call_id, "registry": app.registry_id})

    app.refresh_from_db()
    assert app.state == "submitted"


def test_admin_action_goes_through_the_service_and_is_audited(admin_client):
    app = ApplicationFactory(state="submitted")

    admin_client.post(
        reverse("admin:grants_application_changelist"), {"action": "fire_send_to_review", "_selected_action": [app.pk]}
    )

    app.refresh_from_db()
    entry = AuditEntry.objects.get(action="grants.application.send_to_review")
    assert (app.state, entry.source, entry.target, entry.actor.is_superuser) == (
        "in_review",
        "submitted",
        "in_review",
        True,
    )


def test_admin_action_from_a_wrong_state_reports_and_changes_nothing(admin_client):
    app = ApplicationFactory(state="draft")

    response = admin_client.post(
        reverse("admin:grants_application_changelist"),
        {"action": "fire_send_to_review", "_selected_action": [app.pk]},
        follow=True,
    )

    app.refresh_from_db()
    assert app.state == "draft"
    assert [str(m) for m in response.context["messages"]] == [
        f"{app.title}: “Send to expert review” is not possible while the state is “Draft”."
    ]


def test_admin_login_goes_through_allauth(client):
    response = client.get(reverse("admin:login"))

    assert (response.status_code, response["Location"]) == (302, "/accounts/login/?next=%2Fadmin%2Flogin%2F")
