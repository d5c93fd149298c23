"""The retention policy is applied by `manage.py apply_retention`: per kind, only what is past its period, once."""

import io
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.sessions.models import Session
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import ApiToken
from audit import retention
from audit.models import AuditEntry
from audit.services import record
from core.models import OutboxMessage
from grants.models import Application, DecisionLetter
from registries.models import IndicatorImport
from tests.factories import ApplicationFactory, UserFactory

pytestmark = pytest.mark.django_db

START = datetime(2024, 1, 10, 12, tzinfo=UTC)


def _run(*args):
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out)
    return out.getvalue().splitlines()


@pytest.fixture
def world(time_machine):
    """Two of everything the policy covers: one old enough to go on 2026-03-01, one too young (or not covered)."""
    time_machine.move_to(START)
    user = UserFactory()
    old_draft = ApplicationFactory(state="withdrawn", submitted_at=None)
    withdrawn_after_submission = ApplicationFactory(state="withdrawn", submitted_at=START)
    rejected = ApplicationFactory(state="rejected", decided_at=START - timedelta(days=11 * 365))
    old_letter = DecisionLetter.objects.create(application=rejected, pdf=ContentFile(b"%PDF-1.4", "rejected.pdf"))
    granted = ApplicationFactory(state="granted", decided_at=START - timedelta(days=11 * 365))
    kept_letter = DecisionLetter.objects.create(application=granted, pdf=ContentFile(b"%PDF-1.4", "granted.pdf"))
    sent = OutboxMessage.objects.create(key="old", kind="t", to="a@example.no", subject="s", body="b", state="sent")
    pending = OutboxMessage.objects.create(key="wait", kind="t", to="a@example.no", subject="s", body="b")
    upload = IndicatorImport.objects.create(
        file=ContentFile(b"year;orgnr\n", "old.csv"), original_name="old.csv", uploaded_by=user, state="done"
    )
    old_token = ApiToken.objects.create(user=user, name="gammel", prefix="a", key_hash="a" * 64, revoked_at=START)
    live_token = ApiToken.objects.create(user=user, name="i bruk", prefix="b", key_hash="b" * 64)
    Session.objects.create(session_key="expired", session_data="x", expire_date=START)
    entry = record(old_draft, "grants.application.withdraw", actor=user)
    time_machine.move_to(datetime(2026, 2, 1, 12, tzinfo=UTC))
    young_draft = ApplicationFactory(state="withdrawn", submitted_at=None)
    young_sent = OutboxMessage.objects.create(
        key="new", kind="t", to="a@example.no", subject="s", body="b", state="sent"
    )
    Session.objects.create(session_key="live", session_data="x", expire_date=datetime(2026, 12, 1, tzinfo=UTC))
    return locals()


EXPECTED = [
    "withdrawn_drafts: deleted 1",
    "rejected_letters: deleted the file of 1",
    "outbox: deleted 1",
    "indicator_uploads: deleted the file of 1",
    "sessions: deleted 1",
    "revoked_api_tokens: deleted 1",
    "audit_trail: kept (The audit trail: who did or read what, when)",
]


def test_a_dry_run_counts_and_changes_nothing(world):
    counts = (Application.objects.count(), OutboxMessage.objects.count(), Session.objects.count())

    lines = _run("--dry-run", "--date", "2026-03-01")

    assert lines == [line.replace("deleted", "would delete") for line in EXPECTED]
    assert (Application.objects.count(), OutboxMessage.objects.count(), Session.objects.count()) == counts
    assert world["upload"].file.storage.exists(world["upload"].file.name)


def test_applying_removes_exactly_what_is_past_its_period(world, django_capture_on_commit_callbacks):
    letter_file, upload_file = world["old_letter"].pdf.name, world["upload"].file.name
    storage = world["old_letter"].pdf.storage

    with django_capture_on_commit_callbacks(execute=True):
        lines = _run("--date", "2026-03-01")

    assert lines == EXPECTED
    assert set(Application.objects.values_list("pk", flat=True)) == {
        world[k].pk for k in ("withdrawn_after_submission", "rejected", "granted", "young_draft")
    }
    assert set(OutboxMessage.objects.values_list("key", flat=True)) == {"wait", "new"}
    assert list(Session.objects.values_list("session_key", flat=True)) == ["live"]
    assert list(ApiToken.objects.values_list("name", flat=True)) == ["i bruk"]
    world["old_letter"].refresh_from_db()
    world["upload"].refresh_from_db()
    assert (world["old_letter"].pdf.name, world["upload"].file.name) == ("", "")
    assert (storage.exists(letter_file), storage.exists(upload_file)) == (False, False)
    assert storage.exists(world["kept_letter"].pdf.name)
    # the trail is kept, also about the deleted draft
    assert AuditEntry.objects.filter(pk=world["entry"].pk).exists()


def test_applying_twice_does_nothing_the_second_time(world):
    _run("--date", "2026-03-01")

    assert _run("--date", "2026-03-01") == [
        line.rsplit(" ", 1)[0] + " 0" if not line.startswith("audit_trail") else line for line in EXPECTED
    ]


def test_the_default_day_is_today(world, time_machine):
    time_machine.move_to(datetime(2024, 6, 1, 12, tzinfo=UTC))  # only the expired session is past its period

    assert _run("--dry-run")[:6] == [
        "withdrawn_drafts: would delete 0",
        "rejected_letters: would delete the file of 1",
        "outbox: would delete 1",
        "indicator_uploads: would delete the file of 0",
        "sessions: would delete 1",
        "revoked_api_tokens: would delete 0",
    ]


def test_a_bad_date_names_the_option():
    with pytest.raises(CommandError, match="--date: '2026-02-30' is not a date"):
        _run("--date", "2026-02-30")


def test_every_rule_states_its_period_action_and_basis():
    assert [
        (r.kind, r.action) for r in retention.POLICY if not r.basis or (r.age is None) != (r.action == "keep")
    ] == []
    assert len({r.kind for r in retention.POLICY}) == len(retention.POLICY)
    assert timezone.is_aware(retention.cutoff(retention.POLICY[0], START.date()))
