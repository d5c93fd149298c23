"""The final report as a document: its sections in the reader's language, the outcome, and the PDF the worker renders.

The PDF is stored on the report with the SHA-256 of the HTML it was rendered from. It is current while that HTML is
unchanged (the text, the outcome, the final accounts, the charts), so it is rendered again only when something in it
changed: on submission, on approval, and when someone asks for it after an edit.
"""

import hashlib
from typing import Any
from uuid import uuid4

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language

from core.storage import kept_only_if_recorded

from .models import FinalReport, Project
from .outcomes import report_outcomes
from .selectors import chart_data_uri, panel_chart, target_panels

TEMPLATE = "pdf/final_report.html"


def sections(project: Any, report: FinalReport) -> list[dict[str, Any]]:
    english = (get_language() or "nb").startswith("en")
    return [
        {
            "key": s["key"],
            "title": (s.get("title_en") if english else None) or s["title"],
            "text": report.sections.get(s["key"], ""),
        }
        for s in project.application.call.scheme.final_report_sections
    ]


def outcome_items(project: Any, report: FinalReport) -> dict[str, Any]:
    """The final report's outcome (frozen when there is one, else live), each with its target."""
    outcomes, frozen_at = report_outcomes(project, report)
    targets = {t.indicator_id: t for t in project.application.indicators.select_related("indicator")}
    return {
        "outcomes": [{"outcome": o, "target": targets.get(o.indicator_id)} for o in outcomes],
        "outcome_at": frozen_at,
    }


def context(project: Any, report: FinalReport | None = None) -> dict[str, Any]:
    """The PDF's context: the sections, the outcome and each target indicator's chart (as a data: URL)."""
    if report is None:
        report, _created = FinalReport.objects.get_or_create(project=project)
    return {
        "project": project,
        "report": report,
        "sections": sections(project, report),
        "charts": [{"panel": p, "src": chart_data_uri(panel_chart(p))} for p in target_panels(project)],
        **outcome_items(project, report),
    }


def _html(project: Project, report: FinalReport) -> str:
    """The PDF's HTML, always in the site's language: the document goes to the secretariat and the archive, not in
    the language of whoever happened to ask for it."""
    with translation.override(settings.LANGUAGE_CODE):
        return render_to_string(TEMPLATE, context(project, report))


def _digest(html: str) -> str:
    return hashlib.sha256(html.encode()).hexdigest()


def _project(project_pk: int) -> Project:
    return Project.objects.select_related("registry", "application__call__scheme").get(pk=project_pk)


def digest_now(report: FinalReport) -> str:
    """The SHA-256 of the HTML the report would render to now."""
    return _digest(_html(_project(report.project_id), report))


def is_current(report: FinalReport, digest: str | None = None) -> bool:
    """Whether the stored PDF shows the report as it is now (`digest`: from digest_now, when already computed)."""
    return bool(report.pdf) and report.pdf_sha256 == (digest or digest_now(report))


def render(project_pk: int) -> FinalReport:
    """Render the PDF and store it, unless the stored one is current. The report's row is locked while rendering,
    so two workers asked at once render it once; the replaced file is deleted after the commit."""
    from core.pdf import PDF_STYLESHEETS, render_pdf

    project = _project(project_pk)
    with transaction.atomic():
        FinalReport.objects.get_or_create(project=project)
        report = FinalReport.objects.select_for_update().get(project=project)
        html = _html(project, report)
        digest = _digest(html)
        if report.pdf and report.pdf_sha256 == digest:
            return report
        old = report.pdf.name
        report.pdf.save(f"{uuid4().hex}.pdf", ContentFile(render_pdf(html, stylesheets=PDF_STYLESHEETS)), save=False)
        report.pdf_sha256 = digest
        report.pdf_generated_at = timezone.now()
        with kept_only_if_recorded(report.pdf):  # the old file stays until the new one is recorded
            FinalReport.objects.filter(pk=report.pk).update(
                pdf=report.pdf.name, pdf_sha256=digest, pdf_generated_at=report.pdf_generated_at
            )
        if old:
            storage = report.pdf.storage
            transaction.on_commit(lambda: storage.delete(old))
    return report


def queue_pdf(project_pk: int) -> None:
    """Ask the worker for the PDF (called after commit, or from a request that found it out of date)."""
    from core.tasks import render_final_report_pdf

    render_final_report_pdf.enqueue(project_pk)


def download_name(project: Project) -> str:
    return f"sluttrapport-{project.pk}.pdf"
