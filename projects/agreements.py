"""The grant agreement: generated from the scheme's template in the worker, accepted in the app or by upload.

Reporting schedule (chosen here, shown in the agreement and created when it is accepted): the project period is cut
into periods of `Scheme.progress_report_months` from the start date; a progress report covers each period that ends
before the project's end date and is due one month after its period ends. The last stretch up to the end date is
covered by the final report, due `Scheme.final_report_months` after the end date. A project shorter than one period
has no progress report. The same numbers (`schedule`) go into the PDF and into the ProgressReport rows, so the
agreement never promises dates the system does not follow.
"""

import calendar
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import uuid4

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.exceptions import ActionRefused
from core.storage import kept_only_if_recorded

from .models import Project

# Months after a period's end that its progress report is due.
REPORT_GRACE_MONTHS = 1
SIGNED_AGREEMENT_MAX_BYTES = 10 * 1024 * 1024
PDF_MAGIC = b"%PDF-"


def add_months(day: date, months: int) -> date:
    """`day` moved by whole months, clamped to the month's last day (31 Jan + 1 month = 28/29 Feb)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


@dataclass(frozen=True)
class Period:
    number: int
    start: date
    end: date
    due: date


def schedule(start: date | None, end: date | None, every_months: int) -> list[Period]:
    """The progress-report periods of a project (see the module's docstring); pure."""
    if start is None or end is None or every_months <= 0:
        return []
    periods = []
    number = 1
    while (next_start := add_months(start, number * every_months)) <= end:
        period_start = add_months(start, (number - 1) * every_months)
        period_end = date.fromordinal(next_start.toordinal() - 1)
        periods.append(Period(number, period_start, period_end, add_months(period_end, REPORT_GRACE_MONTHS)))
        number += 1
    return periods


def final_report_due(end: date | None, months: int) -> date | None:
    return add_months(end, months) if end else None


def project_schedule(project: Project) -> list[Period]:
    scheme = project.application.call.scheme
    return schedule(project.start_date, project.end_date, scheme.progress_report_months)


def agreement_context(project: Project) -> dict[str, Any]:
    application = project.application
    scheme = application.call.scheme
    return {
        "project": project,
        "application": application,
        "registry": project.registry,
        "scheme": scheme,
        "call": application.call,
        "periods": project_schedule(project),
        "final_report_due": final_report_due(project.end_date, scheme.final_report_months),
        "conditions": application.conditions.strip(),
        "terms": scheme.agreement_template.strip(),
    }


def render_agreement(project_pk: int) -> Project:
    """Render and store the agreement once (a rerun of the task changes nothing)."""
    from core.pdf import render_pdf_template

    project = Project.objects.select_related("registry", "application__call__scheme").get(pk=project_pk)
    if project.agreement_pdf:
        return project
    content = render_pdf_template("pdf/agreement.html", agreement_context(project))
    project.agreement_pdf.save(f"{uuid4().hex}.pdf", ContentFile(content), save=False)
    project.agreement_generated_at = timezone.now()
    with kept_only_if_recorded(project.agreement_pdf):
        project.save(update_fields=["agreement_pdf", "agreement_generated_at"])
    return project


def queue_agreement(project_pk: int) -> None:
    from core.tasks import render_agreement_pdf

    render_agreement_pdf.enqueue(project_pk)


def schedule_agreement(project: Project) -> None:
    """Called inside the transaction that creates the project: the PDF is rendered in the worker after commit."""
    transaction.on_commit(lambda: queue_agreement(project.pk))


def download_name(project: Project, signed: bool = False) -> str:
    return f"{'signed-' if signed else ''}agreement-{project.pk}.pdf"


def check_signed_pdf(upload: UploadedFile | None) -> bytes:
    """The uploaded signed copy's bytes, or ActionRefused naming the field (`signed_agreement`)."""
    field = "signed_agreement"
    if upload is None:
        raise ActionRefused(_("Choose the signed agreement (PDF)."), {field: [_("Choose the signed agreement (PDF).")]})
    if upload.size is not None and upload.size > SIGNED_AGREEMENT_MAX_BYTES:
        msg = _("The file is larger than %(mb)s MB.") % {"mb": SIGNED_AGREEMENT_MAX_BYTES // (1024 * 1024)}
        raise ActionRefused(msg, {field: [msg]})
    content = upload.read(SIGNED_AGREEMENT_MAX_BYTES + 1)
    if len(content) > SIGNED_AGREEMENT_MAX_BYTES:
        msg = _("The file is larger than %(mb)s MB.") % {"mb": SIGNED_AGREEMENT_MAX_BYTES // (1024 * 1024)}
        raise ActionRefused(msg, {field: [msg]})
    if not content.startswith(PDF_MAGIC):
        msg = _("The signed agreement must be a PDF file.")
        raise ActionRefused(msg, {field: [msg]})
    return content


def accepted_name(by: Any, name: str) -> str:
    """The name typed by whoever accepts; the account's name when none is typed (the API, an uploaded copy)."""
    return (name or "").strip() or str(getattr(by, "full_name", "") or "").strip() or by.email


def check_acceptance(name: str) -> None:
    if len(name.strip()) > 200:
        msg = _("The name is longer than 200 characters.")
        raise ActionRefused(msg, {"name": [msg]})


def stamp_acceptance(project: Project, *, by: Any, name: str, signed_pdf: bytes | None) -> None:
    """Inside the accept_agreement transaction: who accepted, the signed copy, the final report's due date and the
    progress-report schedule (created once; a project accepted again after a data fix keeps its reports)."""
    from .models import ProgressReport

    scheme = project.application.call.scheme
    project.agreement_accepted_by = by
    project.agreement_accepted_name = accepted_name(by, name)
    project.final_report_due = final_report_due(project.end_date, scheme.final_report_months)
    fields = ["agreement_accepted_by", "agreement_accepted_name", "final_report_due"]
    if signed_pdf is not None:
        project.signed_agreement.save(f"{uuid4().hex}.pdf", ContentFile(signed_pdf), save=False)
        fields.append("signed_agreement")
    project.save(update_fields=fields)
    if not project.progress_reports.exists():
        ProgressReport.objects.bulk_create(
            ProgressReport(project=project, number=p.number, period_start=p.start, period_end=p.end, due_date=p.due)
            for p in schedule(project.start_date, project.end_date, scheme.progress_report_months)
        )
