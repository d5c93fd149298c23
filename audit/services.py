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


def history(obj: models.Model) -> models.QuerySet[AuditEntry]:
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj), object_id=obj.pk
    ).select_related("actor")


def history_for(obj: models.Model, user: Any) -> models.QuerySet[AuditEntry]:
    """The timeline as `user` may see it. Entries about the expert assessment (who was assigned, who declared a
    conflict) are for the secretariat only: shown to applicants they would reveal who reviews them."""
    from accounts.rules import is_secretariat

    entries = history(obj)
    if not is_secretariat(user):
        entries = entries.exclude(action__startswith="reviews.")
    return entries
