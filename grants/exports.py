"""The application list as a table for CSV and XLSX: typed values, text defused against formula injection."""

from collections.abc import Iterable
from typing import Any

from finance.exports import defuse

from .models import Application

HEADER = [
    "id",
    "call",
    "year",
    "scheme",
    "registry",
    "region",
    "title",
    "state",
    "requested_amount_nok",
    "granted_amount_nok",
    "submitted_at",
]


def rows(applications: Iterable[Application]) -> list[list[Any]]:
    return [
        [
            a.pk,
            defuse(a.call.title),
            a.call.year,
            defuse(a.call.scheme.code),
            defuse(a.registry.short_name or a.registry.name),
            a.registry.region,
            defuse(a.title),
            a.state,
            a.requested_amount_nok,
            a.granted_amount_nok,
            a.submitted_at,
        ]
        for a in applications
    ]
