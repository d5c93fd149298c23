"""CSRF: every state-changing web row of the matrix, posted without a token by a logged-in browser (the secretariat,
which may do the most, and the applicant), is refused with 403 and changes nothing."""

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.access.test_matrix import SKIPPED_PREFIXES
from tests.access.world import build_world
from tests.factories import login_recently_authenticated

from .support import WEB_WRITES, attempt, fingerprint, web_send, web_url

# POSTs outside the matrix (allauth's pages, the language switch, the admin) that a forged form could target.
OTHER_WRITES = ["/accounts/logout/", "/i18n/setlang/", "/accounts/email/", "/accounts/password/change/"]


def _csrf_client(user) -> Client:
    client = Client(enforce_csrf_checks=True)
    login_recently_authenticated(client, user)
    return client


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["secretariat", "applicant"])
def test_every_state_changing_web_row_refuses_a_post_without_a_csrf_token(role):
    world = build_world()
    client = _csrf_client(world.users[role])

    wrong = []
    for row in WEB_WRITES:
        name, method, target, body, _statuses = row
        url = web_url(row, world.ids)
        response, changed = attempt(lambda: web_send(client, url, method, body, world.ids))  # noqa: B023
        if (response.status_code, changed) != (403, []):
            wrong.append(f"{name}-{method} on {target or 'no object'}: {response.status_code}, changed {changed}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_allauth_the_language_switch_and_the_admin_refuse_a_post_without_a_csrf_token():
    world = build_world()
    client = _csrf_client(world.users["admin"])
    before = fingerprint()

    statuses = {url: client.post(url, {"language": "nb", "email": "x@example.no"}).status_code for url in OTHER_WRITES}

    assert (statuses, fingerprint()) == (dict.fromkeys(OTHER_WRITES, 403), before)
    assert client.get("/").status_code == 200  # still logged in: the forged logout did nothing


@pytest.mark.django_db
def test_the_same_post_with_the_token_passes_the_check():
    """Control: the 403s above are the CSRF check, not a broken client."""
    world = build_world()
    client = _csrf_client(world.users["applicant"])
    url = reverse("accounts:notifications")
    client.get(url)

    response = client.post(url, {"notification_mode": "weekly", "csrfmiddlewaretoken": _token(client)})

    assert response.status_code == 302


def _token(client: Client) -> str:
    """The cookie's value is accepted as the form's token (what a page of ours puts in its forms)."""
    return client.cookies["csrftoken"].value


def _views(resolver: URLResolver, prefix: str = "") -> list[tuple[str, object]]:
    found = []
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            found += _views(pattern, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            found.append((prefix + str(pattern.pattern), pattern.callback))
    return found


def test_no_view_outside_the_api_is_exempt_from_the_csrf_check():
    """The API is exempt because it takes only bearer tokens (no cookie: see test_matrix_perspectives); anything
    else that opts out of the check would be open to forged posts."""
    exempt = [
        route
        for route, view in _views(get_resolver())
        if getattr(view, "csrf_exempt", False) and not route.startswith(SKIPPED_PREFIXES[-1])
    ]

    assert exempt == []
