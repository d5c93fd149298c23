"""allauth's login rate limits, per address and per account, kept in a cache every worker shares (the database
cache here, as in production without REDIS_URL), and one account's limit does not lock out another."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from allauth.core.internal.ratelimit import parse_rates
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.urls import reverse

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"  # tests.factories.UserFactory's
LOCKED = ["Too many failed login attempts. Try again later."]
CACHE_TABLE = "rate_limit_test_cache"


def limit(per: str) -> int:
    """The configured number of failed logins allowed per `ip` or per `key` (the email)."""
    (rate,) = [r for r in parse_rates(settings.ACCOUNT_RATE_LIMITS["login_failed"]) if r.per == per]
    return rate.amount


@pytest.fixture(autouse=True)
def shared_cache(settings):
    """A database cache: what one worker counts, every other worker (another process, another client) sees."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.db.DatabaseCache", "LOCATION": CACHE_TABLE}}
    call_command("createcachetable", CACHE_TABLE, verbosity=0)


def person(email: str):
    user = UserFactory(email=email)
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def attempt(email: str, password: str, ip: str):
    """A login from a new browser (client) at `ip`: workers and clients share nothing but the cache."""
    client = Client(REMOTE_ADDR=ip)
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    return response, client


def logged_in(response, client) -> bool:
    return response.status_code == 302 and "_auth_user_id" in client.session


def refused_as_locked(response, client) -> bool:
    return response.context["form"].errors.get("__all__") == LOCKED and "_auth_user_id" not in client.session


def cache_rows() -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {CACHE_TABLE}")  # noqa: S608 - our own constant
        return cursor.fetchone()[0]


def test_production_values_limit_failures_per_address_and_per_account():
    rates = {r.per: (r.amount, r.duration) for r in parse_rates(settings.ACCOUNT_RATE_LIMITS["login_failed"])}

    assert rates == {"key": (5, 300), "ip": (20, 60)}


def test_failures_from_one_address_lock_that_address_out_but_not_others():
    person("alice@example.no")
    for n in range(limit("ip")):
        response, _ = attempt(f"nobody{n}@example.no", "wrong", "10.0.0.1")
        assert response.context["form"].errors["__all__"] != LOCKED

    # Each attempt named a different account, so only the address's limit can apply.
    assert refused_as_locked(*attempt("alice@example.no", PASSWORD, "10.0.0.1"))
    assert logged_in(*attempt("alice@example.no", PASSWORD, "10.0.0.2"))


def test_failures_against_one_account_from_many_addresses_lock_that_account_out():
    person("alice@example.no")
    for n in range(limit("key")):
        response, _ = attempt("alice@example.no", "wrong", f"10.0.1.{n + 1}")
        assert response.context["form"].errors["__all__"] == [
            "The email address and/or password you specified are not correct."
        ]

    # Even the right password, from an address never seen before.
    assert refused_as_locked(*attempt("alice@example.no", PASSWORD, "10.0.2.1"))
    assert refused_as_locked(*attempt("ALICE@example.no", PASSWORD, "10.0.2.2"))


def test_one_accounts_limit_does_not_lock_out_another_account():
    person("alice@example.no")
    person("bob@example.no")
    for n in range(limit("key")):
        attempt("alice@example.no", "wrong", f"10.0.1.{n + 1}")
    assert refused_as_locked(*attempt("alice@example.no", PASSWORD, "10.0.2.1"))

    # Bob, from the very address whose attempt at Alice was just refused, and from one of the attackers'.
    assert logged_in(*attempt("bob@example.no", PASSWORD, "10.0.2.1"))
    assert logged_in(*attempt("bob@example.no", PASSWORD, "10.0.1.1"))


def test_a_successful_login_does_not_count_as_a_failure():
    person("alice@example.no")
    for n in range(limit("key") + 2):
        assert logged_in(*attempt("alice@example.no", PASSWORD, f"10.0.3.{n + 1}"))


def test_the_counters_are_kept_in_the_shared_cache():
    person("alice@example.no")
    assert cache_rows() == 0

    attempt("alice@example.no", "wrong", "10.0.4.1")

    # The 'login' limit per address, and 'login_failed' per address and per account: all in the database table.
    assert cache_rows() == 3


@pytest.mark.parametrize(
    ("env", "backend"),
    [
        ({}, "django.core.cache.backends.db.DatabaseCache"),
        ({"REDIS_URL": "redis://cache.internal:6379/0"}, "django.core.cache.backends.redis.RedisCache"),
    ],
)
def test_production_settings_choose_a_cache_shared_by_all_workers(env, backend):
    assert production_setting("CACHES", env)["default"]["BACKEND"] == backend


def production_setting(name: str, env: dict[str, str]):
    base = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "TESTING", "DEBUG")}
    code = f"import json; from config import settings; print(json.dumps(settings.{name}, default=str))"
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
