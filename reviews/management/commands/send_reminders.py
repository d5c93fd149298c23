"""`manage.py send_reminders [--date YYYY-MM-DD] [--schedule]`: sends, itself and before it exits, every reminder due
on that date (default today). Running it twice for the same date sends nothing new: each source records what it sent.

Each source is a function `(date) -> count`, named by its dotted path and run in that order. The review reminders
(reviews.reminders) and the project follow-up (projects.reminders) queue rows in the outbox, which is delivered at the
end (so with the console backend every message appears on standard output), then the weekly digests that are due go
out.
`--schedule` also starts the worker's daily run (core.tasks.daily_reminders), which calls this command every morning.
"""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.module_loading import import_string

SOURCES: list[str] = []  # sources that send directly (none left: every reminder goes through the outbox)
# These queue outbox rows (counted as queued); the outbox delivery counts what was sent.
QUEUEING_SOURCES = [
    "reviews.reminders.send_review_reminders",
    "reviews.reminders.send_overdue_escalations",
    "projects.reminders.queue_lead_reminders",
    "projects.reminders.queue_escalations",
]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Send every reminder due on a date (default today): reviews, project reports, escalations. Safe to rerun."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The date as YYYY-MM-DD (default: today).")
        parser.add_argument(
            "--schedule", action="store_true", help="Also start the worker's daily run (once; safe to repeat)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from core.outbox import deliver, send_digests
        from core.scheduling import schedule_retry

        today = _date(options["date"]) if options["date"] else timezone.localdate()
        total = 0
        for path in SOURCES:
            sent = import_string(path)(today)
            total += sent
            self.stdout.write(f"{path.rsplit('.', 1)[-1]}: {sent}")
        for path in QUEUEING_SOURCES:
            self.stdout.write(f"{path.rsplit('.', 1)[-1]}: {import_string(path)(today)} queued")
        delivered, digests = deliver(), send_digests()
        schedule_retry()  # the worker retries what the mail server refused
        total += delivered + digests
        self.stdout.write(f"outbox: {delivered}")
        self.stdout.write(f"weekly digests: {digests}")
        self.stdout.write(self.style.SUCCESS(f"{total} messages sent for {today.isoformat()}."))
        if options["schedule"]:
            from core.scheduling import schedule_daily_reminders

            at = schedule_daily_reminders()
            if at is None:
                raise CommandError("The task backend cannot schedule (TASKS_BACKEND): run the database backend.")
            self.stdout.write(f"daily run scheduled for {at.isoformat()}")
