"""Writing a planned chunk: bulk inserts in dependency order, then the audit entries and indicator values."""

import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import Model

from audit.models import AuditEntry
from grants.models import Application, Call, DecisionMeeting
from projects.models import FinalReport, Project
from registries.models import IndicatorValue
from reviews.models import Assignment, Conflict, Review

from .plan import ORDER, Chunk

BATCH = 2000
# Timestamps Django would otherwise set to the moment of the run (auto_now, auto_now_add): a seeded history keeps
# the times it was planned with, so the same seed gives the same rows.
HISTORICAL = [
    (Call, "created_at"),
    (Application, "created_at"),
    (Application, "updated_at"),
    (Assignment, "assigned_at"),
    (Conflict, "declared_at"),
    (Review, "updated_at"),
    (Project, "created_at"),
    (FinalReport, "updated_at"),
    (DecisionMeeting, "recorded_at"),
]


@contextmanager
def historical_timestamps() -> Iterator[None]:
    fields = [model._meta.get_field(name) for model, name in HISTORICAL]
    saved = [(f, f.auto_now, f.auto_now_add) for f in fields]  # type: ignore[union-attr]
    for f in fields:
        f.auto_now = f.auto_now_add = False  # type: ignore[union-attr]
    try:
        yield
    finally:
        for f, auto_now, auto_now_add in saved:
            f.auto_now, f.auto_now_add = auto_now, auto_now_add  # type: ignore[union-attr]


def label(model: type[Model]) -> str:
    return model._meta.label


def write_chunk(chunk: Chunk, counts: Counter[str]) -> None:
    for model in ORDER:
        rows = chunk.rows.get(model, [])
        if rows:
            model._default_manager.bulk_create(rows, batch_size=BATCH)
            counts[label(model)] += len(rows)
    link = Application.participating_units.through
    units = [link(application_id=a.pk, organisation_id=orgnr) for a, orgnr in chunk.units]
    link.objects.bulk_create(units, batch_size=BATCH)
    counts["grants.Application.participating_units"] += len(units)
    _audit(chunk, counts)
    _values(chunk, counts)


def _audit(chunk: Chunk, counts: Counter[str]) -> None:
    types: dict[type[Model], int] = {}
    rows = []
    for e in sorted(chunk.events, key=lambda e: e.at):  # ids follow time, as they would have
        model = type(e.obj)
        if model not in types:
            types[model] = ContentType.objects.get_for_model(model).pk
        actor = e.actor.pk if e.actor is not None else None
        rows.append((e.at, actor, e.action, types[model], e.obj.pk, e.source, e.target, e.comment, e.data or {}))
    if connection.vendor == "postgresql":
        _copy_audit(rows)
    else:
        AuditEntry.objects.bulk_create((AuditEntry(**dict(zip(AUDIT_COLUMNS, r, strict=True))) for r in rows), BATCH)
    counts[label(AuditEntry)] += len(rows)


AUDIT_COLUMNS = ("at", "actor_id", "action", "content_type_id", "object_id", "source", "target", "comment", "data")


def _copy_audit(rows: list[tuple[Any, ...]]) -> None:
    """The audit trail is the biggest table by far (about 19 rows per application): PostgreSQL's COPY loads it
    several times faster than INSERT (STYLE.md, performance habits), and needs no model instances."""
    table = connection.ops.quote_name(AuditEntry._meta.db_table)
    with connection.cursor() as cursor:
        raw = cursor.cursor  # psycopg's own cursor: Django's wrapper has no copy()
        with raw.copy(f"COPY {table} ({', '.join(AUDIT_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row((*row[:-1], json.dumps(row[-1])))


def _values(chunk: Chunk, counts: Counter[str]) -> None:
    if not chunk.values:
        return
    indicators = {k[0] for k in chunk.values}
    units = {k[1] for k in chunk.values}
    years = {k[2] for k in chunk.values}
    delivered = set(
        IndicatorValue.objects.filter(indicator_id__in=indicators, organisation_id__in=units, year__in=years)
        .values_list("indicator_id", "organisation_id", "year")
        .iterator()
    )
    rows = [
        IndicatorValue(indicator_id=i, organisation_id=o, year=y, numerator=n, denominator=d)
        for (i, o, y), (n, d) in chunk.values.items()
        if (i, o, y) not in delivered
    ]
    IndicatorValue.objects.bulk_create(rows, batch_size=BATCH)
    counts[label(IndicatorValue)] += len(rows)
