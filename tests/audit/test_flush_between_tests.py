"""Transactional tests (transaction=True, live_server) flush the database afterwards; the audit trail must allow it.

PostgreSQL flushes with TRUNCATE, which the row-level trigger does not fire on. SQLite flushes with DELETE, which
the trigger refuses, so tests/conftest.py (_audit_trigger_survives_flush) drops the SQLite triggers just before the
flush of a transactional test and recreates them at the start of every database test. These tests run in file order:
the first commits entries, the ones after it prove the flush emptied the table and the trigger is back.
"""

import pytest
from django.db import transaction
from django.db.utils import IntegrityError

from audit.models import AuditEntry
from audit.services import record
from tests.factories import ApplicationFactory


def _assert_append_only():
    entry = record(ApplicationFactory(), "grants.application.submit")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(comment="x")
    with pytest.raises(IntegrityError, match="append-only"), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


@pytest.mark.django_db(transaction=True)
def test_a_transactional_test_commits_audit_entries():
    record(ApplicationFactory(), "grants.application.create")

    assert AuditEntry.objects.count() == 1
    _assert_append_only()


@pytest.mark.django_db(transaction=True)
def test_the_next_transactional_test_starts_empty_with_the_trigger_in_place():
    assert AuditEntry.objects.count() == 0
    _assert_append_only()


@pytest.mark.django_db
def test_a_plain_test_after_a_flush_still_has_the_trigger():
    assert AuditEntry.objects.count() == 0
    _assert_append_only()
