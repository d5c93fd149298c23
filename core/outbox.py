"""The outbox's verbs (the table is core.models.OutboxMessage).

- `enqueue` writes a row in the caller's transaction; its key makes it once-only, across runs and workers.
- `deliver` sends the pending rows that are due. Each row is claimed under a row lock (skipping rows another worker
  holds, on PostgreSQL; SQLite's IMMEDIATE transactions serialise the workers instead) and re-read as pending, so no
  row is sent twice. The email goes out while the lock is held and the row is marked sent in the same transaction:
  a crash between the two sends it again rather than losing it (at least once, never twice in normal running).
  A mail server that refuses or cannot be reached leaves the row pending with its error, to be retried after a
  growing pause; after MAX_ATTEMPTS it is failed and stays in the table for the admin.
- Non-essential rows follow the recipient's `notification_mode`: "weekly" parks them for the digest, "off" skips
  them. Essential rows (escalations to the secretariat) always go out at once.
- `send_digests` sends each recipient one email with all their parked rows once a week: on the first run of a
  week (Monday, Europe/Oslo), it gathers every row parked before that Monday, so a missed Monday is caught up on
  the next day and a row parked on Monday waits for the next week.
"""

import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import IntegrityError, connection, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from core import emails
from core.models import OutboxMessage, OutboxState

MAX_ATTEMPTS = 8
BACKOFF = timedelta(minutes=5)  # after the nth failure the row waits BACKOFF × 2^(n-1): 5 min … about 10 h
MAIL_ERRORS = (smtplib.SMTPException, OSError)  # refused, unreachable, timed out (socket errors are OSErrors)


def enqueue(
    key: str,
    *,
    kind: str,
    recipient: object,
    subject: str,
    body: str,
    html: str = "",
    essential: bool = False,
) -> bool:
    """Add a message to the outbox unless one with this key exists; True if it is new. Delivery is queued for after
    the caller's commit."""
    defaults = {
        "kind": kind,
        "recipient": recipient,
        "to": getattr(recipient, "email", ""),
        "subject": subject,
        "body": body,
        "html": html,
        "essential": essential,
    }
    try:
        with transaction.atomic():  # a savepoint: a concurrent insert of the same key leaves the caller usable
            _row, created = OutboxMessage.objects.get_or_create(key=key, defaults=defaults)
    except IntegrityError:
        return False
    if created:
        transaction.on_commit(_deliver_soon)
    return created


def enqueue_template(key: str, name: str, recipient: object, context: dict, *, essential: bool = False) -> bool:
    """`enqueue` template set emails/<name> (subject, text, HTML), rendered now in Norwegian."""
    subject, body, html = emails.render(name, context)
    return enqueue(key, kind=name, recipient=recipient, subject=subject, body=body, html=html, essential=essential)


def _deliver_soon() -> None:
    from core.tasks import deliver_outbox

    deliver_outbox.enqueue()


def due(now: datetime) -> QuerySet[OutboxMessage]:
    return OutboxMessage.objects.filter(state=OutboxState.PENDING).filter(
        Q(send_after__isnull=True) | Q(send_after__lte=now)
    )


def deliver(now: datetime | None = None) -> int:
    """Send every pending row that is due; the number of emails sent."""
    now = now or timezone.now()
    pks = list(due(now).order_by("created_at", "pk").values_list("pk", flat=True))
    return sum(deliver_one(pk, now) for pk in pks)


def _locked() -> QuerySet[OutboxMessage]:
    """Rows locked for this transaction (only the outbox's own: the recipient is joined, not locked)."""
    if connection.features.has_select_for_update_skip_locked:
        return OutboxMessage.objects.select_for_update(skip_locked=True, of=("self",))
    return OutboxMessage.objects.select_for_update(of=("self",))


def deliver_one(pk: int, now: datetime) -> int:
    """Claim row `pk` and deliver it (1) or park, skip or postpone it (0). A row another worker holds or has already
    handled is left alone."""
    with transaction.atomic():
        row = _locked().select_related("recipient").filter(pk=pk).first()
        if row is None or row.state != OutboxState.PENDING or (row.send_after and row.send_after > now):
            return 0
        mode = row.recipient.notification_mode if row.recipient and not row.essential else "immediate"
        if mode in ("weekly", "off"):
            row.state = OutboxState.DIGEST if mode == "weekly" else OutboxState.SKIPPED
            row.save(update_fields=["state"])
            return 0
        try:
            _send(row.subject, row.body, row.html, row.to)
        except MAIL_ERRORS as exc:
            _failed(row, exc, now)
            return 0
        row.state, row.sent_at, row.attempts = OutboxState.SENT, now, row.attempts + 1
        row.save(update_fields=["state", "sent_at", "attempts"])
    return 1


def _send(subject: str, body: str, html: str, to: str) -> None:
    message = EmailMultiAlternatives(subject, body, settings.DEFAULT_FROM_EMAIL, to=[to])
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


def _failed(row: OutboxMessage, exc: Exception, now: datetime) -> None:
    row.attempts += 1
    row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if row.attempts >= MAX_ATTEMPTS:
        row.state = OutboxState.FAILED
    else:
        row.send_after = now + BACKOFF * 2 ** (row.attempts - 1)
    row.save(update_fields=["attempts", "last_error", "state", "send_after"])


def week_start(now: datetime) -> datetime:
    """Monday 00:00 of `now`'s week, local time."""
    local = timezone.localtime(now)
    monday = local.date() - timedelta(days=local.weekday())
    return timezone.make_aware(datetime.combine(monday, datetime.min.time()))


def send_digests(now: datetime | None = None) -> int:
    """One email per recipient with every row parked before this week's Monday; the number of digests sent."""
    now = now or timezone.now()
    waiting = OutboxMessage.objects.filter(state=OutboxState.DIGEST, created_at__lt=week_start(now))
    recipients = sorted(set(waiting.values_list("recipient_id", flat=True)))
    return sum(_digest_for(recipient_id, now) for recipient_id in recipients)


def _digest_for(recipient_id: int, now: datetime) -> int:
    with transaction.atomic():
        rows = list(
            _locked()
            .select_related("recipient")
            .filter(recipient_id=recipient_id, state=OutboxState.DIGEST, created_at__lt=week_start(now))
            .order_by("created_at", "pk")
        )
        if not rows:
            return 0
        recipient = rows[0].recipient
        subject, body, html = emails.render("digest", {"recipient": recipient, "messages": rows})
        try:
            _send(subject, body, html, rows[0].to)
        except MAIL_ERRORS as exc:
            _postpone_digest(rows, exc)
            return 0
        for row in rows:
            row.state, row.sent_at, row.attempts = OutboxState.SENT, now, row.attempts + 1
        OutboxMessage.objects.bulk_update(rows, ["state", "sent_at", "attempts"])
    return 1


def _postpone_digest(rows: list[OutboxMessage], exc: Exception) -> None:
    """The rows stay parked for the next run (the daily task runs it again tomorrow); the error is kept."""
    for row in rows:
        row.attempts += 1
        row.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    OutboxMessage.objects.bulk_update(rows, ["attempts", "last_error"])
