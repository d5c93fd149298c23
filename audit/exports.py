"""The audit trail as CSV or XLSX: typed cells, and no text that a spreadsheet would run (finance.exports)."""

from collections.abc import Iterable
from typing import Any

from django.utils.translation import gettext as _

from core.labels import action_label
from finance.exports import defuse

from .models import AuditEntry


def header() -> list[str]:
    return [
        _("Entry"),
        _("When"),
        _("Who"),
        _("Action code"),
        _("Action"),
        _("Object type"),
        _("Object"),
        _("From"),
        _("To"),
        _("Comment"),
    ]


def rows(entries: Iterable[AuditEntry]) -> list[list[Any]]:
    return [
        [
            e.pk,
            e.at,
            defuse(e.actor.email if e.actor else ""),
            defuse(e.action),
            defuse(action_label(e.action)),
            f"{e.content_type.app_label}.{e.content_type.model}",
            e.object_id,
            defuse(e.source),
            defuse(e.target),
            defuse(e.comment),
        ]
        for e in entries
    ]
