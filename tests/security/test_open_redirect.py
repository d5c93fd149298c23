"""Open redirects: a `next` (in the query string and in the form) pointing off the site never sends the browser
there. Every web row of the matrix is tried (so a view that starts reading `next` is covered at once), as the role
that gets furthest on it, and so are the pages outside the matrix that read `next`: allauth's login and logout,
the language switch (which also falls back to the Referer) and the admin's login."""

from urllib.parse import urlsplit

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache

from tests.access.web_matrix import WEB_MATRIX
from tests.access.world import build_world, web_client
from tests.factories import UserFactory

from .support import column, web_send, web_url

PAYLOADS = (
    "https://evil.example/",
    "//evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    "///evil.example/",
    " https://evil.example/",
    "https:evil.example",
)
REDIRECT_HEADERS = ("Location", "HX-Redirect", "HX-Location", "Refresh")


def off_site(response) -> str | None:
    """The redirect target if it leaves the site (another host, a scheme that is not http(s), or browser-lenient
    forms of them: backslashes, leading whitespace)."""
    for header in REDIRECT_HEADERS:
        value = response.get(header)
        if not value:
            continue
        lenient = value.strip().replace("\\", "/")
        parts = urlsplit(lenient)
        if (
            "evil.example" in value
            or parts.netloc not in ("", "testserver")
            or parts.scheme not in ("", "http", "https")
        ):
            return f"{header}: {value}"
    return None


def _furthest_role(statuses: tuple) -> str:
    """The secretariat or the applicant, whichever the row lets through (a redirect after an action)."""
    for role in ("secretariat", "applicant"):
        if statuses[column(role)] not in (403, 404, 405):
            return role
    return "secretariat"


@pytest.mark.django_db
def test_no_web_row_redirects_off_site_whatever_next_says():
    from django.db import transaction

    world = build_world()

    wrong = []
    for row in WEB_MATRIX:
        name, method, _target, body, statuses = row
        client = web_client(world, _furthest_role(statuses))
        for payload in PAYLOADS:
            url = f"{web_url(row, world.ids)}?next={payload}"
            with transaction.atomic():
                response = web_send(client, url, method, {**(body or {}), "next": payload}, world.ids)
                transaction.set_rollback(True)
            if off_site(response):
                wrong.append(f"{name}-{method} with next={payload!r}: {off_site(response)}")

    assert not wrong, "\n".join(wrong)


@pytest.fixture
def member(db):
    cache.clear()  # allauth's rate limits count logins in the cache
    user = UserFactory(email="medlem@example.no")
    user.set_password("et-langt-passord-9")
    user.save()
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.mark.parametrize("payload", PAYLOADS)
def test_logging_in_never_redirects_off_site(client, member, payload):
    response = client.post(
        f"/accounts/login/?next={payload}",
        {"login": member.email, "password": "et-langt-passord-9", "next": payload},
    )

    assert (response.status_code, off_site(response), client.session.get("_auth_user_id")) == (
        302,
        None,
        str(member.pk),
    )


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_login_page_of_someone_logged_in_never_redirects_off_site(client, member, payload):
    client.force_login(member)

    response = client.get("/accounts/login/", {"next": payload})

    assert (response.status_code, off_site(response)) == (302, None)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_logging_out_never_redirects_off_site(client, member, payload):
    client.force_login(member)

    response = client.post(f"/accounts/logout/?next={payload}", {"next": payload})

    assert (response.status_code, off_site(response), client.session.get("_auth_user_id")) == (302, None, None)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_language_switch_never_redirects_off_site_by_next_or_referer(client, member, payload):
    client.force_login(member)

    by_next = client.post("/i18n/setlang/", {"language": "nb", "next": payload})
    by_referer = client.post("/i18n/setlang/", {"language": "en"}, headers={"Referer": payload})

    assert [(r.status_code, off_site(r)) for r in (by_next, by_referer)] == [(302, None), (302, None)]
    assert client.cookies["django_language"].value == "en"


@pytest.mark.parametrize("payload", PAYLOADS)
def test_the_admin_login_never_redirects_off_site(client, db, payload):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))

    response = client.get("/admin/login/", {"next": payload})

    assert (response.status_code, off_site(response)) == (302, None)


def test_the_check_recognises_every_payload_as_off_site():
    """Guard: `off_site` itself is not blind to the payloads it is used against."""

    class Redirect(dict):
        pass

    found = [off_site(Redirect(Location=payload)) for payload in PAYLOADS]

    assert None not in found
