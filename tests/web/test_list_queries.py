"""Every list page issues the same number of queries for 1 and for 30 rows."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.models import Application
from projects.services import create_project_for
from tests.factories import ApplicationFactory, CallFactory, RegistryFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def _count(client, url):
    client.get(url)  # warm the per-process caches (content types, sessions) so only the page's own queries count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def _applications(n, registry, state="submitted"):
    call = CallFactory()
    return [ApplicationFactory(call=call, registry=registry, state=state) for _ in range(n)]


def _granted(n, registry, by):
    apps = _applications(n, registry, state="granted")
    for app in apps:
        Application.objects.filter(pk=app.pk).update(granted_amount_nok=app.requested_amount_nok)
        app.refresh_from_db()
        create_project_for(app, by=by)
    return apps


@pytest.mark.parametrize("url_name", ["grants:application_list", "grants:call_list", "dashboard"])
def test_secretariat_lists_do_not_grow_with_rows(client, url_name):
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)
    registry = RegistryFactory()
    _applications(1, registry)
    one = _count(client, reverse(url_name))
    _applications(29, registry)
    thirty = _count(client, reverse(url_name))
    assert one == thirty


@pytest.mark.parametrize("url_name", ["grants:application_list", "projects:project_list", "dashboard"])
def test_applicant_lists_do_not_grow_with_rows(client, url_name):
    registry = RegistryFactory()
    applicant = member_of(registry)
    client.force_login(applicant)
    _granted(1, registry, by=applicant)
    one = _count(client, reverse(url_name))
    _granted(29, registry, by=applicant)
    thirty = _count(client, reverse(url_name))
    assert one == thirty


def test_project_list_for_secretariat_does_not_grow(client):
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)
    registry = RegistryFactory()
    _granted(1, registry, by=secretariat)
    one = _count(client, reverse("projects:project_list"))
    _granted(29, registry, by=secretariat)
    assert _count(client, reverse("projects:project_list")) == one


def test_user_list_does_not_grow(client):
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)
    registry = RegistryFactory()
    member_of(registry)
    one = _count(client, reverse("accounts:user_list"))
    for _ in range(29):
        member_of(RegistryFactory())
    assert _count(client, reverse("accounts:user_list")) == one


def test_scheme_list_does_not_grow(client):
    from tests.factories import SchemeFactory

    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)
    SchemeFactory(code="s0")
    one = _count(client, reverse("grants:scheme_list"))
    for i in range(1, 30):
        SchemeFactory(code=f"s{i}")
    assert _count(client, reverse("grants:scheme_list")) == one


def test_call_detail_application_rows_do_not_grow(client):
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)
    registry = RegistryFactory()
    call = CallFactory()
    ApplicationFactory(call=call, registry=registry, state="submitted")
    one = _count(client, reverse("grants:call_detail", args=[call.pk]))
    for _ in range(29):
        ApplicationFactory(call=call, registry=registry, state="submitted")
    assert _count(client, reverse("grants:call_detail", args=[call.pk])) == one
