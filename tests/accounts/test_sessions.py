"""Sessions: a new key at login, an idle timeout, an absolute lifetime, and revocation when the user is deactivated
or loses a role (accounts.middleware.SessionLifetimeMiddleware, User._get_session_auth_hash)."""

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from unittest import mock

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from registries.models import Membership
from reviews.models import ExpertGroupMember
from tests.factories import ApplicationFactory, RegistryFactory, SchemeFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
IDLE_MESSAGE = "You were logged out after a period without activity. Please log in again."
ENDED_MESSAGE = "Your session has ended: please log in again."


def login_url(next_path: str) -> str:
    return f"{reverse('account_login')}?next={next_path}"


def messages_on(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# ---------------------------------------------------------------- a new session key at login


def test_the_session_key_changes_at_login_and_the_anonymous_session_is_gone(client):
    user = UserFactory(email="alice@example.no")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    anonymous = client.session
    anonymous["probe"] = "before login"
    anonymous.save()
    before = client.cookies["sessionid"].value

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})

    after = client.cookies["sessionid"].value
    assert (response.status_code, response["Location"]) == (302, reverse("dashboard"))
    assert after != before
    assert not Session.objects.filter(session_key=before).exists()
    assert client.session["_auth_user_id"] == str(user.pk)


# ---------------------------------------------------------------- idle timeout and absolute lifetime


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def logged_in(client, clock):
    client.force_login(member_of(RegistryFactory()))
    return client


def test_the_lifetimes_are_settings_from_the_environment(settings):
    assert (settings.SESSION_IDLE_SECONDS, settings.SESSION_MAX_AGE_SECONDS) == (30 * 60, 12 * 60 * 60)
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_AGE_SECONDS

    values = production_settings(
        ["SESSION_IDLE_SECONDS", "SESSION_MAX_AGE_SECONDS", "SESSION_COOKIE_AGE"],
        {"SESSION_IDLE_SECONDS": "600", "SESSION_MAX_AGE_SECONDS": "28800"},
    )

    assert values == [600, 28800, 28800]


def test_activity_keeps_a_session_alive_until_the_idle_period_passes_without_a_request(logged_in, clock, settings):
    idle = settings.SESSION_IDLE_SECONDS
    for _ in range(4):  # two idle periods in all, each request within one of the last
        clock.shift(timedelta(seconds=idle // 2))
        assert logged_in.get(reverse("dashboard")).status_code == 200

    clock.shift(timedelta(seconds=idle - 1))
    assert logged_in.get(reverse("dashboard")).status_code == 200

    clock.shift(timedelta(seconds=idle))
    response = logged_in.get(reverse("grants:application_list"))

    assert (response.status_code, response["Location"]) == (302, login_url("/applications/"))
    page = logged_in.get(response["Location"])
    assert messages_on(page) == [IDLE_MESSAGE]
    assert "_auth_user_id" not in logged_in.session
    assert logged_in.get(reverse("dashboard"))["Location"].startswith(reverse("account_login"))


def test_a_session_ends_at_its_absolute_lifetime_however_active(logged_in, clock, settings):
    step = timedelta(seconds=settings.SESSION_IDLE_SECONDS // 2)
    elapsed = timedelta(0)
    while elapsed + step < timedelta(seconds=settings.SESSION_MAX_AGE_SECONDS):
        clock.shift(step)
        elapsed += step
        assert logged_in.get(reverse("dashboard")).status_code == 200, elapsed

    clock.shift(timedelta(seconds=settings.SESSION_MAX_AGE_SECONDS) - elapsed)
    response = logged_in.get(reverse("dashboard"))

    assert (response.status_code, response["Location"]) == (302, login_url("/"))
    assert messages_on(logged_in.get(response["Location"])) == [ENDED_MESSAGE]
    assert "_auth_user_id" not in logged_in.session


def test_shorter_lifetimes_from_the_settings_apply(logged_in, clock, settings):
    settings.SESSION_IDLE_SECONDS = 60 * 5
    settings.SESSION_MAX_AGE_SECONDS = 60 * 12

    for _ in range(2):
        clock.shift(timedelta(minutes=4))
        assert logged_in.get(reverse("dashboard")).status_code == 200
    clock.shift(timedelta(minutes=4))

    assert logged_in.get(reverse("dashboard"))["Location"] == login_url("/")


def test_an_ordinary_request_does_not_write_the_session(logged_in, clock):
    logged_in.get(reverse("dashboard"))
    clock.shift(timedelta(seconds=30))

    with CaptureQueriesContext(connection) as queries:
        assert logged_in.get(reverse("dashboard")).status_code == 200

    assert [q["sql"] for q in queries if "django_session" in q["sql"] and not q["sql"].startswith("SELECT")] == []


def test_a_session_from_before_the_stamps_is_stamped_and_goes_on(logged_in, clock, settings):
    session = logged_in.session
    del session["rg_login_at"], session["rg_last_activity"]
    session.save()
    clock.shift(timedelta(hours=20))  # older than any limit, but the session row itself is still valid
    Session.objects.filter(session_key=session.session_key).update(expire_date=START + timedelta(days=2))

    assert logged_in.get(reverse("dashboard")).status_code == 200
    assert logged_in.session["rg_login_at"] == (START + timedelta(hours=20)).timestamp()
    clock.shift(timedelta(seconds=settings.SESSION_IDLE_SECONDS))
    assert logged_in.get(reverse("dashboard"))["Location"] == login_url("/")


# ---------------------------------------------------------------- revoked when deactivated or a role is lost


def test_a_deactivated_user_is_logged_out_on_the_next_request(client):
    registry = RegistryFactory()
    application = ApplicationFactory(registry=registry)
    user = member_of(registry)
    client.force_login(user)
    url = reverse("grants:application_detail", args=[application.pk])
    assert application.title in client.get(url).content.decode()

    User.objects.filter(pk=user.pk).update(is_active=False)  # another process: the admin, another worker
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, login_url(url))
    assert "_auth_user_id" not in client.session


def test_reactivating_the_user_does_not_revive_a_session_seen_while_deactivated(client):
    user = member_of(RegistryFactory())
    client.force_login(user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    client.get(reverse("dashboard"))

    User.objects.filter(pk=user.pk).update(is_active=True)

    assert client.get(reverse("dashboard"))["Location"] == login_url("/")


def test_losing_the_secretariat_flag_ends_the_session(client):
    user = UserFactory(is_secretariat=True)
    client.force_login(user)
    assert client.get(reverse("accounts:user_list")).status_code == 200

    User.objects.filter(pk=user.pk).update(is_secretariat=False)
    response = client.get(reverse("accounts:user_list"))

    assert (response.status_code, response["Location"]) == (302, login_url("/me/users/"))
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("flag", ["is_superuser", "is_staff", "is_decider"])
def test_losing_any_role_flag_ends_the_session(client, flag):
    user = UserFactory(**{flag: True})
    client.force_login(user)
    assert client.get(reverse("dashboard")).status_code == 200

    User.objects.filter(pk=user.pk).update(**{flag: False})

    assert client.get(reverse("dashboard"))["Location"] == login_url("/")


def test_losing_a_registry_membership_ends_the_session_and_shows_nothing_of_that_registry(client):
    registry = RegistryFactory()
    application = ApplicationFactory(registry=registry)
    user = member_of(registry)
    Membership.objects.create(user=user, registry=RegistryFactory())  # a second registry, kept
    client.force_login(user)
    url = reverse("grants:application_detail", args=[application.pk])
    assert application.title in client.get(url).content.decode()

    Membership.objects.filter(user=user, registry=registry).delete()
    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, login_url(url))
    assert application.title not in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_losing_an_expert_group_seat_ends_the_session(client):
    user = reviewer_for(SchemeFactory())
    client.force_login(user)
    assert client.get(reverse("dashboard")).status_code == 200

    ExpertGroupMember.objects.filter(user=user).delete()

    assert client.get(reverse("dashboard"))["Location"] == login_url("/")


def test_a_password_changed_elsewhere_ends_the_session(client):
    user = member_of(RegistryFactory())
    client.force_login(user)
    user.set_password("another long passphrase")
    user.save()

    assert client.get(reverse("dashboard"))["Location"] == login_url("/")


def test_the_secretariat_removing_a_users_membership_ends_that_users_session(client):
    registry = RegistryFactory()
    member = member_of(registry)
    member_client = Client()
    member_client.force_login(member)
    client.force_login(UserFactory(is_secretariat=True))

    client.post(reverse("accounts:user_edit", args=[member.pk]), {"email": member.email, "registries": []})

    assert member_client.get(reverse("dashboard"))["Location"] == login_url("/")
    assert client.get(reverse("dashboard")).status_code == 200


def test_the_secretariat_changing_their_own_roles_stays_logged_in(client):
    registry = RegistryFactory()
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)

    response = client.post(
        reverse("accounts:user_edit", args=[secretariat.pk]),
        {"email": secretariat.email, "roles": ["secretariat", "decider"], "registries": [registry.pk]},
    )

    assert (response.status_code, response["Location"]) == (302, reverse("accounts:user_list"))
    assert client.get(reverse("accounts:user_list")).status_code == 200
    assert client.session["_auth_user_id"] == str(secretariat.pk)


# ---------------------------------------------------------------- what the revocation costs per request


def page_queries(client, user, url: str) -> int:
    client.force_login(user)
    client.get(url)  # warm the per-process caches (content types, session)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code in (200, 405)
    return len(queries)


def with_djangos_own_session_hash():
    return mock.patch.object(User, "_get_session_auth_hash", AbstractBaseUser._get_session_auth_hash)


def test_a_page_pays_no_more_than_one_query_for_the_role_check(client):
    """An HTML page's navigation reads the user's roles anyway: the check's one query serves it, saving one."""
    user = member_of(RegistryFactory())
    ours = page_queries(client, user, reverse("dashboard"))
    with with_djangos_own_session_hash():
        djangos = page_queries(client, user, reverse("dashboard"))

    assert ours == djangos - 1


def test_a_response_without_a_page_pays_exactly_one_query_for_the_role_check(client):
    user = member_of(RegistryFactory())
    url = reverse("accounts:token_revoke", args=[1])  # POST only: 405 without a template
    ours = page_queries(client, user, url)
    with with_djangos_own_session_hash():
        djangos = page_queries(client, user, url)

    assert ours == djangos + 1


def production_settings(names: list[str], env: dict[str, str]) -> list:
    base = {k: v for k, v in os.environ.items() if k not in ("TESTING", "DEBUG", *env)}
    code = f"import json; from config import settings; print(json.dumps([getattr(settings, n) for n in {names!r}]))"
    result = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**base, "DEBUG": "0", "SECRET_KEY": "x" * 50, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)
