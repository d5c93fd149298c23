from pathlib import Path

from django.core.management.base import BaseCommand

from audit.backup import backup


class Command(BaseCommand):
    help = "Write the database (all apps, as JSON) and the uploaded files (MEDIA_ROOT) to one tar.gz archive."

    def add_arguments(self, parser):
        parser.add_argument("path", help="The archive to write, e.g. backup-2026-11-25.tar.gz")

    def handle(self, *args, path: str, **options):
        manifest = backup(Path(path))
        rows = sum(manifest["rows"].values())
        self.stdout.write(f"{path}: {rows} rows of {len(manifest['rows'])} models, {len(manifest['files'])} files")
