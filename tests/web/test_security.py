"""Security settings and habits: MFA for powerful roles, CSP, deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from allauth.mfa.models import Authenticator
from django.urls import reverse

from tests.factories import RegistryFactory, SchemeFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def mfa_required(settings):
    settings.REQUIRE_MFA_FOR_STAFF = True


@pytest.mark.parametrize(
    "make_user",
    [
        lambda: UserFactory(is_secretariat=True),
        lambda: UserFactory(is_decider=True),
        lambda: reviewer_for(SchemeFactory()),
    ],
)
def test_powerful_roles_without_a_second_factor_are_sent_to_set_one_up(client, mfa_required, make_user):
    client.force_login(make_user())

    response = client.get(reverse("grants:application_list"))

    assert (response.status_code, response["Location"]) == (302, reverse("mfa_index"))


def test_powerful_role_with_totp_gets_through(client, mfa_required):
    user = UserFactory(is_secretariat=True)
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": "x"})
    client.force_login(user)

    assert client.get(reverse("grants:application_list")).status_code == 200


def test_applicant_needs_no_second_factor(client, mfa_required):
    client.force_login(member_of(RegistryFactory()))

    assert client.get(reverse("grants:application_list")).status_code == 200


def test_pages_carry_a_strict_content_security_policy(client):
    client.force_login(member_of(RegistryFactory()))

    policy = client.get(reverse("dashboard"))["Content-Security-Policy"]

    assert "script-src 'self'" in policy and "style-src 'self'" in policy and "unsafe-inline" not in policy


def test_templates_have_no_inline_script_or_style():
    offenders = []
    for path in (ROOT / "templates").rglob("*.html"):
        text = path.read_text()
        if "<style" in text or " style=" in text or ("<script" in text and "<script src=" not in text):
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == []


# Production as the README describes it: DEBUG and TESTING off, a real secret, a host name. Nothing else is inherited
# from the environment running the tests, so a variable set there (SECURE_SSL_REDIRECT=0...) cannot weaken the check.
PRODUCTION_ENV = {
    "DEBUG": "0",
    "TESTING": "0",
    "SECRET_KEY": "x" * 30 + "-production-like-secret-" + "y" * 30,
    "ALLOWED_HOSTS": "grants.example.no",
    "DATABASE_URL": f"sqlite:///{ROOT}/db.sqlite3",
}


def _check_deploy(**overrides: str) -> subprocess.CompletedProcess:
    env = {name: os.environ[name] for name in ("PATH", "HOME", "LANG") if name in os.environ}
    return subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={**env, **PRODUCTION_ENV, **overrides},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_settings_pass_check_deploy():
    result = _check_deploy()

    assert (result.returncode, result.stdout) == (0, "System check identified no issues (0 silenced).\n"), result.stderr


@pytest.mark.parametrize(
    ("weakened", "warning"),
    [
        ({"DEBUG": "1"}, "security.W018"),
        ({"SECURE_HSTS_SECONDS": "0"}, "security.W004"),
        ({"SECURE_SSL_REDIRECT": "0"}, "security.W008"),
    ],
)
def test_check_deploy_fails_on_any_warning(weakened, warning):
    """The check really runs with the production settings and --fail-level WARNING: one weakened setting fails it."""
    result = _check_deploy(**weakened)

    assert result.returncode == 1
    assert warning in result.stderr


def _without_secret() -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "TESTING", "DATABASE_URL")}
    env["DEBUG"] = "0"
    return env


def test_the_site_refuses_to_start_without_a_secret_key():
    code = "import os; os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'config.settings'); import config.wsgi"
    result = subprocess.run(  # noqa: S603 - our own fixed command line
        [sys.executable, "-c", code], cwd=ROOT, env=_without_secret(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 1
    assert "SECRET_KEY is required when DEBUG is off." in result.stderr


def test_maintenance_commands_run_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"],
        cwd=ROOT,
        env=_without_secret(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout.strip()) == (0, "No changes detected")


def test_the_current_section_is_marked_in_the_navigation(client):
    client.force_login(member_of(RegistryFactory()))

    page = client.get(reverse("grants:application_list")).content.decode()

    assert page.count('aria-current="page"') == 1
    assert '<a href="/applications/" aria-current="page">' in page
