"""A second factor is required for the secretariat, deciders, reviewers and anyone who may open the Django admin
(issue 2; README "Accounts"): without one they are sent to set it up, on every page and in the admin alike."""

import pytest
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

from accounts.rules import needs_mfa
from tests.factories import RegistryFactory, SchemeFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery"  # tests.factories.UserFactory's

ROLES = {
    "secretariat": lambda: UserFactory(is_secretariat=True),
    "decider": lambda: UserFactory(is_decider=True),
    "reviewer": lambda: reviewer_for(SchemeFactory()),
    "superuser": lambda: UserFactory(is_superuser=True, is_staff=True),
    "staff": lambda: UserFactory(is_staff=True),
}


@pytest.fixture(autouse=True)
def mfa_required(settings):
    settings.REQUIRE_MFA_FOR_STAFF = True


def with_totp(user):
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret


def current_code(secret: str) -> str:
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("url", ["/", "/applications/", "/admin/", "/me/tokens/"])
def test_a_role_without_a_second_factor_is_sent_to_set_one_up(client, role, url):
    client.force_login(ROLES[role]())

    response = client.get(url)

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_index"))


@pytest.mark.parametrize("role", ROLES)
def test_a_role_without_a_second_factor_can_reach_the_setup_pages(client, role):
    client.force_login(ROLES[role]())

    response = client.get(reverse("mfa_index"))

    assert response.status_code == 200
    assert reverse("mfa_activate_totp") in response.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_a_role_with_totp_gets_through(client, role):
    user = ROLES[role]()
    with_totp(user)
    client.force_login(user)

    response = client.get(reverse("grants:application_list"))

    assert response.status_code == 200
    assert response.context["user"] == user


@pytest.mark.parametrize("role", ["superuser", "staff"])
def test_the_admin_opens_with_totp(client, role):
    user = ROLES[role]()
    with_totp(user)
    client.force_login(user)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert response.context["site_header"] == "Registry Grants"


def test_recovery_codes_alone_are_not_a_second_factor(client):
    user = UserFactory(is_secretariat=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.RECOVERY_CODES, data={"seed": "x"})
    client.force_login(user)

    assert client.get("/")["Location"] == reverse("mfa_index")


def test_an_applicant_needs_no_second_factor(client):
    client.force_login(member_of(RegistryFactory()))

    assert client.get(reverse("grants:application_list")).status_code == 200


@pytest.mark.parametrize(
    ("role", "expected"),
    [(role, True) for role in ROLES] + [("applicant", False), ("nobody", False)],
)
def test_who_needs_a_second_factor(role, expected):
    makers = {**ROLES, "applicant": lambda: member_of(RegistryFactory()), "nobody": UserFactory}

    assert needs_mfa(makers[role]()) is expected


def test_the_admin_login_is_allauths_login(client):
    response = client.get("/admin/login/?next=/admin/")

    assert (response.status_code, response["Location"]) == (302, f"{reverse('account_login')}?next=%2Fadmin%2F")


def test_a_superuser_logging_in_with_a_password_must_also_give_the_code_before_the_admin_opens(client):
    user = ROLES["superuser"]()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    secret = with_totp(user)

    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD, "next": "/admin/"})

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/")["Location"] == "/admin/login/?next=/admin/"

    response = client.post(reverse("mfa_authenticate"), {"code": "000000" if current_code(secret) != "000000" else "1"})
    assert response.status_code == 200
    assert response.context["form"].errors == {"code": ["Incorrect code."]}
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert (response.status_code, response["Location"]) == (302, "/admin/")
    assert client.session["_auth_user_id"] == str(user.pk)
    assert client.get("/admin/").status_code == 200
