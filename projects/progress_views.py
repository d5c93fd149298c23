"""Progress reports on the web: the registry writes (autosaved drafts) and submits; the secretariat approves or
returns with feedback."""

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from audit.services import history_for
from core.access import visible_project
from core.exceptions import ActionRefused, DomainError
from core.labels import timeline
from core.views_helpers import action_forms, report_error, run_action
from core.workflow import available_transitions

from . import progress, rules
from .enums import ProgressReportState
from .models import ProgressReport, Project
from .outcomes import from_json, project_outcomes

# The secretariat's decisions; the registry submits through the report's own form (it saves first).
DECISIONS = {k: v for k, v in progress.PROGRESS_ACTIONS.items() if k != "submit"}


def visible_report(user: Any, pk: int, rid: int) -> ProgressReport:
    project = visible_project(user, pk)
    try:
        report = project.progress_reports.get(pk=rid)
    except ProgressReport.DoesNotExist:
        raise Http404 from None
    report.project = project
    return report


def progress_section(project: Project) -> dict[str, Any]:
    """The project page's list of progress reports (one query)."""
    return {"progress_reports": list(project.progress_reports.order_by("number"))}


def _indicator_items(report: ProgressReport) -> tuple[list[dict[str, Any]], str | None]:
    """The indicator values so far: as frozen at submission, else live from the imported data."""
    targets = {t.indicator_id: t for t in report.project.application.indicators.select_related("indicator")}
    if report.indicators.get("indicators") is not None and report.state != ProgressReportState.DUE:
        outcomes = [from_json(item) for item in report.indicators["indicators"]]
        at = report.indicators.get("at")
    else:
        outcomes, at = project_outcomes(report.project), None
    return [{"outcome": o, "target": targets.get(o.indicator_id)} for o in outcomes], at


def _milestone_rows(report: ProgressReport, posted: dict[str, Any], errors: dict[str, list[str]]) -> list[dict]:
    rows = []
    for m in report.project.milestones.all():
        saved = posted.get(str(m.pk)) or report.milestones.get(str(m.pk), {})
        rows.append(
            {
                "milestone": m,
                "status": saved.get("status", ""),
                "comment": saved.get("comment", ""),
                "errors": errors.get(f"milestones.{m.pk}.status", []) + errors.get(f"milestones.{m.pk}", []),
            }
        )
    return rows


def _budget_rows(report: ProgressReport, posted: list[dict] | None, errors: dict[str, list[str]]) -> list[dict]:
    """Per budget line and year: the budget, what approved earlier reports spent, and this report's amount."""
    spent_before: dict[tuple[str, int], Decimal] = defaultdict(Decimal)
    earlier = report.project.progress_reports.filter(state=ProgressReportState.APPROVED, number__lt=report.number)
    for other in earlier:
        for row in other.spending:
            spent_before[(row["category"], int(row["year"]))] += Decimal(row["amount_nok"])
    current = {(r["category"], int(r["year"])): r["amount_nok"] for r in (posted or report.spending)}
    budget: dict[tuple[str, int], dict[str, Any]] = {}
    for line in report.project.application.budget_lines.all():
        row = budget.setdefault(
            (line.category, line.year),
            {"category": line.category, "label": line.get_category_display(), "year": line.year, "budget": Decimal()},
        )
        row["budget"] += line.amount_nok
    rows = list(budget.values())
    for i, row in enumerate(rows):
        key = (row["category"], row["year"])
        row["spent_before"] = spent_before[key]
        row["amount"] = current.get(key, "")
        row["field"] = f"spending_{row['category']}_{row['year']}"
        row["errors"] = [m for f in ("amount_nok", "year", "category") for m in errors.get(f"spending.{i}.{f}", [])]
    return rows


def _posted(request: HttpRequest, report: ProgressReport) -> dict[str, Any]:
    milestones = {
        str(m.pk): {
            "status": request.POST.get(f"milestone_{m.pk}_status", ""),
            "comment": request.POST.get(f"milestone_{m.pk}_comment", ""),
        }
        for m in report.project.milestones.all()
    }
    lines = _budget_rows(report, [], {})
    spending = [
        {"category": r["category"], "year": r["year"], "amount_nok": request.POST.get(r["field"], "")} for r in lines
    ]
    texts = {k: request.POST.get(k, "") for k in ("summary", "risks", "changes")}
    return {"milestones": milestones, "spending": spending, **texts}


def _page(request: HttpRequest, report: ProgressReport, posted: dict | None = None, error: Any = None) -> HttpResponse:
    errors = error.errors if isinstance(error, ActionRefused) else {}
    indicators, indicators_at = _indicator_items(report)
    names = [n for n in available_transitions(report, request.user) if n in DECISIONS]
    url = reverse("projects:progress_report_transition", args=[report.project.pk, report.pk])
    ctx = {
        "project": report.project,
        "report": report,
        "editable": progress.can_edit(request.user, report),
        "statuses": progress.MilestoneProgress.choices,
        "milestone_rows": _milestone_rows(report, (posted or {}).get("milestones", {}), errors),
        "budget_rows": _budget_rows(report, (posted or {}).get("spending"), errors),
        "texts": {k: (posted or {}).get(k, getattr(report, k)) for k in ("summary", "risks", "changes")},
        "errors": errors,
        "error": error,
        "outcomes": indicators,
        "indicators_at": indicators_at,
        "actions": action_forms(names, url),
        "entries": timeline(history_for(report, request.user)),
    }
    return render(request, "projects/progress_report.html", ctx, status=400 if error else 200)


@login_required
@require_http_methods(["GET", "POST"])
def progress_report(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    report = visible_report(request.user, pk, rid)
    if request.method == "GET":
        return _page(request, report)
    if not rules.can_write_progress_report(request.user, report):
        raise PermissionDenied
    posted = _posted(request, report)
    if request.headers.get("HX-Request"):
        # Autosave while typing: save and answer with the status line only.
        try:
            progress.save_progress_report(report, by=request.user, **posted)
            saved = True
        except DomainError:
            saved = False
        return render(request, "grants/_autosave_status.html", {"saved": saved, "at": timezone.localtime()})
    try:
        saved_report = progress.save_progress_report(report, by=request.user, **posted)
    except ActionRefused as exc:
        return _page(request, report, posted, exc)
    except DomainError as exc:
        report_error(request, exc)
        return redirect("projects:progress_report", pk, rid)
    if request.POST.get("submit") == "1":
        try:
            progress.submit_progress_report(saved_report, by=request.user)
        except ActionRefused as exc:
            saved_report.project = report.project
            return _page(request, saved_report, posted, exc)
        except DomainError as exc:
            report_error(request, exc)
            return redirect("projects:progress_report", pk, rid)
        messages.success(request, _("The progress report is submitted."))
        return redirect("projects:project_detail", pk)
    messages.success(request, _("The progress report is saved."))
    return redirect("projects:progress_report", pk, rid)


@login_required
@require_POST
def progress_report_transition(request: HttpRequest, pk: int, rid: int) -> HttpResponse:
    report = visible_report(request.user, pk, rid)
    run_action(request, DECISIONS, report)
    return redirect("projects:progress_report", pk, rid)
