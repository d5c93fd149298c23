"""`manage.py import_indicators PATH... [--dry-run]`: SKDE's files, all or nothing (CONTRACT.md)."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from registries.services import import_files


class Command(BaseCommand):
    help = (
        "Import SKDE indicator definitions, the organisation tree, event rows and aggregated rows (CSV or XLSX), "
        "each recognised by its header. A run with any bad row imports nothing and exits 1."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("paths", nargs="+", metavar="PATH")
        parser.add_argument("--dry-run", action="store_true", help="Check and report, store nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        result = import_files(options["paths"], dry_run=options["dry_run"])
        for problem in result.problems:
            self.stderr.write(problem)
        if not result.ok:
            raise CommandError(f"{len(result.problems)} problem(s); nothing was imported.", returncode=1)
        for file in result.files:
            self.stdout.write(file.summary())
        if result.dry_run:
            self.stdout.write("Dry run: nothing was stored.")
        else:
            self.stdout.write(self.style.SUCCESS("Imported."))
