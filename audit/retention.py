"""How long each kind of data is kept, and what happens to it then: the retention policy as data.

`manage.py apply_retention` applies it. Each rule names the rows it applies to as of a day, what is done to them
(delete the rows, delete only their stored file, or keep them) and the legal basis. The audit trail is kept: it is
append-only in the database, and it holds no free-text personal data beyond the actor (the person behind an actor
is pseudonymised by erasure, audit.privacy, not by removing entries). Change a period here, in one place.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import partial
from typing import Any

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone

DELETE = "delete"  # the rows go
DELETE_FILE = "delete_file"  # the stored file goes, the row (and what it records) stays
KEEP = "keep"


@dataclass(frozen=True)
class Rule:
    kind: str
    description: str
    age: timedelta | None  # kept this long after the date the rule counts from; None: kept
    action: str
    basis: str
    rows: Callable[[datetime], models.QuerySet[Any]] | None = None  # the rows older than the cutoff
    file_field: str = ""


def _withdrawn_drafts(cutoff: datetime) -> models.QuerySet[Any]:
    from grants.models import Application

    return Application.objects.filter(state="withdrawn", submitted_at__isnull=True, updated_at__lt=cutoff)


def _rejected_letters(cutoff: datetime) -> models.QuerySet[Any]:
    from grants.models import DecisionLetter

    return DecisionLetter.objects.filter(application__state="rejected", application__decided_at__lt=cutoff).exclude(
        pdf=""
    )


def _outbox(cutoff: datetime) -> models.QuerySet[Any]:
    from core.models import OutboxMessage

    done = Q(state__in=["sent", "skipped", "failed"])
    return OutboxMessage.objects.filter(done, created_at__lt=cutoff)


def _import_uploads(cutoff: datetime) -> models.QuerySet[Any]:
    from registries.models import IndicatorImport

    return IndicatorImport.objects.filter(created_at__lt=cutoff, state__in=["done", "refused", "failed"]).exclude(
        file=""
    )


def _sessions(cutoff: datetime) -> models.QuerySet[Any]:
    from django.contrib.sessions.models import Session

    return Session.objects.filter(expire_date__lt=cutoff)


def _revoked_tokens(cutoff: datetime) -> models.QuerySet[Any]:
    from accounts.models import ApiToken

    return ApiToken.objects.filter(revoked_at__lt=cutoff)


YEAR = timedelta(days=365)
POLICY = [
    Rule(
        "withdrawn_drafts",
        "Applications withdrawn before they were ever submitted, one year after the last change",
        YEAR,
        DELETE,
        "GDPR art. 5(1)(c)(e): never handed in, so no case to document; the registry had a year to take the text back",
        _withdrawn_drafts,
    ),
    Rule(
        "rejected_letters",
        "The decision letter (PDF) of a rejected application, ten years after the decision",
        10 * YEAR,
        DELETE_FILE,
        "Arkivlova/arkivforskriften: case documents kept for the archive period; the decision stays in the record",
        _rejected_letters,
        "pdf",
    ),
    Rule(
        "outbox",
        "Emails sent, skipped or given up on, 90 days after they were queued",
        timedelta(days=90),
        DELETE,
        "GDPR art. 5(1)(e): the copy of a sent email is only needed to answer questions about its delivery",
        _outbox,
    ),
    Rule(
        "indicator_uploads",
        "Uploaded indicator files of finished web imports, one year after the upload (the import's report stays)",
        YEAR,
        DELETE_FILE,
        "GDPR art. 5(1)(e): the imported values are in the database; the file is kept only to answer questions",
        _import_uploads,
        "file",
    ),
    Rule(
        "sessions",
        "Login sessions, once expired",
        timedelta(0),
        DELETE,
        "Normen (security norm for the health sector): no valid session data is kept beyond its lifetime",
        _sessions,
    ),
    Rule(
        "revoked_api_tokens",
        "API tokens, one year after they were revoked",
        YEAR,
        DELETE,
        "GDPR art. 5(1)(e): a revoked token's name and use are kept a year for questions about access",
        _revoked_tokens,
    ),
    Rule(
        "audit_trail",
        "The audit trail: who did or read what, when",
        None,
        KEEP,
        "Normen: logging of who read what; append-only (a database trigger), pseudonymised only through the actor",
    ),
]


def cutoff(rule: Rule, today: date) -> datetime:
    assert rule.age is not None
    return timezone.make_aware(datetime.combine(today, time.min)) - rule.age


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    count: int


def apply(today: date, *, dry_run: bool = False) -> list[Outcome]:
    """Apply every rule as of `today`; with dry_run count only. Idempotent: what is gone is not found again."""
    return [Outcome(rule, _apply(rule, today, dry_run)) for rule in POLICY]


def _apply(rule: Rule, today: date, dry_run: bool) -> int:
    if rule.action == KEEP or rule.rows is None:
        return 0
    rows = rule.rows(cutoff(rule, today))
    if dry_run:
        return rows.count()
    with transaction.atomic():
        if rule.action == DELETE_FILE:
            return _delete_files(rows, rule.file_field)
        pks = list(rows.values_list("pk", flat=True))
        rows.model.objects.filter(pk__in=pks).delete()
        return len(pks)


def _delete_files(rows: models.QuerySet[Any], field: str) -> int:
    """The file is removed from storage after the commit (a rollback keeps it), the row forgets its name now."""
    count = 0
    for obj in rows.select_for_update():
        stored = getattr(obj, field)
        name, storage = stored.name, stored.storage
        rows.model.objects.filter(pk=obj.pk).update(**{field: ""})
        transaction.on_commit(partial(storage.delete, name))
        count += 1
    return count
