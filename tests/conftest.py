import os

os.environ.setdefault("TESTING", "1")

import pytest


@pytest.fixture(autouse=True)
def _english_and_fast(settings):
    settings.LANGUAGE_CODE = "en"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.REQUIRE_MFA_FOR_STAFF = False
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(autouse=True)
def _media_outside_the_checkout(settings, tmp_path_factory):
    """Stored files (the recommendation and letter PDFs) go to a temporary folder, never into the checkout."""
    settings.MEDIA_ROOT = str(tmp_path_factory.getbasetemp() / "media")


@pytest.fixture(autouse=True)
def _audit_trigger_survives_flush(request):
    """The audit trail is append-only: on SQLite the trigger also refuses the DELETE with which Django flushes
    the database after a transactional test (live_server, browser tests). For those tests only, drop the
    triggers just before the flush; every test that uses the database starts by making sure they exist.
    PostgreSQL flushes with TRUNCATE, which row triggers do not see, so nothing is needed there."""
    marker = request.node.get_closest_marker("django_db")
    names = set(request.fixturenames)
    if not marker and not names & {"db", "transactional_db", "live_server"}:
        yield
        return
    request.getfixturevalue("_django_db_helper")
    from django.db import connection

    transactional = bool(names & {"transactional_db", "live_server"}) or bool(
        marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    )
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            for sql in _sqlite_trigger_sql():
                cursor.execute(sql.replace("CREATE TRIGGER", "CREATE TRIGGER IF NOT EXISTS"))
    yield
    if transactional and connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditentry_no_update")
            cursor.execute("DROP TRIGGER IF EXISTS audit_auditentry_no_delete")


def _sqlite_trigger_sql():
    import importlib

    return importlib.import_module("audit.migrations.0002_append_only_trigger").SQLITE_UP
