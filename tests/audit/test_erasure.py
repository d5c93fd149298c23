"""Erasing a person pseudonymises their account and keeps the audit trail as it was, now showing the pseudonym."""

import io
import re

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.sessions.models import Session
from django.core.management import CommandError, call_command
from django.db import models
from django.test import Client
from django.urls import reverse

from accounts.models import ApiToken, User
from accounts.services import create_calendar_token
from audit.models import AuditEntry
from audit.privacy import erase_person
from audit.services import record
from core import outbox
from registries.models import Membership
from reviews.models import ExpertGroupMember
from tests.factories import (
    ApplicationFactory,
    ExpertGroupFactory,
    SchemeFactory,
    UserFactory,
    api_token_for,
    member_of,
)

pytestmark = pytest.mark.django_db

EMAIL = "kari.nordmann@sykehus.example.no"


@pytest.fixture
def kari():
    app = ApplicationFactory(state="draft")
    user = member_of(app.registry, email=EMAIL, full_name="Kari Nordmann", first_name="Kari", last_name="Nordmann")
    EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    api_token_for(user)
    create_calendar_token(user, by=user)
    group = ExpertGroupFactory(scheme=SchemeFactory())
    ExpertGroupMember.objects.create(group=group, user=user)
    app.team.add(user)
    record(app, "grants.application.submit", actor=user, source="draft", target="submitted")
    record(app, "grants.application.view", actor=user)
    record(user, "accounts.user.update", actor=UserFactory(is_secretariat=True), data={"fields": ["full_name"]})
    outbox.enqueue("erase:1", kind="test", recipient=user, subject="Hei Kari", body=f"Til {EMAIL}")
    client = Client()
    client.force_login(user)
    return user


def _trail():
    return list(AuditEntry.objects.order_by("pk").values())


def _text_columns_containing(needle: str) -> list[str]:
    """Every text column of every model (our apps, Django's and allauth's) that holds `needle` anywhere."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.concrete_fields:
            if isinstance(f, (models.CharField, models.TextField, models.JSONField)):
                lookup = f"{f.attname}__icontains"
                if isinstance(f, models.JSONField):
                    rows = model._default_manager.values_list(f.attname, flat=True)
                    if any(needle.lower() in str(value).lower() for value in rows):
                        found.append(f"{model._meta.label}.{f.name}")
                elif model._default_manager.filter(**{lookup: needle}).exists():
                    found.append(f"{model._meta.label}.{f.name}")
    return found


def test_the_scan_finds_the_email_before_erasure(kari):
    assert {"accounts.User.email", "account.EmailAddress.email", "core.OutboxMessage.to"} <= set(
        _text_columns_containing(EMAIL)
    )


def test_erasure_pseudonymises_the_account_and_removes_what_is_only_about_the_person(kari):
    erase_person(kari)

    user = User.objects.get(pk=kari.pk)
    assert (user.email, user.full_name, user.first_name, user.last_name) == (
        f"erased-{kari.pk}@invalid",
        f"Erased person {kari.pk}",
        "",
        "",
    )
    assert (user.is_active, user.has_usable_password(), user.notification_mode, user.calendar_token_hash) == (
        False,
        False,
        "off",
        "",
    )
    assert [
        m.objects.filter(user=user).count()
        for m in (EmailAddress, Authenticator, ApiToken, Membership, ExpertGroupMember)
    ] == [0, 0, 0, 0, 0]
    assert user.named_in_applications.count() == 0
    assert [s for s in Session.objects.all() if s.get_decoded().get("_auth_user_id") == str(kari.pk)] == []


def test_the_email_is_nowhere_in_the_database_afterwards(kari):
    erase_person(kari)

    assert _text_columns_containing(EMAIL) == []
    assert _text_columns_containing("Kari Nordmann") == []


def test_every_earlier_audit_entry_is_unchanged_and_now_shows_the_pseudonym(kari, client):
    before = _trail()
    secretariat = UserFactory(is_secretariat=True)

    erase_person(kari, by=secretariat)

    after = _trail()
    assert after[: len(before)] == before
    assert [(e["action"], e["actor_id"], e["object_id"]) for e in after[len(before) :]] == [
        ("accounts.user.erase", secretariat.pk, kari.pk)
    ]
    client.force_login(secretariat)
    page = client.get(reverse("audit:search"), {"action": "grants.application.submit"}).content.decode()
    assert f"Erased person {kari.pk}" in page
    assert "Kari Nordmann" not in page


def test_an_erased_person_cannot_log_in_or_use_the_api(kari, client):
    token = api_token_for(kari)
    erase_person(kari)

    response = client.get("/api/v1/schemes", headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    assert not client.login(email=EMAIL, password="secret")


def test_a_dry_run_changes_nothing(kari):
    out = io.StringIO()
    before = _trail()

    call_command("erase_person", EMAIL, "--dry-run", stdout=out)

    assert User.objects.get(pk=kari.pk).email == EMAIL
    assert _trail() == before
    assert out.getvalue().splitlines() == [
        "email addresses: would remove 1",
        "MFA authenticators: would remove 1",
        "API tokens: would remove 1",
        "registry memberships: would remove 1",
        "expert group memberships: would remove 1",
        "emails in the outbox: would remove 1",
        "sessions: would remove 1",
        "project teams: would remove 1",
        f"user {kari.pk}: would become erased-{kari.pk}@invalid (Erased person {kari.pk})",
    ]


def test_the_command_erases_and_says_so(kari):
    out = io.StringIO()

    call_command("erase_person", EMAIL.upper(), stdout=out)

    assert out.getvalue().splitlines()[-1] == f"user {kari.pk}: now erased-{kari.pk}@invalid (Erased person {kari.pk})"
    assert _text_columns_containing(EMAIL) == []


def test_an_unknown_email_names_the_argument():
    with pytest.raises(CommandError, match=re.escape("email: no user with the email 'ingen@example.no'")):
        call_command("erase_person", "ingen@example.no")
