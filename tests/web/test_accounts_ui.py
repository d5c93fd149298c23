"""Tokens and user management in the web UI; login rate limits."""

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from accounts.models import ApiToken, User
from audit.models import AuditEntry
from tests.factories import RegistryFactory, SchemeFactory, UserFactory, login_recently_authenticated, member_of

pytestmark = pytest.mark.django_db


def test_token_is_shown_once_and_only_its_hash_is_stored(client):
    user = member_of(RegistryFactory())
    login_recently_authenticated(client, user)

    response = client.post(reverse("accounts:tokens"), {"name": "Opplastingsskript"})

    key = response.context["new_key"]
    token = ApiToken.objects.get(user=user)
    assert (token.name, token.key_hash, token.prefix) == ("Opplastingsskript", ApiToken.hash(key), key[:8])
    assert key not in client.get(reverse("accounts:tokens")).content.decode()


def test_token_without_a_name_is_refused(client):
    login_recently_authenticated(client, member_of(RegistryFactory()))

    response = client.post(reverse("accounts:tokens"), {"name": ""})

    assert response.context["form"].errors == {"name": ["This field is required."]}
    assert ApiToken.objects.count() == 0


def test_revoking_a_token_of_someone_else_is_not_found(client):
    owner = member_of(RegistryFactory())
    login_recently_authenticated(client, owner)
    client.post(reverse("accounts:tokens"), {"name": "x"})
    token = ApiToken.objects.get(user=owner)
    login_recently_authenticated(client, member_of(RegistryFactory()))

    assert client.post(reverse("accounts:token_revoke", args=[token.pk])).status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_revoke_own_token(client):
    owner = member_of(RegistryFactory())
    login_recently_authenticated(client, owner)
    client.post(reverse("accounts:tokens"), {"name": "x"})
    token = ApiToken.objects.get(user=owner)

    client.post(reverse("accounts:token_revoke", args=[token.pk]))

    token.refresh_from_db()
    assert token.revoked_at is not None


def test_secretariat_creates_a_user_with_roles_memberships_and_expert_group_seat(client):
    client.force_login(UserFactory(is_secretariat=True))
    registry = RegistryFactory(short_name="NKR")
    SchemeFactory(code="data_quality")

    response = client.post(
        reverse("accounts:user_create"),
        {
            "email": "Ny.Person@Example.no",
            "full_name": "Ny Person",
            "roles": ["decider"],
            "registries": [registry.pk],
            "committees": ["data_quality"],
        },
    )

    assert response.status_code == 302
    user = User.objects.get(email="ny.person@example.no")
    assert (user.full_name, user.is_decider, user.is_secretariat) == ("Ny Person", True, False)
    assert list(user.memberships.values_list("registry__short_name", flat=True)) == ["NKR"]
    assert list(user.committee_memberships.values_list("group__scheme__code", flat=True)) == ["data_quality"]
    assert EmailAddress.objects.filter(user=user, verified=True).count() == 1
    assert AuditEntry.objects.filter(content_type__model="user", object_id=user.pk).exists()


def test_secretariat_removes_a_membership(client):
    client.force_login(UserFactory(is_secretariat=True))
    registry = RegistryFactory()
    user = member_of(registry)

    client.post(reverse("accounts:user_edit", args=[user.pk]), {"email": user.email, "full_name": "", "registries": []})

    assert user.memberships.count() == 0


def test_user_form_with_a_bad_email_names_the_field_and_stores_nothing(client):
    client.force_login(UserFactory(is_secretariat=True))
    before = User.objects.count()

    response = client.post(reverse("accounts:user_create"), {"email": "not-an-email", "full_name": "X"})

    assert response.context["form"].errors == {"email": ["Enter a valid email address."]}
    assert User.objects.count() == before


@pytest.mark.parametrize("url_name", ["accounts:user_list", "accounts:user_create"])
def test_only_the_secretariat_manages_users(client, url_name):
    client.force_login(member_of(RegistryFactory()))

    assert client.get(reverse(url_name)).status_code == 403


def test_repeated_failed_logins_are_rate_limited(client):
    user = UserFactory(email="person@example.no")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    url = reverse("account_login")

    for _ in range(5):
        client.post(url, {"login": user.email, "password": "wrong"})
    # Even the right password is refused now: the key (the email) is locked out for a while.
    response = client.post(url, {"login": user.email, "password": "correct horse battery"})

    assert response.context["form"].errors["__all__"] == ["Too many failed login attempts. Try again later."]
    assert "_auth_user_id" not in client.session


def test_the_token_list_shows_when_each_token_expires_and_offers_no_revoke_for_an_expired_one(client, time_machine):
    from datetime import datetime, timedelta

    from django.utils import timezone

    time_machine.move_to(datetime(2026, 11, 26, 12, tzinfo=timezone.get_fixed_timezone(60)), tick=False)
    owner = member_of(RegistryFactory())
    login_recently_authenticated(client, owner)
    client.post(reverse("accounts:tokens"), {"name": "ny"})
    client.post(reverse("accounts:tokens"), {"name": "gammel"})
    ApiToken.objects.filter(name="gammel").update(expires_at=timezone.now() - timedelta(days=1))

    html = client.get(reverse("accounts:tokens")).content.decode()

    assert "<td>ny</td>" in html and "<td>2027-11-26</td><td>Active</td>" in html
    assert "<td>gammel</td>" in html and "<td>2026-11-25</td><td>Expired</td>" in html
    assert html.count('class="danger">Revoke</button>') == 1
