"""More perspectives on the same matrix rows, without new columns: a deactivated member with a live session and a
live token, a revoked API token, a conflicted reviewer whose waiver was revoked, and the rule that another
registry's object is 404 (never 403) to the stranger.

Each test builds one world and walks every row; every request runs in a savepoint that is rolled back (as in
test_matrix), and a test reports all its wrong rows at once.
"""

import json
import re
from typing import Any

import pytest
from django.utils import timezone

from accounts.models import ApiToken, User
from accounts.services import revoke_api_token
from core.api import PROBLEM_JSON
from reviews.services import revoke_waiver, waive_conflict

from .api_matrix import API_MATRIX, API_PREFIX
from .test_matrix import _fill, _rolled_back, _url, _web_mismatch, _web_response
from .web_matrix import WEB_MATRIX
from .world import ROLES, World, _client, api_client, build_world, web_client

# The world's ids that name an object belonging to registry A (its applications and everything hanging off them,
# its import, a member's token): whoever is not in registry A and not assigned to it must get 404 for them.
REGISTRY_A_OBJECTS = frozenset(
    {
        "draft",
        "submitted",
        "in_review",
        "recommended",
        "granted",
        "project",
        "milestone_planned",
        "milestone_reported",
        "payment_due",
        "change_request",
        "progress_report_due",
        "progress_report_submitted",
        "indicator_import",
        "applicant_token",
    }
)

# Rows keyed by a secret rather than by who asks: a deactivated member's calendar feed is gone (404), even though
# the anonymous column (someone else holding a live secret) is 200.
DEACTIVATED_OVERRIDES = {("calendar:feed", "applicant_calendar_token"): 404}


def web_targets(row: tuple) -> set[str]:
    return set(row[2].split("/")) if row[2] else set()


def api_targets(row: tuple) -> set[str]:
    return set(re.findall(r"{(\w+)}", row[2]))


def column(role: str) -> int:
    return ROLES.index(role)


def _api(client: Any, world: World, method: str, path: str, body: Any) -> Any:
    url = API_PREFIX + path.format(**world.ids)
    if method == "GET":
        return _rolled_back(lambda: client.get(url))
    data = json.dumps(_fill(body, world.ids)) if body is not None else ""
    return _rolled_back(lambda: client.generic(method, url, data, content_type="application/json"))


def _api_mismatch(response: Any, expected: int) -> str | None:
    if response.status_code != expected:
        return f"expected {expected}, got {response.status_code}"
    if expected == 401 and response["Content-Type"] != PROBLEM_JSON:
        return f"401 as {response['Content-Type']}, not {PROBLEM_JSON}"
    if expected == 401 and json.loads(response.content)["status"] != 401:
        return f"401 with the body {response.content[:200]!r}"
    return None


def _walk_api(world: World, client: Any, expected_for: Any) -> list[str]:
    wrong = []
    for method, _route, path, body, statuses in API_MATRIX:
        problem = _api_mismatch(_api(client, world, method, path, body), expected_for(statuses))
        if problem:
            wrong.append(f"{method} {path}: {problem}")
    return wrong


# ---------------------------------------------------------------- a deactivated member


def _deactivate(user: User) -> None:
    """The flag alone, as the admin or a database fix would set it: the session and token must die with it."""
    User.objects.filter(pk=user.pk).update(is_active=False)


@pytest.mark.django_db
def test_a_deactivated_member_with_a_live_session_gets_the_login_redirect_on_every_web_row():
    world = build_world()
    web_client(world, "applicant")  # logged in while active: the session is live
    _deactivate(world.users["applicant"])

    wrong = []
    for name, method, target, body, statuses in WEB_MATRIX:
        expected = DEACTIVATED_OVERRIDES.get((name, target), statuses[column("anonymous")])
        response, landed = _web_response(world, "applicant", _url(name, target, world.ids), method, body)
        problem = _web_mismatch("anonymous", expected, response, landed)
        if problem:
            wrong.append(f"{name}-{method} on {target or 'no object'}: {problem}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_a_deactivated_members_token_is_401_on_every_api_row():
    world = build_world()
    client = api_client(world, "applicant")  # a token made while active
    _deactivate(world.users["applicant"])

    wrong = _walk_api(world, client, lambda statuses: statuses[column("anonymous")])

    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------- a revoked or expired token


@pytest.mark.django_db
@pytest.mark.parametrize("how", ["revoked", "expired"])
@pytest.mark.parametrize("role", ["applicant", "secretariat"])
def test_a_revoked_or_expired_token_is_401_problem_json_on_every_api_row(role, how):
    world = build_world()
    client = api_client(world, role)
    for token in ApiToken.objects.filter(user=world.users[role]):
        if how == "revoked":
            revoke_api_token(token, by=world.users[role])
        else:
            ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())

    wrong = _walk_api(world, client, lambda statuses: statuses[column("anonymous")])

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_an_unknown_or_malformed_bearer_token_is_401_problem_json_on_every_api_row():
    world = build_world()
    client = _client(headers={"Authorization": "Bearer rg_not-a-token"})

    wrong = _walk_api(world, client, lambda statuses: statuses[column("anonymous")])

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_a_web_session_is_no_credential_for_the_api():
    """The API takes only bearer tokens, so a page on another site cannot ride a logged-in browser's cookie."""
    world = build_world()
    client = web_client(world, "secretariat")

    wrong = _walk_api(world, client, lambda statuses: statuses[column("anonymous")])

    assert not wrong, "\n".join(wrong)


# ---------------------------------------------------------------- a conflicted reviewer whose waiver is revoked


def _waived_then_revoked(world: World) -> None:
    """The secretariat waives the conflict, then withdraws the waiver."""
    application = world.users["conflicted"].conflicts.get().application
    secretariat, reviewer = world.users["secretariat"], world.users["conflicted"]
    waive_conflict(application, by=secretariat, reviewer=reviewer, reason="Gammelt.")
    revoke_waiver(application, by=secretariat, reviewer=reviewer, reason="Ny relasjon kom fram.")


@pytest.mark.django_db
def test_a_revoked_waiver_gives_exactly_the_conflicted_column_on_every_web_row():
    world = build_world()
    _waived_then_revoked(world)

    wrong = []
    for name, method, target, body, statuses in WEB_MATRIX:
        expected = statuses[column("conflicted")]
        response, landed = _web_response(world, "conflicted", _url(name, target, world.ids), method, body)
        problem = _web_mismatch("conflicted", expected, response, landed)
        if problem:
            wrong.append(f"{name}-{method} on {target or 'no object'}: {problem}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_a_revoked_waiver_gives_exactly_the_conflicted_column_on_every_api_row():
    world = build_world()
    _waived_then_revoked(world)

    wrong = []
    for method, _route, path, body, statuses in API_MATRIX:
        status = _api(api_client(world, "conflicted"), world, method, path, body).status_code
        if status != statuses[column("conflicted")]:
            wrong.append(f"{method} {path}: expected {statuses[column('conflicted')]}, got {status}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_while_the_waiver_stands_the_conflicted_reviewer_sees_the_application_like_the_assigned_reviewer():
    """The control for the test above: the waiver itself does open the application, so its revocation is what
    closes it again."""
    world = build_world()
    application = world.users["conflicted"].conflicts.get().application
    waive_conflict(application, by=world.users["secretariat"], reviewer=world.users["conflicted"], reason="Gammelt.")

    response, _landed = _web_response(world, "conflicted", _url("grants:application_detail", "in_review", world.ids),
                                      "GET", None)  # fmt: skip

    assert response.status_code == 200


# ---------------------------------------------------------------- someone else's object is 404, not 403


def test_the_stranger_gets_404_never_403_for_registry_a_objects_on_every_web_row():
    wrong = [
        f"{row[0]}-{row[1]} on {row[2]}: {row[4][column('stranger')]}"
        for row in WEB_MATRIX
        if web_targets(row) & REGISTRY_A_OBJECTS and row[4][column("stranger")] not in (404, 405)
    ]

    assert wrong == []


def test_the_stranger_gets_404_never_403_for_registry_a_objects_on_every_api_row():
    wrong = [
        f"{row[0]} {row[2]}: {row[4][column('stranger')]}"
        for row in API_MATRIX
        if api_targets(row) & REGISTRY_A_OBJECTS and row[4][column("stranger")] != 404
    ]

    assert wrong == []


def test_every_object_key_of_the_rows_is_classified():
    """A new kind of object in the world must be sorted into registry A's objects or the shared ones, so the
    404-not-403 rule cannot silently skip it."""
    shared = {
        "scheme", "registry_a", "registry_b", "indicator", "call", "draft_call", "fmt_csv", "fmt_xlsx",
        "kind_extension", "chart_funding", "chart_targets", "chart_unknown", "recommendation_version",
        "decision_meeting", "annual_file", "applicant_calendar_token", "unknown_calendar_token",
        *(f"user_{role}" for role in ROLES),
    }  # fmt: skip
    keys = set().union(*(web_targets(row) for row in WEB_MATRIX), *(api_targets(row) for row in API_MATRIX))

    assert sorted(keys - shared - REGISTRY_A_OBJECTS) == []
