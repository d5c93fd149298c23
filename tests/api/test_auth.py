"""Authentication by bearer token, and errors as problem+json for whatever goes wrong."""

from datetime import timedelta

import pytest
from django.utils import timezone

from accounts.models import ApiToken
from tests.factories import MilestoneFactory, UserFactory, api_token_for

from .helpers import CONTRACT_ROUTES, problem

pytestmark = pytest.mark.django_db


@pytest.fixture
def ids():
    milestone = MilestoneFactory()
    project = milestone.project
    application = project.application
    return {
        "registry": application.registry_id,
        "indicator": "nakke1",
        "call": application.call_id,
        "application": application.pk,
        "project": project.pk,
        "milestone": milestone.pk,
    }


@pytest.mark.parametrize(("method", "path"), CONTRACT_ROUTES)
@pytest.mark.parametrize("authorization", [None, "Bearer", "Bearer rg_not-a-token", "Token abc", "Basic dXNlcjpwdw=="])
def test_every_route_without_a_valid_token_is_401(api, ids, method, path, authorization):
    response = api(authorization=authorization).request(method, path.format(**ids), {})

    assert response.status_code == 401
    assert problem(response) == {
        "type": "about:blank",
        "title": "Unauthorized",
        "status": 401,
        "detail": "Send a valid, unrevoked API token as “Authorization: Bearer <token>”.",
    }
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_revoked_token_is_401(api):
    user = UserFactory()
    key = api_token_for(user)
    ApiToken.objects.update(revoked_at=timezone.now())

    response = api(authorization=f"Bearer {key}").get("/registries")

    assert response.status_code == 401


def test_a_token_works_until_it_expires_and_not_after(api, time_machine):
    from datetime import timedelta

    time_machine.move_to(timezone.now(), tick=False)
    key = api_token_for(UserFactory())
    ApiToken.objects.update(expires_at=timezone.now() + timedelta(seconds=60))

    before = api(authorization=f"Bearer {key}").get("/registries").status_code
    time_machine.shift(60)
    after = api(authorization=f"Bearer {key}").get("/registries")

    assert (before, after.status_code, after.json()["status"]) == (200, 401, 401)


def test_a_new_token_expires_after_the_configured_lifetime(settings, time_machine):
    from datetime import timedelta

    from accounts.services import create_api_token

    time_machine.move_to(timezone.now(), tick=False)
    settings.API_TOKEN_LIFETIME_DAYS = 90
    user = UserFactory()

    create_api_token(user, by=user, name="skript")

    token = ApiToken.objects.get(user=user)
    assert (token.expires_at, token.is_expired, token.is_active) == (timezone.now() + timedelta(days=90), False, True)


def test_the_token_of_a_deactivated_user_is_401(api):
    user = UserFactory(is_active=False)

    response = api(user).get("/registries")

    assert response.status_code == 401


def test_a_valid_token_records_its_use_at_most_once_a_minute(api, time_machine):
    time_machine.move_to("2026-03-02 10:00:00+01:00", tick=False)
    user = UserFactory()
    key = api_token_for(user)
    client = api(authorization=f"Bearer {key}")

    client.get("/registries")
    first = ApiToken.objects.get().last_used_at
    time_machine.shift(timedelta(seconds=59))
    client.get("/registries")
    unchanged = ApiToken.objects.get().last_used_at
    time_machine.shift(timedelta(seconds=1))
    client.get("/registries")

    assert first == unchanged == timezone.now() - timedelta(seconds=60)
    assert ApiToken.objects.get().last_used_at == timezone.now()


def test_a_wrong_method_is_a_405_problem(api):
    response = api(UserFactory()).request("delete", "/registries")

    assert response.status_code == 405
    assert problem(response)["detail"] == "DELETE is not allowed here; use GET."
    assert response["Allow"] == "GET"


def test_an_unknown_path_is_a_404_problem(api):
    response = api(UserFactory()).get("/no/such/thing")

    assert response.status_code == 404
    assert problem(response)["detail"] == "There is no API resource at /api/v1/no/such/thing."


def test_malformed_json_is_a_400_problem(api):
    client = api(UserFactory(is_secretariat=True)).client

    response = client.post("/api/v1/calls", data="{not json", content_type="application/json", headers=client.defaults)

    assert response.status_code == 400
    assert problem(response)["detail"] == "Cannot parse request body"


def test_a_body_that_is_not_json_is_a_415_problem(api):
    client = api(UserFactory(is_secretariat=True)).client

    response = client.post("/api/v1/calls", data="title=x", content_type="application/x-www-form-urlencoded")

    assert response.status_code == 415
    assert problem(response)["detail"] == "Send the body as application/json, not application/x-www-form-urlencoded."


def test_a_body_above_the_upload_limit_is_a_413_problem(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    client = api(UserFactory(is_secretariat=True)).client

    response = client.post("/api/v1/calls", data='{"title": "' + "x" * 200 + '"}', content_type="application/json")

    assert response.status_code == 413
    assert problem(response)["detail"] == "The request body is larger than 100 bytes."


def test_an_id_beyond_any_database_key_is_404(api):
    response = api(UserFactory()).get("/registries/99999999999999999999999")

    assert response.status_code == 404
