"""registries.services.start_import and the background task that imports an uploaded file (run_indicator_import)."""

import re
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from audit.models import AuditEntry
from core.exceptions import ActionRefused, NotPermitted
from registries.models import IndicatorDelivery, IndicatorImport, IndicatorValue
from registries.services import _ProgressSaver, import_files, live_progress, start_import
from registries.tasks import run_indicator_import
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db

HOSPITAL_A, HOSPITAL_B = 974000001, 974000002
EVENTS = '"year";"orgnr";"var";"ind_id"\n'


@pytest.fixture
def world():
    registry, other = RegistryFactory(), RegistryFactory()
    OrganisationFactory(orgnr=HOSPITAL_A)
    OrganisationFactory(orgnr=HOSPITAL_B)
    IndicatorFactory(id="own1", registry=registry)
    IndicatorFactory(id="their1", registry=other)
    return {
        "registry": registry,
        "other": other,
        "member": member_of(registry),
        "secretariat": UserFactory(is_secretariat=True),
    }


def csv(rows: list[str], name: str = "verdier.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (EVENTS + "\n".join(rows) + "\n").encode(), content_type="text/csv")


def upload(file, *, by, registry=None, dry_run=False, callbacks=None):
    """start_import, then (with the on-commit capture) the task it queued, run by the immediate backend."""
    with callbacks(execute=True):
        job = start_import(file, by=by, registry=registry, dry_run=dry_run)
    job.refresh_from_db()
    return job


def stored() -> set[tuple[str, int, int]]:
    return set(IndicatorValue.objects.values_list("indicator_id", "organisation_id", "year"))


def actions(job) -> list[str]:
    return list(
        AuditEntry.objects.filter(object_id=job.pk, action__startswith="registries.import.")
        .values_list("action", flat=True)
        .order_by("pk")
    )


# ---------------------------------------------------------------- start_import


def test_an_upload_is_stored_under_a_generated_name_queued_and_audited(world, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks() as callbacks:
        job = start_import(csv([f'2020;{HOSPITAL_A};1;"own1"']), by=world["secretariat"])

    assert (job.state, job.original_name, job.size, job.registry, job.uploaded_by) == (
        "queued",
        "verdier.csv",
        len(EVENTS) + len(f'2020;{HOSPITAL_A};1;"own1"\n'),
        None,
        world["secretariat"],
    )
    assert re.fullmatch(r"imports/\d{4}/\d{2}/[0-9a-f]{32}\.csv", job.file.name)
    assert (Path(django_settings.MEDIA_ROOT) / job.file.name).read_bytes().startswith(EVENTS.encode())
    assert (actions(job), len(callbacks)) == (["registries.import.queued"], 1)


def test_the_queued_task_imports_the_file_after_the_commit(world, django_capture_on_commit_callbacks):
    job = upload(
        csv([f'2020;{HOSPITAL_A};1;"own1"', f'2020;{HOSPITAL_A};0;"own1"', f'2020;{HOSPITAL_B};1;"own1"']),
        by=world["secretariat"],
        callbacks=django_capture_on_commit_callbacks,
    )

    assert (job.state, job.progress, job.stage, job.kind, job.rows, job.problems) == (
        "imported",
        100,
        "done",
        "events",
        3,
        [],
    )
    assert job.summary == {
        "files": [
            {
                "name": "verdier.csv",
                "kind": "events",
                "rows": 3,
                "created": 1,
                "replaced": 0,
                "unchanged": 0,
                "aliased": [],
            }
        ]
    }
    assert job.finished_at is not None
    assert stored() == {("own1", HOSPITAL_A, 2020), ("own1", HOSPITAL_B, 2020)}
    assert list(IndicatorDelivery.objects.values_list("file_name", "indicator_id", "year")) == [
        ("verdier.csv", "own1", 2020)
    ]
    assert actions(job) == ["registries.import.queued", "registries.import.imported"]


def test_a_dry_run_is_checked_and_stores_nothing(world, django_capture_on_commit_callbacks):
    job = upload(
        csv([f'2020;{HOSPITAL_A};1;"own1"']),
        by=world["secretariat"],
        dry_run=True,
        callbacks=django_capture_on_commit_callbacks,
    )

    assert (job.state, job.summary["files"][0]["created"], job.problems) == ("checked", 1, [])
    assert (stored(), IndicatorDelivery.objects.count()) == (set(), 0)
    assert actions(job) == ["registries.import.queued", "registries.import.checked"]


def test_a_refused_file_keeps_every_problem_by_line_and_changes_nothing(world, django_capture_on_commit_callbacks):
    upload(csv([f'2019;{HOSPITAL_A};1;"own1"']), by=world["secretariat"], callbacks=django_capture_on_commit_callbacks)
    before = (stored(), IndicatorDelivery.objects.count())

    job = upload(
        csv([f'2020;{HOSPITAL_A};1;"own1"', '2020;123;1;"own1"', f'2020;{HOSPITAL_A};1;"nope"'], name="feil.csv"),
        by=world["secretariat"],
        callbacks=django_capture_on_commit_callbacks,
    )

    assert (job.state, job.progress) == ("refused", 100)
    assert job.problems == [
        "3: unknown organisation 123 (1 rows); the file is not imported until it is known",
        "4: unknown indicator “nope” (1 rows); the file is not imported until it is known",
    ]
    assert (stored(), IndicatorDelivery.objects.count()) == before
    assert actions(job) == ["registries.import.queued", "registries.import.refused"]


def test_a_member_may_not_import_another_registrys_indicators(world, django_capture_on_commit_callbacks):
    job = upload(
        csv([f'2020;{HOSPITAL_A};1;"own1"', f'2020;{HOSPITAL_A};1;"their1"']),
        by=world["member"],
        registry=world["registry"],
        callbacks=django_capture_on_commit_callbacks,
    )

    assert (job.state, job.registry, job.problems) == (
        "refused",
        world["registry"],
        ["3: indicator “their1” belongs to another registry (1 rows)"],
    )
    assert stored() == set()


def test_a_member_may_import_their_own_registrys_indicators(world, django_capture_on_commit_callbacks):
    job = upload(
        csv([f'2020;{HOSPITAL_A};1;"own1"']),
        by=world["member"],
        registry=world["registry"],
        callbacks=django_capture_on_commit_callbacks,
    )

    assert (job.state, stored()) == ("imported", {("own1", HOSPITAL_A, 2020)})


@pytest.mark.parametrize("registry", [None, "other"])
def test_a_member_may_not_import_unrestricted_or_for_another_registry(world, registry):
    with pytest.raises(NotPermitted):
        start_import(csv([]), by=world["member"], registry=world.get(registry))

    assert IndicatorImport.objects.count() == 0


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("verdier.txt", b"x", "The file must be a .csv or .xlsx file, not “.txt”."),
        ("verdier", b"x", "The file must be a .csv or .xlsx file, not “no extension”."),
        ("verdier.csv", b"", "The file is empty."),
        ("verdier.csv", b"01234567890", "The file is 11\xa0bytes; the largest file accepted is 10\xa0bytes."),
    ],
)
def test_a_bad_upload_is_refused_on_the_file_field_and_nothing_is_stored(
    world, settings, tmp_path, name, content, message
):
    settings.INDICATOR_UPLOAD_MAX_BYTES = 10
    settings.MEDIA_ROOT = str(tmp_path)

    with pytest.raises(ActionRefused) as refused:
        start_import(SimpleUploadedFile(name, content), by=world["secretariat"])

    assert (refused.value.message, refused.value.errors) == (message, {"file": [message]})
    assert (IndicatorImport.objects.count(), list(tmp_path.iterdir())) == (0, [])


def test_a_file_that_is_not_what_its_extension_says_is_refused_before_it_is_stored(world, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    message = "The file is not an XLSX workbook: its content does not match the extension."

    with pytest.raises(ActionRefused) as refused:
        start_import(SimpleUploadedFile("verdier.xlsx", b"year;orgnr\n"), by=world["secretariat"])

    assert (refused.value.errors, IndicatorImport.objects.count(), list(tmp_path.iterdir())) == (
        {"file": [message]},
        0,
        [],
    )


# ---------------------------------------------------------------- the task


def test_an_unexpected_error_fails_the_import_with_its_message_and_is_logged(
    world, caplog, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks() as callbacks:
        job = start_import(csv([f'2020;{HOSPITAL_A};1;"own1"']), by=world["secretariat"])
    job.file.delete(save=False)  # the stored file is gone (a lost volume, say)

    for callback in callbacks:
        callback()
    job.refresh_from_db()

    assert (job.state, job.progress, len(job.problems), job.problems[0].startswith("0: FileNotFoundError: ")) == (
        "failed",
        100,
        1,
        True,
    )
    assert [r.getMessage() for r in caplog.records if r.name == "registries.services"] == [
        f"Indicator import {job.pk} (verdier.csv) failed"
    ]
    failed = AuditEntry.objects.get(object_id=job.pk, action="registries.import.failed")
    assert (actions(job), failed.source, failed.target) == (
        ["registries.import.queued", "registries.import.failed"],
        "running",
        "failed",
    )


def test_a_task_delivered_twice_imports_once(world, django_capture_on_commit_callbacks):
    job = upload(
        csv([f'2020;{HOSPITAL_A};1;"own1"']), by=world["secretariat"], callbacks=django_capture_on_commit_callbacks
    )

    again = run_indicator_import.call(job.pk)

    assert (again, IndicatorDelivery.objects.count(), actions(job)[-1]) == ("imported", 1, "registries.import.imported")


def test_progress_is_published_at_most_every_five_percent_outside_the_transaction(world):
    # The import runs in one transaction: progress on its row would show only at the end. It goes to a file.
    job = IndicatorImport.objects.create(original_name="x.csv", uploaded_by=world["secretariat"], state="running")
    saver = _ProgressSaver(job.pk)
    published = []

    with CaptureQueriesContext(connection) as queries:
        for percent in range(0, 101):
            saver(percent, f"checking and saving x.csv ({percent})")
            published.append(live_progress(job))

    assert len(queries) == 0
    assert sorted({p for p, _stage in published}) == list(range(0, 101, 5))
    assert live_progress(job) == (100, "checking and saving x.csv (100)")


def test_progress_reports_each_stage_of_a_run(world):
    job = IndicatorImport.objects.create(original_name="x.csv", uploaded_by=world["secretariat"], state="running")
    saver = _ProgressSaver(job.pk)
    seen = []

    for percent, stage in [(0, "reading x.csv"), (2, "reading y.csv"), (20, "checking and saving x.csv")]:
        saver(percent, stage)
        seen.append(live_progress(job))

    assert seen == [(0, "reading x.csv"), (0, "reading x.csv"), (20, "checking and saving x.csv")]


def test_an_import_reports_progress_per_delivery(world, tmp_path):
    path = tmp_path / "x.csv"
    path.write_text(
        EVENTS + "".join(f"{y};{o};1;own1\n" for y in (2019, 2020) for o in (HOSPITAL_A, HOSPITAL_B)),
        encoding="utf-8",
    )
    seen = []

    result = import_files([path], progress=lambda percent, stage: seen.append((percent, stage)))

    assert result.ok
    assert seen == [
        (0, "reading x.csv"),
        (20, "checking and saving x.csv"),
        (35, "checked x.csv"),
        (35, "saving x.csv: own1 2019"),
        (57, "saving x.csv: own1 2020"),
        (80, "saving values of x.csv"),
        (100, "done"),
    ]


def test_a_finished_import_shows_its_rows_progress_and_the_file_is_gone(world):
    job = IndicatorImport.objects.create(original_name="x.csv", uploaded_by=world["secretariat"], state="imported")
    job.progress, job.stage = 100, "done"
    job.save()
    _ProgressSaver(job.pk)(40, "saving x.csv: own1 2020")  # left behind by a crashed worker: not shown

    assert live_progress(job) == (100, "done")


def test_a_progress_file_older_than_the_import_is_not_shown(world):
    import os

    from registries.services import progress_path

    job = IndicatorImport.objects.create(original_name="x.csv", uploaded_by=world["secretariat"], state="running")
    job.progress, job.stage = 20, "checking and saving x.csv"
    job.save()
    _ProgressSaver(job.pk)(60, "saving x.csv: own1 2019")
    old = job.created_at.timestamp() - 60
    os.utime(progress_path(job.pk), (old, old))  # left by an earlier import with the same number

    assert live_progress(job) == (20, "checking and saving x.csv")
