"""The audit trail is append-only in the database itself: the trigger refuses UPDATE and DELETE."""

import pytest
from django.db import connection, transaction
from django.db.utils import IntegrityError

from audit.models import AuditEntry
from audit.services import record
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

# SQLite's RAISE(ABORT) is a constraint failure; on PostgreSQL the trigger raises SQLSTATE 23001 (restrict_violation).
REFUSAL = IntegrityError


@pytest.fixture
def entry():
    return record(
        ApplicationFactory(),
        "grants.application.submit",
        actor=UserFactory(),
        source="draft",
        target="submitted",
        comment="Ferdig.",
    )


def _as_stored(entry):
    return AuditEntry.objects.filter(pk=entry.pk).values().get()


def _refused(act):
    # A savepoint, so that on PostgreSQL the test's transaction is still usable afterwards.
    with pytest.raises(REFUSAL, match="audit entries are append-only"), transaction.atomic():
        act()


@pytest.mark.parametrize(
    "change",
    [
        {"comment": "Endret i ettertid."},
        {"target": "granted"},
        {"actor": None},
        {"action": "grants.application.grant"},
    ],
    ids=lambda change: next(iter(change)),
)
def test_queryset_update_is_refused(entry, change):
    before = _as_stored(entry)

    _refused(lambda: AuditEntry.objects.filter(pk=entry.pk).update(**change))

    assert _as_stored(entry) == before


def test_saving_a_changed_entry_is_refused(entry):
    before = _as_stored(entry)
    entry.comment = "Endret i ettertid."

    _refused(entry.save)

    assert _as_stored(entry) == before


def test_queryset_delete_is_refused(entry):
    _refused(lambda: AuditEntry.objects.filter(pk=entry.pk).delete())

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_instance_delete_is_refused(entry):
    _refused(entry.delete)

    assert AuditEntry.objects.filter(pk=entry.pk).exists()


def test_bulk_delete_of_the_whole_table_is_refused(entry):
    record(entry.content_type.get_object_for_this_type(pk=entry.object_id), "grants.application.withdraw")

    _refused(lambda: AuditEntry.objects.all().delete())

    assert AuditEntry.objects.count() == 2


def test_raw_sql_is_refused_too(entry):
    def act():
        with connection.cursor() as cursor:
            cursor.execute("UPDATE audit_auditentry SET comment = %s WHERE id = %s", ["x", entry.pk])

    _refused(act)

    assert _as_stored(entry)["comment"] == "Ferdig."


def test_appending_still_works(entry):
    record(entry.content_type.get_object_for_this_type(pk=entry.object_id), "grants.application.withdraw")

    assert list(AuditEntry.objects.values_list("action", flat=True)) == [
        "grants.application.submit",
        "grants.application.withdraw",
    ]


def test_deleting_an_actor_with_history_is_refused(entry):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError):
        entry.actor.delete()
