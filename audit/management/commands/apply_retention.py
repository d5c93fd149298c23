from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from audit import retention


class Command(BaseCommand):
    help = "Apply the retention policy (audit/retention.py) as of a day: delete or strip what is past its period."

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="Count what would be done, change nothing.")
        parser.add_argument("--date", help="Apply as of this day (YYYY-MM-DD); default today.")

    def handle(self, *args, dry_run: bool = False, date: str | None = None, **options):
        today = _day(date) if date else timezone.localdate()
        verbs = {
            retention.DELETE: "would delete" if dry_run else "deleted",
            retention.DELETE_FILE: "would delete the file of" if dry_run else "deleted the file of",
        }
        for outcome in retention.apply(today, dry_run=dry_run):
            rule = outcome.rule
            if rule.action == retention.KEEP:
                self.stdout.write(f"{rule.kind}: kept ({rule.description})")
            else:
                self.stdout.write(f"{rule.kind}: {verbs[rule.action]} {outcome.count}")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise CommandError(f"--date: {text!r} is not a date (YYYY-MM-DD)") from None
