"""Changing the email address, the second factor or the API tokens asks for the password again unless it was
given in the last ACCOUNT_REAUTHENTICATION_TIMEOUT seconds; the change then goes through as it was asked for."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
    yield_hotp_counters_from_time,
)
from django.urls import reverse

from accounts.models import ApiToken
from tests.factories import RegistryFactory, api_token_for, login_recently_authenticated, member_of

pytestmark = pytest.mark.django_db
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
START = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def reauthenticate_url(next_path: str) -> str:
    return f"{reverse('account_reauthenticate')}?next={next_path.replace('/', '%2F')}"


@pytest.fixture
def clock():
    with time_machine.travel(START, tick=False) as traveller:
        yield traveller


@pytest.fixture
def user():
    user = member_of(RegistryFactory())
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def stale(client, clock, user, settings):
    """Logged in, the password last given just over the reauthentication timeout ago."""
    login_recently_authenticated(client, user)
    clock.shift(timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT + 1))
    return client


def reauthenticate(client, next_path: str, password: str = PASSWORD):
    return client.post(reauthenticate_url(next_path), {"password": password})


# ---------------------------------------------------------------- API tokens


def test_creating_a_token_asks_for_the_password_again_then_creates_it(stale, user):
    response = stale.post(reverse("accounts:tokens"), {"name": "Opplastingsskript"})

    assert (response.status_code, response["Location"]) == (302, reauthenticate_url("/me/tokens/"))
    assert ApiToken.objects.count() == 0

    refused = reauthenticate(stale, "/me/tokens/", password="not the password")
    assert refused.context["form"].errors == {"password": ["Incorrect password."]}
    assert ApiToken.objects.count() == 0

    response = reauthenticate(stale, "/me/tokens/")

    token = ApiToken.objects.get()
    assert (token.user, token.name, token.key_hash) == (
        user,
        "Opplastingsskript",
        ApiToken.hash(response.context["new_key"]),
    )


def test_a_login_alone_is_not_a_recent_reauthentication(client, user):
    client.force_login(user)

    response = client.post(reverse("accounts:tokens"), {"name": "x"})

    assert response["Location"] == reauthenticate_url("/me/tokens/")
    assert ApiToken.objects.count() == 0


def test_a_recent_password_lets_token_changes_through_until_the_timeout(client, clock, user, settings):
    login_recently_authenticated(client, user)
    clock.shift(timedelta(seconds=settings.ACCOUNT_REAUTHENTICATION_TIMEOUT - 1))

    assert client.post(reverse("accounts:tokens"), {"name": "first"}).status_code == 200
    clock.shift(timedelta(seconds=1))
    response = client.post(reverse("accounts:tokens"), {"name": "second"})

    assert response["Location"] == reauthenticate_url("/me/tokens/")
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["first"]


def test_the_token_list_opens_without_the_password(stale, user):
    api_token_for(user, name="Eksisterende")

    response = stale.get(reverse("accounts:tokens"))

    assert response.status_code == 200
    assert [t.name for t in response.context["tokens"]] == ["Eksisterende"]


def test_revoking_a_token_asks_for_the_password_again_then_revokes_it(stale, user):
    api_token_for(user, name="Gammel")
    token = ApiToken.objects.get()
    path = reverse("accounts:token_revoke", args=[token.pk])

    response = stale.post(path)

    assert response["Location"] == reauthenticate_url(path)
    token.refresh_from_db()
    assert token.revoked_at is None

    response = reauthenticate(stale, path)

    assert (response.status_code, response["Location"]) == (302, reverse("accounts:tokens"))
    token.refresh_from_db()
    assert token.revoked_at == START + timedelta(seconds=301)


# ---------------------------------------------------------------- email


def test_adding_an_email_address_asks_for_the_password_again(stale, user):
    response = stale.post(reverse("account_email"), {"action_add": "", "email": "ny@example.no"})

    assert (response.status_code, response["Location"]) == (302, reauthenticate_url("/accounts/email/"))
    assert list(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == [user.email]

    reauthenticate(stale, "/accounts/email/")

    assert sorted(EmailAddress.objects.filter(user=user).values_list("email", flat=True)) == sorted(
        [user.email, "ny@example.no"]
    )


def test_removing_an_email_address_asks_for_the_password_again(stale, user):
    EmailAddress.objects.create(user=user, email="gammel@example.no", verified=True, primary=False)

    response = stale.post(reverse("account_email"), {"action_remove": "", "email": "gammel@example.no"})

    assert response["Location"] == reauthenticate_url("/accounts/email/")
    assert EmailAddress.objects.filter(email="gammel@example.no").exists()


# ---------------------------------------------------------------- second factor


def test_adding_an_authenticator_app_asks_for_the_password_again(stale, user):
    path = reverse("mfa_activate_totp")

    response = stale.get(path)

    assert (response.status_code, response["Location"]) == (302, reauthenticate_url(path))
    assert reauthenticate(stale, path)["Location"] == path

    form = stale.get(path).context["form"]
    code = format_hotp_value(hotp_value(form.secret, next(yield_hotp_counters_from_time())))
    stale.post(path, {"code": code})

    assert list(Authenticator.objects.filter(user=user).values_list("type", flat=True)) == [
        Authenticator.Type.TOTP,
        Authenticator.Type.RECOVERY_CODES,
    ]


def test_removing_the_authenticator_app_asks_for_the_password_again(stale, user):
    TOTP.activate(user, generate_totp_secret())
    path = reverse("mfa_deactivate_totp")

    response = stale.post(path)

    assert response["Location"] == reauthenticate_url(path)
    assert Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()

    reauthenticate(stale, path)

    assert not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()
