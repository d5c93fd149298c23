"""The project list as a table for CSV and XLSX: typed values, text defused against formula injection."""

from collections.abc import Iterable
from typing import Any

from finance.exports import defuse

from .models import Project

HEADER = [
    "id",
    "registry",
    "region",
    "title",
    "scheme",
    "year",
    "state",
    "granted_amount_nok",
    "paid_nok",
    "start_date",
    "end_date",
]


def rows(projects: Iterable[Project]) -> list[list[Any]]:
    """`projects` come from selectors.project_list (with `paid_nok`)."""
    return [
        [
            p.pk,
            defuse(p.registry.short_name or p.registry.name),
            p.registry.region,
            defuse(p.title),
            defuse(p.application.call.scheme.code),
            p.application.call.year,
            p.state,
            p.granted_amount_nok,
            p.paid_nok,  # type: ignore[attr-defined]
            p.start_date,
            p.end_date,
        ]
        for p in projects
    ]
