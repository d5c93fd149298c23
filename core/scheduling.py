"""The worker's daily run: `core.tasks.daily_reminders` enqueues itself for the next morning.

One chain is enough: with the database backend a waiting run (READY) is reused rather than doubled, so starting it
twice (`send_reminders --schedule` on every deploy) is harmless.
"""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.tasks import task_backends
from django.utils import timezone


def next_morning(now: datetime) -> datetime:
    """REMINDER_HOUR (local time) tomorrow, or today if that hour is still ahead."""
    local = timezone.localtime(now)
    at = time(hour=int(getattr(settings, "REMINDER_HOUR", 7)))
    day = local.date() if local.time() < at else local.date() + timedelta(days=1)
    return timezone.make_aware(datetime.combine(day, at))


def _waiting(path: str) -> datetime | None:
    """When the database backend will run an already queued `path`, if one is queued."""
    if not type(task_backends["default"]).__module__.startswith("django_tasks_db"):
        return None
    from django.tasks import TaskResultStatus
    from django_tasks_db.models import DBTaskResult

    queued = DBTaskResult.objects.filter(status=TaskResultStatus.READY, task_path=path)
    row = queued.order_by("run_after").first()
    return row.run_after if row else None


def schedule_daily_reminders(now: datetime | None = None) -> datetime | None:
    """Queue the next daily run; returns when it will run. None with a backend that cannot wait (the immediate one,
    in tests and without a worker): there the run would repeat at once, for ever."""
    from core.tasks import daily_reminders

    if not task_backends["default"].supports_defer:
        return None
    waiting = _waiting(daily_reminders.module_path)
    if waiting is not None:
        return waiting
    run_after = next_morning(now or timezone.now())
    daily_reminders.using(run_after=run_after).enqueue()
    return run_after


def schedule_retry() -> datetime | None:
    """Queue a delivery for when the earliest postponed outbox row (a mail server failure) is due again, unless one is
    queued by then already; returns when, or None if nothing waits (or the backend cannot wait)."""
    from core.models import OutboxMessage, OutboxState
    from core.tasks import deliver_outbox

    pending = OutboxMessage.objects.filter(state=OutboxState.PENDING, send_after__isnull=False)
    earliest = pending.order_by("send_after").values_list("send_after", flat=True).first()
    if earliest is None or not task_backends["default"].supports_defer:
        return None
    waiting = _waiting(deliver_outbox.module_path)
    if waiting is not None and waiting <= earliest:
        return waiting
    deliver_outbox.using(run_after=earliest).enqueue()
    return earliest
