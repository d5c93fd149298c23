import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def manage(*args: str, database: Path, media: Path | None = None, timeout: int = 120) -> subprocess.CompletedProcess:
    """manage.py in a child process on its own SQLite file (and media folder): the database the tests run on
    (SQLite or PostgreSQL) is not touched."""
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{database}", "TESTING": "1", "DEBUG": "0"}
    env.pop("PYTEST_XDIST_WORKER", None)
    if media is not None:
        env["MEDIA_ROOT"] = str(media)
    return subprocess.run(  # noqa: S603  # our own manage.py with fixed arguments
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture(scope="session")
def _migrated_sqlite_template(tmp_path_factory):
    path = tmp_path_factory.mktemp("migrated") / "template.sqlite3"
    result = manage("migrate", "--no-input", "-v0", database=path)
    assert result.returncode == 0, result.stderr
    return path


@pytest.fixture
def migrated_sqlite(_migrated_sqlite_template, tmp_path):
    """A fresh, empty, fully migrated SQLite database file (a copy of one migrated once per session)."""
    path = tmp_path / "fresh.sqlite3"
    shutil.copy(_migrated_sqlite_template, path)
    return path
