"""The annual summary's files: made in the worker with progress the page can show, and kept per year, format, table
and language until the figures change (finance.annual.Summary.digest)."""

import logging
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone, translation

from core.storage import kept_only_if_recorded

from . import annual
from .models import AnnualSummaryFile

log = logging.getLogger(__name__)
Status = AnnualSummaryFile.Status


def valid_table(result: annual.Summary, fmt: str, table: str) -> str:
    """The table a CSV holds ("applications" when none is named); "" for PDF and XLSX, which hold them all.
    Raises KeyError for a table the year does not have."""
    if fmt != "csv":
        return ""
    table = table or "applications"
    if table not in result.keys:
        raise KeyError(table)
    return table


def request_file(year: int, fmt: str, table: str = "", *, by: Any = None, queue: bool = True) -> AnnualSummaryFile:
    """The file for the figures as they are now: the kept one when they have not changed since it was made (or is
    being made), else a new one, queued for the worker after the commit (`queue`=False: the caller builds it)."""
    language = settings.LANGUAGE_CODE
    with translation.override(language):
        result = annual.summary(year)
    table = valid_table(result, fmt, table)
    digest = result.digest(fmt, table, language)
    job, created = AnnualSummaryFile.objects.get_or_create(
        year=year,
        format=fmt,
        table=table,
        language=language,
        digest=digest,
        defaults={"requested_by": by if getattr(by, "pk", None) else None},
    )
    if not created and job.status == Status.FAILED:
        AnnualSummaryFile.objects.filter(pk=job.pk).update(status=Status.QUEUED, progress=0, error="")
        job.status, created = Status.QUEUED, True
    if created and queue:
        from core.tasks import build_annual_summary

        transaction.on_commit(lambda: build_annual_summary.enqueue(job.pk))
    return job


def _progress(pk: int) -> Any:
    def report(percent: int) -> None:
        AnnualSummaryFile.objects.filter(pk=pk).update(progress=min(max(percent, 0), 99))

    return report


def build(pk: int) -> AnnualSummaryFile:
    """Make the file (the worker's task; also called directly by the API). A file already made is left alone; older
    files of the same year, format, table and language are deleted once the new one is there."""
    job = AnnualSummaryFile.objects.get(pk=pk)
    if job.status == Status.DONE:
        return job
    AnnualSummaryFile.objects.filter(pk=pk).update(status=Status.RUNNING, progress=5)
    try:
        with translation.override(job.language):
            result = annual.summary(job.year)
            _progress(pk)(10)
            content = annual.render(result, job.format, job.table, progress=_progress(pk))
    except Exception as exc:
        _failed(pk, exc)
        raise
    job.file.save(f"{uuid4().hex}.{job.format}", ContentFile(content), save=False)
    job.status, job.progress, job.finished_at = Status.DONE, 100, timezone.now()
    try:
        with kept_only_if_recorded(job.file):
            job.save(update_fields=["file", "status", "progress", "finished_at"])
    except Exception as exc:
        _failed(pk, exc)
        raise
    _forget_older(job)
    return job


def _failed(pk: int, exc: Exception) -> None:
    """Marked failed, so asking again starts a new attempt (best effort: the database may be what failed)."""
    log.exception("annual summary %s failed", pk)
    try:
        AnnualSummaryFile.objects.filter(pk=pk).update(status=Status.FAILED, error=str(exc)[:2000])
    except Exception:
        log.exception("annual summary %s: could not record the failure", pk)


def _forget_older(job: AnnualSummaryFile) -> None:
    older = AnnualSummaryFile.objects.filter(
        year=job.year, format=job.format, table=job.table, language=job.language, status=Status.DONE
    ).exclude(pk=job.pk)
    for old in older:
        if old.file:
            old.file.delete(save=False)
        old.delete()


def file_now(year: int, fmt: str, table: str = "", *, by: Any = None) -> AnnualSummaryFile:
    """The file for the figures as they are now, made here and now when it is not kept (the API's synchronous
    download)."""
    job = request_file(year, fmt, table, by=by, queue=False)
    if job.status != Status.DONE:
        job = build(job.pk)
    return job
