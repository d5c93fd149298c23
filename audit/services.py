from collections.abc import Iterable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from .models import AuditEntry


def record(
    obj: models.Model,
    action: str,
    *,
    actor: Any = None,
    source: str = "",
    target: str = "",
    comment: str = "",
    data: dict | None = None,
) -> AuditEntry:
    return AuditEntry.objects.create(
        actor=actor if (actor is not None and actor.is_authenticated) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=obj.pk,
        source=source,
        target=target,
        comment=comment,
        data=data or {},
    )


# Reads of documents and reviews end with this (e.g. "grants.application.view"): they are in the trail for whoever
# asks who read what, but not in an object's timeline, and they are never the "last thing that happened" to it.
READ = ".view"


def record_reads(objs: Iterable[models.Model], action: str, *, actor: Any, data: dict | None = None) -> None:
    """One entry per object read (in one query): `action` must end with READ."""
    assert action.endswith(READ), action
    objs = list(objs)
    if not objs:
        return
    content_type = ContentType.objects.get_for_model(objs[0])
    AuditEntry.objects.bulk_create(
        AuditEntry(
            actor=actor if actor.is_authenticated else None,
            action=action,
            content_type=content_type,
            object_id=obj.pk,
            data=data or {},
        )
        for obj in objs
    )


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return (
        AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk)
        .exclude(action__endswith=READ)
        .select_related("actor")
    )


def history_for(obj: models.Model, user: Any) -> models.QuerySet[AuditEntry]:
    """The timeline as `user` may see it. Entries about the expert assessment (who was assigned, who declared a
    conflict) are for the secretariat only: shown to applicants they would reveal who reviews them."""
    from accounts.rules import is_secretariat

    entries = history(obj)
    if not is_secretariat(user):
        entries = entries.exclude(action__startswith="reviews.")
    return entries
