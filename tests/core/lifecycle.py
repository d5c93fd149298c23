"""Shared pieces of the transition matrices: the spec row, the parameter lists, and the "nothing happened" check.

Each lifecycle's test module states its own table (sources, target, who may fire it, who may not); the table is
the specification, so it is written out in full there and never imported from the code under test.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import pytest
from django.core import mail
from django.db import models
from django.utils import translation
from django.utils.translation import gettext

from audit.models import AuditEntry


@dataclass(frozen=True)
class Row:
    sources: tuple[str, ...]
    target: str
    actor: str  # the role (a key of the test module's cast) that may fire it
    wrong: tuple[str, ...]  # roles that must get NotPermitted in an allowed source state


def allowed(spec: dict[str, Row]) -> list[Any]:
    return [
        pytest.param(name, source, id=f"{name}-from-{source}") for name, row in spec.items() for source in row.sources
    ]


def disallowed(spec: dict[str, Row], states: Iterable[str]) -> list[Any]:
    states = list(states)
    return [
        pytest.param(name, source, id=f"{name}-from-{source}")
        for name, row in spec.items()
        for source in states
        if source not in row.sources
    ]


def wrong_roles(spec: dict[str, Row]) -> list[Any]:
    return [pytest.param(name, role, id=f"{name}-by-{role}") for name, row in spec.items() for role in row.wrong]


def row_of(obj: models.Model) -> dict[str, Any]:
    return type(obj)._default_manager.filter(pk=obj.pk).values().get()


def state_of(obj: models.Model) -> str:
    return type(obj)._default_manager.filter(pk=obj.pk).values_list("state", flat=True).get()


class Snapshot:
    """The object's row and the audit table before an action, to prove a refused action changed nothing."""

    def __init__(self, obj: models.Model) -> None:
        self.obj = obj
        self.row = row_of(obj)
        self.audit_ids = set(AuditEntry.objects.values_list("id", flat=True))

    def new_entries(self) -> list[AuditEntry]:
        return list(AuditEntry.objects.exclude(id__in=self.audit_ids).order_by("id"))

    def assert_unchanged(self) -> None:
        assert row_of(self.obj) == self.row
        assert self.new_entries() == []


def assert_refused_without_trace(
    act: Callable[[], Any], exc_type: type[Exception], obj: models.Model, capture: Any
) -> Exception:
    """`act` raises `exc_type`; the row, the audit table, the on-commit queue and the outbox stay as they were."""
    before = Snapshot(obj)
    with capture() as callbacks, pytest.raises(exc_type) as exc:
        act()
    assert callbacks == []
    before.assert_unchanged()
    assert mail.outbox == []
    return exc.value


def entry_fields(entry: AuditEntry) -> tuple[Any, ...]:
    return (entry.action, entry.actor, entry.source, entry.target, entry.comment)


def nb(msgid: str, **params: Any) -> str:
    """A message as the Norwegian email renders it (English until the catalogue translates it)."""
    with translation.override("nb"):
        return gettext(msgid) % {k: str(v) for k, v in params.items()}


def label_nb(choice: Any) -> str:
    with translation.override("nb"):
        return str(choice.label)


def sent() -> list[tuple[str, list[str]]]:
    """(subject, recipients) of every message sent. Notifications go through the outbox, one message per person; the
    decision letter (sent directly) has its recipients in Bcc, so members do not see each other."""
    return [(m.subject, sorted(m.to + m.cc + m.bcc)) for m in mail.outbox]
