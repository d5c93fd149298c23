"""A backup restores into an empty database with every row and every uploaded file identical.

The world is the access matrix's (applications in every state, a project with its agreement and signed copy, the
decision letter, the recommendation PDF, payments, progress reports, an import upload, tokens, audit entries),
plus an audit entry with data. It is backed up from the database under test (SQLite or PostgreSQL) and restored,
in a child process, into a new SQLite file migrated from scratch.
"""

import hashlib
import io
import json
import tarfile
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from audit.services import record
from tests.access.world import build_world

from .conftest import manage
from .snapshot import snapshot

pytestmark = pytest.mark.django_db


def _files(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in root.rglob("*") if p.is_file()
    }


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    return tmp_path / "media"


def test_a_backup_restores_into_an_empty_database_identically(media, migrated_sqlite, tmp_path):
    world = build_world()
    record(world.users["secretariat"], "audit.auditentry.export", actor=world.users["secretariat"], data={"rows": 3})
    archive = tmp_path / "backup.tar.gz"
    out = io.StringIO()

    call_command("backup", str(archive), stdout=out)

    restored_media = tmp_path / "restored-media"
    result = manage("restore", str(archive), database=migrated_sqlite, media=restored_media)
    assert result.returncode == 0, result.stderr
    dumped = manage(
        "shell",
        "--no-imports",
        "-v",
        "0",
        "-c",
        "from tests.audit.snapshot import main; main()",
        database=migrated_sqlite,
        media=restored_media,
    )
    assert dumped.returncode == 0, dumped.stderr
    before, after = snapshot(), json.loads(dumped.stdout)
    assert sorted(after) == sorted(before)
    differing = [table for table in before if before[table] != after[table]]
    assert differing == [], {t: (before[t], after[t]) for t in differing}
    assert sum(len(rows) for rows in before.values()) > 50
    assert len(before["audit.AuditEntry"]) > 0 and len(before["finance.Payment"]) > 0
    files = _files(media)
    assert len(files) >= 6  # agreement, signed copy, letter, recommendation, annual summary, import upload
    assert _files(restored_media) == files
    assert out.getvalue().startswith(f"{archive}: ")


def test_restore_refuses_a_database_that_is_not_empty(media, migrated_sqlite, tmp_path):
    build_world()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())
    assert manage("restore", str(archive), database=migrated_sqlite, media=tmp_path / "m").returncode == 0

    again = manage("restore", str(archive), database=migrated_sqlite, media=tmp_path / "m")

    assert again.returncode == 1
    assert "Refused: the database is not empty (" in again.stderr
    assert "restore only into a new database that has been migrated" in again.stderr


def test_restore_into_the_database_under_test_refuses_when_it_has_rows(media, tmp_path):
    build_world()
    archive = tmp_path / "backup.tar.gz"
    call_command("backup", str(archive), stdout=io.StringIO())

    with pytest.raises(CommandError, match="Refused: the database is not empty"):
        call_command("restore", str(archive))


def test_a_missing_archive_names_the_path(tmp_path):
    with pytest.raises(CommandError, match=r"path: .* is not a file"):
        call_command("restore", str(tmp_path / "none.tar.gz"))


def test_the_archive_holds_a_manifest_the_database_and_the_files(media, tmp_path):
    world = build_world()
    archive = tmp_path / "backup.tar.gz"

    call_command("backup", str(archive), stdout=io.StringIO())

    with tarfile.open(archive) as tar:
        names = tar.getnames()
        manifest = json.load(tar.extractfile("manifest.json"))
    assert names[:2] == ["manifest.json", "db.json"]
    assert sorted(n for n in names[2:]) == sorted(f"media/{f}" for f in manifest["files"])
    assert manifest["rows"]["grants.application"] == 5
    assert manifest["rows"]["accounts.user"] == len([u for u in world.users.values() if u])
    assert "contenttypes.contenttype" not in manifest["rows"]
