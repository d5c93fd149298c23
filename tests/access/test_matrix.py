"""The access matrix: every web URL and API route, for every role, with the exact status.

Deny by default: a URL or API route without a row fails `test_every_*_has_a_row`. Each row is checked for all roles
against one fresh world; every request runs in a savepoint that is rolled back, so one role's action never changes
what the next role sees. A redirect after an action must land on a page the actor may see. A row reports all its
wrong statuses at once.
"""

import json
from typing import Any

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from config.api import api

from .api_matrix import API_MATRIX, API_PREFIX
from .web_matrix import WEB_MATRIX
from .world import ROLES, World, api_client, build_world, web_client

# Web URL prefixes that are not ours to check here: the admin, allauth's pages, set_language, the API (below).
SKIPPED_PREFIXES = ("admin/", "accounts/", "i18n/", "static/", API_PREFIX.lstrip("/"))


def _walk(resolver: URLResolver, prefix: str = "", namespace: str | None = None) -> list[tuple[str, str]]:
    """(route, key) of every pattern; key is "namespace:name", the bare name, or the route if unnamed."""
    found = []
    for pattern in resolver.url_patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found += _walk(pattern, route, pattern.namespace or namespace)
        elif isinstance(pattern, URLPattern):
            key = f"{namespace}:{pattern.name}" if namespace and pattern.name else (pattern.name or route)
            found.append((route, key))
    return found


def web_urls() -> set[str]:
    return {key for route, key in _walk(get_resolver()) if not route.startswith(SKIPPED_PREFIXES)}


def api_routes() -> set[tuple[str, str]]:
    """(METHOD, path) of every operation in the OpenAPI document, plus the API's other patterns (as GET)."""
    schema = api.get_openapi_schema()
    routes = {
        (method.upper(), path.removeprefix(API_PREFIX))
        for path, operations in schema["paths"].items()
        for method in operations
    }
    documented = {path for _method, path in routes}
    for route, _key in _walk(get_resolver()):
        if route.startswith(API_PREFIX.lstrip("/")):
            path = "/" + route.removeprefix(API_PREFIX.lstrip("/")).lstrip("/")
            path = path.replace("<int:", "{").replace("<", "{").replace(">", "}").replace("^.*$", "{anything}")
            if path not in documented:
                routes.add(("GET", path))
    return routes


def _id(row: tuple) -> str:
    action = f"-{row[3]['action']}" if row[3] and "action" in row[3] else ""
    return f"{row[0]}-{row[1]}-{row[2] or 'none'}{action}"


# ---------------------------------------------------------------- the matrix is complete and well formed


def test_every_web_url_has_a_row():
    rows = {row[0] for row in WEB_MATRIX}

    missing = sorted(web_urls() - rows)
    stale = sorted(rows - web_urls())

    assert (missing, stale) == ([], []), f"URLs without a row in WEB_MATRIX: {missing}; rows for no URL: {stale}"


def test_every_api_route_has_a_row():
    rows = {(row[0], row[1]) for row in API_MATRIX}

    missing = sorted(api_routes() - rows)
    stale = sorted(rows - api_routes())

    assert (missing, stale) == ([], []), f"API routes without a row in API_MATRIX: {missing}; rows for none: {stale}"


def test_every_row_has_one_status_per_role_and_a_unique_id():
    ids = [_id(row) for row in WEB_MATRIX] + [f"{r[0]} {r[2]}" for r in API_MATRIX]

    bad = [i for i, row in zip(ids, WEB_MATRIX + API_MATRIX, strict=True) if len(row[-1]) != len(ROLES)]

    assert (bad, len(ids)) == ([], len(set(ids)))


# ---------------------------------------------------------------- requests


def _fill(body: Any, ids: dict[str, Any]) -> Any:
    if isinstance(body, dict):
        return {key: _fill(value, ids) for key, value in body.items()}
    if isinstance(body, list):
        return [_fill(value, ids) for value in body]
    if isinstance(body, str) and body.startswith("@"):
        return ids[body[1:]]
    return body


def _rolled_back(send: Any) -> Any:
    with transaction.atomic():
        response = send()
        transaction.set_rollback(True)
    return response


def _web_response(world: World, role: str, url: str, method: str, body: Any) -> tuple[Any, int | None]:
    """The response, and where a redirect after an action lands (followed before the savepoint is rolled back)."""
    client = web_client(world, role)
    headers = {"HX-Request": "true"} if method.startswith("HX-") else {}

    def send() -> tuple[Any, int | None]:
        if method == "GET":
            response = client.get(url, headers=headers)
        else:
            response = client.post(url, _fill(body or {}, world.ids), headers=headers)
        if response.status_code != 302 or _to_login(response):
            return response, None
        return response, client.get(response["Location"]).status_code

    return _rolled_back(send)


def _to_login(response: Any) -> bool:
    return response["Location"].startswith(reverse("account_login"))


def _web_mismatch(role: str, expected: int, response: Any, landed: int | None) -> str | None:
    """Anonymous 302s go to the login page; everyone else's 302s land on a page they may see."""
    status = response.status_code
    if status != expected:
        return f"expected {expected}, got {status}"
    if status == 302 and _to_login(response) != (role == "anonymous"):
        return f"302 to {response['Location']}"
    if landed not in (None, 200):
        return f"302 to {response['Location']}, which answers {landed}"
    return None


def _url(name: str, target: str, ids: dict[str, Any]) -> str:
    args = [ids[key] for key in target.split("/")] if target else []
    if ":" not in name and "." in name:  # an unnamed pattern, keyed by its route
        return "/" + name
    return reverse(name, args=args)


def _grouped(rows: list[tuple], key: Any) -> dict[str, list[tuple]]:
    groups: dict[str, list[tuple]] = {}
    for row in rows:
        groups.setdefault(key(row), []).append(row)
    return groups


WEB_BY_URL = _grouped(WEB_MATRIX, lambda row: row[0])
API_BY_ROUTE = _grouped(API_MATRIX, lambda row: f"{row[0]} {row[1]}")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(WEB_BY_URL))
def test_web_access(name):
    world = build_world()

    wrong = []
    for _name, method, target, body, statuses in WEB_BY_URL[name]:
        url = _url(name, target, world.ids)
        for role, expected in zip(ROLES, statuses, strict=True):
            problem = _web_mismatch(role, expected, *_web_response(world, role, url, method, body))
            if problem:
                action = f" action={body['action']}" if body and "action" in body else ""
                wrong.append(f"{name}-{method}-{role} on {target or 'no object'}{action}: {problem}")

    assert not wrong, "\n".join(wrong)


def _api_response(world: World, role: str, method: str, path: str, body: Any) -> Any:
    client = api_client(world, role)
    url = API_PREFIX + path.format(**world.ids)
    if method == "GET":
        return _rolled_back(lambda: client.get(url))
    data = json.dumps(_fill(body, world.ids)) if body is not None else ""
    return _rolled_back(lambda: client.generic(method, url, data, content_type="application/json"))


@pytest.mark.django_db
@pytest.mark.parametrize("route", list(API_BY_ROUTE))
def test_api_access(route):
    world = build_world()

    wrong = []
    for method, _route, path, body, statuses in API_BY_ROUTE[route]:
        for role, expected in zip(ROLES, statuses, strict=True):
            status = _api_response(world, role, method, path, body).status_code
            if status != expected:
                wrong.append(f"{method} {path}-{role}: expected {expected}, got {status}")

    assert not wrong, "\n".join(wrong)
