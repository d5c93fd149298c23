"""Backup and restore: the database as Django's JSON (database-agnostic: a PostgreSQL backup restores into SQLite
and back) and the uploaded files, in one tar.gz.

The archive holds `manifest.json` (when, from which database, rows per model, files), `db.json` (dumpdata of every
app; content types and permissions by natural key, since migrate makes them itself) and `media/` (MEDIA_ROOT). The
audit trail's trigger refuses UPDATE and DELETE, not INSERT, so loading it is allowed; restoring goes into an empty,
migrated database only, so nothing has to be updated or deleted.
"""

import io
import json
import tarfile
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

# Made by migrate in every database (so not restored), or worth nothing in a restore (sessions).
EXCLUDED = ["contenttypes", "auth.permission", "sessions"]
FORMAT = 1


class RestoreRefused(Exception):
    pass


def restored_models() -> list[Any]:
    skipped = {"contenttypes.contenttype", "auth.permission", "sessions.session"}
    return [m for m in apps.get_models() if m._meta.label_lower not in skipped and m._meta.managed]


def backup(path: Path) -> dict[str, Any]:
    """Write the archive to `path`; return its manifest."""
    media = Path(settings.MEDIA_ROOT)
    files = sorted(p for p in media.rglob("*") if p.is_file()) if media.exists() else []
    with tempfile.TemporaryDirectory() as tmp:
        dump = Path(tmp) / "db.json"
        call_command("dumpdata", natural_foreign=True, exclude=EXCLUDED, indent=None, output=str(dump), verbosity=0)
        rows = Counter(obj["model"] for obj in json.loads(dump.read_text()))
        manifest = {
            "format": FORMAT,
            "created": timezone.now().isoformat(),
            "database": connection.vendor,
            "rows": dict(sorted(rows.items())),
            "files": [str(p.relative_to(media)) for p in files],
        }
        with tarfile.open(path, "w:gz") as tar:
            _add_bytes(tar, "manifest.json", json.dumps(manifest, indent=2).encode())
            tar.add(dump, arcname="db.json")
            for file in files:
                tar.add(file, arcname=f"media/{file.relative_to(media)}")
    return manifest


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mtime = len(data), int(timezone.now().timestamp())
    tar.addfile(info, io.BytesIO(data))


def non_empty_models() -> list[str]:
    return [m._meta.label for m in restored_models() if m._base_manager.exists()]


def restore(path: Path) -> dict[str, Any]:
    """Load the archive into this (migrated, empty) database and MEDIA_ROOT; return its manifest."""
    if busy := non_empty_models():
        raise RestoreRefused(
            f"the database is not empty ({', '.join(busy[:5])}{' …' if len(busy) > 5 else ''} have rows): "
            "restore only into a new database that has been migrated and holds nothing else"
        )
    with tarfile.open(path, "r:gz") as tar, tempfile.TemporaryDirectory() as tmp:
        manifest = json.load(tar.extractfile("manifest.json"))  # type: ignore[arg-type]
        if manifest.get("format") != FORMAT:
            raise RestoreRefused(f"the archive's format {manifest.get('format')!r} is not {FORMAT}")
        tar.extract("db.json", tmp, filter="data")
        with transaction.atomic():
            call_command("loaddata", str(Path(tmp) / "db.json"), verbosity=0)
        media = [m for m in tar.getmembers() if m.name.startswith("media/") and m.isfile()]
        for member in media:
            member.name = member.name.removeprefix("media/")
        # The "data" filter refuses absolute paths, "..", links out of the folder and device files.
        tar.extractall(settings.MEDIA_ROOT, members=media, filter="data")
    return manifest
