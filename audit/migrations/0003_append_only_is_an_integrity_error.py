"""Report a refused UPDATE or DELETE of an audit entry as an integrity error on PostgreSQL too.

PL/pgSQL's plain RAISE EXCEPTION has SQLSTATE P0001, which psycopg reports as ProgrammingError (as if our SQL
were wrong). SQLSTATE 23001 (restrict_violation) makes it IntegrityError, as SQLite's RAISE(ABORT) already is.
"""

from django.db import migrations

UP = """CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only' USING ERRCODE = 'restrict_violation'; END;
       $$ LANGUAGE plpgsql;"""
DOWN = """CREATE OR REPLACE FUNCTION audit_auditentry_append_only() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit entries are append-only'; END; $$ LANGUAGE plpgsql;"""


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(UP)


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DOWN)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_append_only_trigger")]
    operations = [migrations.RunPython(forwards, backwards)]
