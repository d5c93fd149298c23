from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from audit.backup import RestoreRefused, restore


class Command(BaseCommand):
    help = "Load a backup archive into an empty, migrated database and restore its files into MEDIA_ROOT."

    def add_arguments(self, parser):
        parser.add_argument("path", help="An archive written by `manage.py backup`")

    def handle(self, *args, path: str, **options):
        if not Path(path).is_file():
            raise CommandError(f"path: {path} is not a file")
        try:
            manifest = restore(Path(path))
        except RestoreRefused as exc:
            raise CommandError(f"Refused: {exc}") from None
        rows = sum(manifest["rows"].values())
        self.stdout.write(
            f"{path}: restored {rows} rows of {len(manifest['rows'])} models, {len(manifest['files'])} files"
        )
