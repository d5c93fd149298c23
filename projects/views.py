"""Project follow-up on the web: agreement, milestone reports, final report."""

import io
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.csp import CSP
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from accounts.rules import is_secretariat
from audit.services import history_for, record
from core.access import visible_milestone, visible_project
from core.exceptions import ActionRefused, DomainError
from core.labels import timeline
from core.pdf import render_pdf_template
from core.views_helpers import action_forms, report_error, run_action
from core.workflow import available_transitions

from . import rules, services
from .agreement_views import agreement_section
from .enums import ProjectState
from .models import FinalReport
from .outcomes import report_outcomes
from .progress_views import progress_section
from .selectors import chart_data_uri, panel_chart, portfolio_groups, projects_visible_to, target_panels

PAGE_SIZE = 50


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    qs = projects_visible_to(request.user).select_related("registry", "application__call__scheme")
    state = request.GET.get("state", "")
    if state in ProjectState.values:
        qs = qs.filter(state=state)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "projects/project_list.html", {"page": page, "states": ProjectState.choices, "state": state})


def _sections(project: Any, report: FinalReport) -> list[dict[str, Any]]:
    english = (get_language() or "nb").startswith("en")
    return [
        {
            "key": s["key"],
            "title": (s.get("title_en") if english else None) or s["title"],
            "text": report.sections.get(s["key"], ""),
        }
        for s in project.application.call.scheme.final_report_sections
    ]


def _outcome_items(project: Any, report: FinalReport) -> dict[str, Any]:
    """The final report's outcome (frozen when there is one, else live), each with its target."""
    outcomes, frozen_at = report_outcomes(project, report)
    targets = {t.indicator_id: t for t in project.application.indicators.select_related("indicator")}
    return {
        "outcomes": [{"outcome": o, "target": targets.get(o.indicator_id)} for o in outcomes],
        "outcome_at": frozen_at,
    }


@login_required
def project_detail(request: HttpRequest, pk: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    report, _created = FinalReport.objects.get_or_create(project=project)
    milestones = list(project.milestones.all())
    for m in milestones:
        # "report" has its own form (milestone_report, with the text); the transition endpoint does not take it.
        names = [n for n in available_transitions(m, request.user) if n in services.MILESTONE_ACTIONS]
        m.actions = action_forms(names, reverse("projects:milestone_transition", args=[project.pk, m.pk]))
        m.can_report = rules.can_report_milestone(request.user, m) and m.state in ("planned", "revision_requested")
    ctx = {
        "project": project,
        "milestones": milestones,
        "payments": project.payments.all(),
        "panels": target_panels(project),
        "report": report,
        **_outcome_items(project, report),
        "sections": _sections(project, report),
        "can_edit_report": rules.can_run_project(request.user, project) and project.state == ProjectState.ACTIVE,
        # The agreement is accepted through its own form (the typed name) or by upload, not by a bare button.
        "actions": action_forms(
            [n for n in available_transitions(project, request.user) if n != "accept_agreement"],
            reverse("projects:project_transition", args=[project.pk]),
        ),
        "entries": timeline(history_for(project, request.user)),
        **agreement_section(request.user, project),
        **progress_section(project),
    }
    return render(request, "projects/project_detail.html", ctx)


@login_required
@require_POST
def project_transition(request: HttpRequest, pk: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    run_action(request, services.PROJECT_ACTIONS, project)
    return redirect("projects:project_detail", pk)


@login_required
def final_report_edit(request: HttpRequest, pk: int) -> HttpResponse:
    project = visible_project(request.user, pk)
    if not rules.can_run_project(request.user, project):
        raise PermissionDenied
    report, _created = FinalReport.objects.get_or_create(project=project)
    sections = _sections(project, report)
    error = None
    if request.method == "POST" and request.headers.get("HX-Request"):
        # Autosave while typing: save the text and answer with the status line only.
        posted = {s["key"]: request.POST.get(f"section_{s['key']}", "") for s in sections}
        try:
            services.save_final_report(project, by=request.user, sections=posted)
            saved = True
        except DomainError:
            saved = False
        return render(request, "grants/_autosave_status.html", {"saved": saved, "at": timezone.localtime()})
    if request.method == "POST":
        posted = {s["key"]: request.POST.get(f"section_{s['key']}", "") for s in sections}
        try:
            services.save_final_report(project, by=request.user, sections=posted)
        except DomainError as exc:
            error = exc
            for s in sections:
                s["text"] = posted[s["key"]]
            if not isinstance(exc, ActionRefused):
                report_error(request, exc)
        else:
            if request.POST.get("submit") == "1":
                try:
                    services.submit_final_report(project, by=request.user)
                except DomainError as exc:
                    report_error(request, exc)
                    return redirect("projects:final_report_edit", pk)
                messages.success(request, _("The final report is submitted."))
                return redirect("projects:project_detail", pk)
            messages.success(request, _("The final report is saved."))
            return redirect("projects:final_report_edit", pk)
    missing = set(report.missing_sections([s["key"] for s in sections])) if request.method == "GET" else set()
    return render(
        request,
        "projects/final_report_form.html",
        {
            "project": project,
            "sections": sections,
            "error": error,
            "missing": missing,
            **_outcome_items(project, report),
        },
    )


def final_report_context(project: Any) -> dict[str, Any]:
    """The final report's PDF: the sections, the outcome and each target indicator's chart (as a data: URL)."""
    report, _created = FinalReport.objects.get_or_create(project=project)
    return {
        "project": project,
        "report": report,
        "sections": _sections(project, report),
        "charts": [{"panel": p, "src": chart_data_uri(panel_chart(p))} for p in target_panels(project)],
        **_outcome_items(project, report),
    }


@login_required
def final_report_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """The final report with its outcome and charts, rendered now (a summary of a few pages)."""
    project = visible_project(request.user, pk)
    ctx = final_report_context(project)
    report = ctx["report"]
    pdf = render_pdf_template("pdf/final_report.html", ctx, language=get_language() or "")
    record(report, "projects.finalreport.download", actor=request.user)
    response = FileResponse(
        io.BytesIO(pdf), as_attachment=True, filename=f"sluttrapport-{project.pk}.pdf", content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@csp_override({"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]})  # the SVG's own style attributes
def indicator_chart(request: HttpRequest, pk: int, indicator_id: str) -> HttpResponse:
    project = visible_project(request.user, pk)
    panels = target_panels(project, indicator_id)
    if not panels:
        raise Http404
    response = HttpResponse(panel_chart(panels[0]), content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response


@login_required
def portfolio(request: HttpRequest) -> HttpResponse:
    if not is_secretariat(request.user):
        raise PermissionDenied
    return render(request, "projects/portfolio.html", {"groups": portfolio_groups()})


class MilestoneReportForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 6}))


@login_required
@require_http_methods(["GET", "POST"])
def milestone_report(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    milestone = visible_milestone(request.user, pk, mid)
    if request.method == "GET":
        ctx = {
            "project": milestone.project,
            "milestone": milestone,
            "can_report": rules.can_report_milestone(request.user, milestone)
            and milestone.state in ("planned", "revision_requested"),
            "panels": target_panels(milestone.project),
        }
        return render(request, "projects/milestone_report.html", ctx)
    try:
        services.report_milestone(milestone, by=request.user, text=request.POST.get("text", ""))
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The progress report is submitted."))
    return redirect("projects:project_detail", pk)


@login_required
@require_POST
def milestone_transition(request: HttpRequest, pk: int, mid: int) -> HttpResponse:
    milestone = visible_milestone(request.user, pk, mid)
    run_action(request, services.MILESTONE_ACTIONS, milestone)
    return redirect("projects:project_detail", pk)
