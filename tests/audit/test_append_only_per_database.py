"""Raw SQL cannot change the audit trail either: the trigger refuses UPDATE and DELETE on each database we run on.

SQLite is always checked, on a database migrated from scratch in a child process (so also when the suite runs on
PostgreSQL); PostgreSQL when the suite runs on it (DATABASE_URL). The ORM's attempts are in test_append_only.py.
"""

import sqlite3

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError

from audit.models import AuditEntry
from audit.services import record
from tests.factories import ApplicationFactory, UserFactory

STATEMENTS = {
    "update": "UPDATE audit_auditentry SET comment = 'endret' WHERE id = {id}",
    "update-all": "UPDATE audit_auditentry SET actor_id = NULL",
    "delete": "DELETE FROM audit_auditentry WHERE id = {id}",
    "delete-all": "DELETE FROM audit_auditentry",
}
INSERT = """INSERT INTO audit_auditentry (at, action, content_type_id, object_id, source, target, comment, data)
            SELECT '2026-01-01 00:00:00', 'grants.application.submit', id, 1, 'draft', 'submitted', 'Ferdig.', '{}'
            FROM django_content_type WHERE app_label = 'grants' AND model = 'application'"""


@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_sqlite_refuses_raw_update_and_delete(migrated_sqlite, statement):
    db = sqlite3.connect(migrated_sqlite)
    entry_id = db.execute(INSERT).lastrowid
    db.commit()
    before = db.execute("SELECT * FROM audit_auditentry").fetchall()

    with pytest.raises(sqlite3.IntegrityError, match="audit entries are append-only"):
        db.execute(STATEMENTS[statement].format(id=entry_id))
    db.rollback()

    assert db.execute("SELECT * FROM audit_auditentry").fetchall() == before
    db.close()


@pytest.mark.postgres
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the suite runs on SQLite (DATABASE_URL is not PostgreSQL)"
)
@pytest.mark.django_db
@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_postgresql_refuses_raw_update_and_delete(statement):
    entry = record(ApplicationFactory(), "grants.application.submit", actor=UserFactory(), comment="Ferdig.")
    before = list(AuditEntry.objects.values())

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(STATEMENTS[statement].format(id=entry.pk))

    assert list(AuditEntry.objects.values()) == before


@pytest.mark.django_db
@pytest.mark.parametrize("statement", list(STATEMENTS))
def test_the_database_under_test_refuses_raw_update_and_delete(statement):
    entry = record(ApplicationFactory(), "grants.application.submit", actor=UserFactory(), comment="Ferdig.")
    before = list(AuditEntry.objects.values())

    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(STATEMENTS[statement].format(id=entry.pk))

    assert list(AuditEntry.objects.values()) == before
