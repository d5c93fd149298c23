"""IDOR: every object route of the matrix (web and API), asked with the ids of another registry's objects, answers
404 and changes nothing. Two kinds of attempt:
- the whole id set of a second world (another registry A, its applications, project, payments, reports), by the
  users of the first world who have no business with it;
- a nested route whose parent is the caller's own (or, for the secretariat, any) object and whose child belongs to
  another project: /projects/<mine>/payments/<theirs>/... must not reach the other project's payment.
"""

import re
from typing import Any

import pytest

from tests.access.test_matrix_perspectives import REGISTRY_A_OBJECTS
from tests.access.world import api_client, web_client

from .support import (
    API_OBJECT_ROWS,
    WEB_OBJECT_ROWS,
    api_send,
    attempt,
    column,
    second_world,
    web_send,
    web_url,
)

# Users of the first world with no role in the second: a member of another registry, reviewers of another
# scheme's expert group. (The secretariat, deciders and admins are national roles: they see every registry.)
OUTSIDERS = ("applicant", "stranger", "reviewer", "unassigned", "conflicted")


def _expected(statuses: tuple, role: str) -> int:
    """A GET on a POST-only route is refused before any object is looked up (405 for everyone): no leak."""
    return 405 if statuses[column(role)] == 405 else 404


def _mixed(keys: list[str], mine: dict[str, Any], theirs: dict[str, Any]) -> dict[str, Any] | None:
    """The caller's own parent object with the other world's children; None when the route has no child of
    registry A's."""
    if len(keys) < 2 or not set(keys[1:]) & REGISTRY_A_OBJECTS:
        return None
    return {**mine, **{key: theirs[key] for key in keys[1:] if key in REGISTRY_A_OBJECTS}}


@pytest.fixture
def worlds(monkeypatch):
    from tests.access.world import build_world

    first = build_world()
    return first, second_world(monkeypatch)


@pytest.mark.django_db
def test_web_object_routes_answer_404_to_another_registrys_ids_and_change_nothing(worlds):
    mine, theirs = worlds

    wrong = []
    for row in WEB_OBJECT_ROWS:
        name, method, _target, body, statuses = row
        url = web_url(row, theirs.ids)
        for role in OUTSIDERS:
            client = web_client(mine, role)
            response, changed = attempt(lambda: web_send(client, url, method, body, theirs.ids))  # noqa: B023
            if (response.status_code, changed) != (_expected(statuses, role), []):
                wrong.append(f"{name}-{method} {url} as {role}: {response.status_code}, changed {changed}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
def test_api_object_routes_answer_404_to_another_registrys_ids_and_change_nothing(worlds):
    mine, theirs = worlds

    wrong = []
    for method, _route, path, body, _statuses in API_OBJECT_ROWS:
        for role in OUTSIDERS:
            client = api_client(mine, role)
            response, changed = attempt(lambda: api_send(client, method, path, body, theirs.ids))  # noqa: B023
            if (response.status_code, changed) != (404, []):
                wrong.append(f"{method} {path} as {role}: {response.status_code}, changed {changed}")

    assert not wrong, "\n".join(wrong)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["applicant", "secretariat"])
def test_a_nested_route_does_not_reach_another_projects_child_through_ones_own_parent(worlds, role):
    mine, theirs = worlds
    client = web_client(mine, role)

    wrong = []
    for row in WEB_OBJECT_ROWS:
        name, method, target, body, statuses = row
        ids = _mixed(target.split("/"), mine.ids, theirs.ids)
        if ids is None:
            continue
        url = web_url(row, ids)
        response, changed = attempt(lambda: web_send(client, url, method, body, ids))  # noqa: B023
        if (response.status_code, changed) != (_expected(statuses, role), []):
            wrong.append(f"{name}-{method} {url}: {response.status_code}, changed {changed}")
    for method, _route, path, body, _statuses in API_OBJECT_ROWS:
        ids = _mixed(re.findall(r"{(\w+)}", path), mine.ids, theirs.ids)
        if ids is None:
            continue
        client = api_client(mine, role)
        response, changed = attempt(lambda: api_send(client, method, path, body, ids))  # noqa: B023
        if (response.status_code, changed) != (404, []):
            wrong.append(f"{method} {path.format(**ids)}: {response.status_code}, changed {changed}")

    assert not wrong, "\n".join(wrong)


def test_the_attack_covers_nested_routes():
    """Guard: the nested attempt above is not vacuous."""
    nested = [row for row in WEB_OBJECT_ROWS if _mixed(row[2].split("/"), {}, dict.fromkeys(REGISTRY_A_OBJECTS))]

    assert {row[0] for row in nested} >= {"projects:milestone_report", "projects:change_request_transition"}
