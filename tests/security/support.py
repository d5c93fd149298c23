"""Shared pieces of the attack suite: the routes come from the access matrix (so a new route is attacked as soon as
it has a row), a second world for another registry's objects, and a fingerprint of the database to prove that a
refused attack changed nothing."""

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.apps import apps
from django.db import transaction

from registries.models import Organisation
from tests.access import world as world_module
from tests.access.api_matrix import API_MATRIX, API_PREFIX
from tests.access.test_matrix import _fill, _url
from tests.access.test_matrix_perspectives import REGISTRY_A_OBJECTS, api_targets, web_targets
from tests.access.web_matrix import WEB_MATRIX
from tests.access.world import ROLES, World, build_world
from tests.factories import SchemeFactory

REPO = Path(__file__).resolve().parents[2]

WEB_WRITES = [row for row in WEB_MATRIX if row[1] in ("POST", "HX-POST")]
WEB_OBJECT_ROWS = [row for row in WEB_MATRIX if web_targets(row) & REGISTRY_A_OBJECTS]
API_OBJECT_ROWS = [row for row in API_MATRIX if api_targets(row) & REGISTRY_A_OBJECTS]

# Tables that a refused request may touch without changing anything of the product's: the session store.
IGNORED_TABLES = {"sessions.Session"}


def second_world(monkeypatch: Any) -> World:
    """Another copy of the world: its registry A is a different registry, with its own applications, project,
    payments and reports, under another scheme (so the first world's reviewers are in none of its expert groups).
    The organisation tree and the annual summary file are shared (both are unique)."""
    from finance.models import AnnualSummaryFile

    monkeypatch.setattr(
        world_module, "OrganisationFactory", lambda **kwargs: Organisation.objects.get(orgnr=kwargs["orgnr"])
    )
    monkeypatch.setattr(world_module, "_annual_summary_file", lambda: AnnualSummaryFile.objects.get())
    monkeypatch.setattr(world_module, "SchemeFactory", lambda: SchemeFactory(code="other_scheme", name="Annen ordning"))
    return build_world()


def fingerprint() -> dict[str, Any]:
    """Row counts of every table and the state of every row with a lifecycle."""
    found: dict[str, Any] = {}
    for model in apps.get_models():
        label = model._meta.label
        if label in IGNORED_TABLES or model._meta.proxy or not model._meta.managed:
            continue
        manager = model._base_manager
        if any(f.name == "state" for f in model._meta.concrete_fields):
            found[label] = sorted(manager.values_list("pk", "state"))
        else:
            found[label] = manager.count()
    return found


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [label for label in before if before[label] != after[label]]


def attempt(send: Callable[[], Any]) -> tuple[Any, list[str]]:
    """The response to `send()` and what it changed in the database; then everything is rolled back."""
    with transaction.atomic():
        before = fingerprint()
        response = send()
        changed = changes(before, fingerprint())
        transaction.set_rollback(True)
    return response, changed


def web_send(client: Any, url: str, method: str, body: Any, ids: dict[str, Any], **extra: Any) -> Any:
    headers = {"HX-Request": "true"} if method.startswith("HX-") else {}
    if method == "GET":
        return client.get(url, headers=headers, **extra)
    return client.post(url, _fill(body or {}, ids), headers=headers, **extra)


def api_send(client: Any, method: str, path: str, body: Any, ids: dict[str, Any]) -> Any:
    url = API_PREFIX + path.format(**ids)
    if method == "GET":
        return client.get(url)
    data = json.dumps(_fill(body, ids)) if body is not None else ""
    return client.generic(method, url, data, content_type="application/json")


def web_url(row: tuple, ids: dict[str, Any]) -> str:
    return _url(row[0], row[2], ids)


def column(role: str) -> int:
    return ROLES.index(role)


def source_files(pattern: str) -> set[str]:
    """Our own Python files (not tests, migrations or the virtualenv) whose text matches `pattern`."""
    regex = re.compile(pattern)
    skipped = {".venv", "tests", "migrations", "node_modules", "staticfiles", "bench"}
    return {
        str(path.relative_to(REPO))
        for path in REPO.rglob("*.py")
        if not skipped & set(path.relative_to(REPO).parts) and regex.search(path.read_text(encoding="utf-8"))
    }


__all__ = ["API_MATRIX", "WEB_MATRIX", "World", "build_world"]
