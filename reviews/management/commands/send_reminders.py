"""`manage.py send_reminders [--date YYYY-MM-DD]`: sends, itself and before it exits, every reminder due on that date
(default today). Running it twice for the same date sends nothing new: each source records what it sent.

Each source is a function `(date) -> messages sent`, named by its dotted path in SOURCES and run in that order; the
project follow-up (milestones, progress and final reports) adds its own here.
"""

from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone
from django.utils.module_loading import import_string

SOURCES = [
    "reviews.reminders.send_review_reminders",
    "reviews.reminders.send_overdue_escalations",
]


def _date(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be a date as YYYY-MM-DD, not {value!r}.") from None


class Command(BaseCommand):
    help = "Send every reminder due on a date (default today): reviews and escalations. Safe to rerun."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="The date as YYYY-MM-DD (default: today).")

    def handle(self, *args: Any, **options: Any) -> None:
        today = _date(options["date"]) if options["date"] else timezone.localdate()
        total = 0
        for path in SOURCES:
            sent = import_string(path)(today)
            total += sent
            self.stdout.write(f"{path.rsplit('.', 1)[-1]}: {sent}")
        self.stdout.write(self.style.SUCCESS(f"{total} messages sent for {today.isoformat()}."))
