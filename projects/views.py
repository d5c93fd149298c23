"""Project follow-up on the web: agreement, milestone reports, final report."""

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
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.csp import csp_override
from django.views.decorators.http import require_http_methods, require_POST

from accounts.rules import is_secretariat
from audit.services import history_for, record
from core import listing
from core.access import visible_milestone, visible_project
from core.exceptions import ActionRefused, DomainError
from core.labels import timeline
from core.listing import ListFilters
from core.views_helpers import action_forms, report_error, run_action
from core.workflow import available_transitions
from finance.exports import table_bytes

from . import exports, final_reports, rules, services
from .agreement_views import agreement_section
from .enums import ProjectState
from .models import FinalReport
from .progress_views import progress_section
from .selectors import PROJECT_LIST, panel_chart, portfolio_groups, projects_visible_to, target_panels
from .selectors import project_list as project_list_qs

PAGE_SIZE = 50


@login_required
def project_list(request: HttpRequest) -> HttpResponse:
    filters = ListFilters.from_query(request.GET, PROJECT_LIST)
    page = Paginator(project_list_qs(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": filters,
        "query": filters.urlencode(),
        "pages": listing.page_links(filters, page),
        "columns": listing.columns(filters, PROJECT_COLUMNS),
        "states": ProjectState.choices,
        **listing.filter_options(projects_visible_to(request.user), PROJECT_LIST),
    }
    return render(request, "projects/project_list.html", ctx)


PROJECT_COLUMNS = [
    (gettext_lazy("Project"), "title", ""),
    (gettext_lazy("Registry"), "registry", ""),
    (gettext_lazy("Scheme"), "scheme", ""),
    (gettext_lazy("Year"), "year", "num"),
    (gettext_lazy("Granted (NOK)"), "amount", "num"),
    (gettext_lazy("Paid (NOK)"), "paid", "num"),
    (gettext_lazy("Start date"), "start", ""),
    (gettext_lazy("End date"), "end", ""),
    (gettext_lazy("State"), "state", ""),
]


@login_required
def project_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered, sorted list (all pages) as CSV or XLSX; what the user may see, nothing more."""
    if fmt not in listing.EXPORT_TYPES:
        raise Http404
    filters = ListFilters.from_query(request.GET, PROJECT_LIST)
    table = exports.rows(project_list_qs(request.user, filters))
    listing.record_export(request.user, "projects.project.export", filters, fmt, len(table))
    content = table_bytes(fmt, _("Projects"), exports.HEADER, table)
    return listing.export_response(content, "projects", fmt)


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
        **final_reports.outcome_items(project, report),
        "sections": final_reports.sections(project, report),
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
    sections = final_reports.sections(project, report)
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
            **final_reports.outcome_items(project, report),
        },
    )


def _pdf_status(request: HttpRequest, project: Any, ready: bool) -> HttpResponse:
    template = "projects/final_report_pdf.html" + ("#status" if request.headers.get("HX-Request") else "")
    return render(request, template, {"project": project, "ready": ready})


@login_required
def final_report_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    """The final report as PDF. The worker renders it (on submission, on approval, or when asked for here after the
    text changed); until it is there, a page that says so and checks again by itself."""
    project = visible_project(request.user, pk)
    report, _created = FinalReport.objects.get_or_create(project=project)
    digest = final_reports.digest_now(report)
    polling = bool(request.headers.get("HX-Request"))
    if not final_reports.is_current(report, digest) and not polling:  # the page's own polls only look
        final_reports.queue_pdf(project.pk)
        report.refresh_from_db()  # the immediate backend (tests) has rendered it by now
    ready = final_reports.is_current(report, digest)
    if polling or not ready:
        return _pdf_status(request, project, ready)
    record(report, "projects.finalreport.download", actor=request.user)
    response = FileResponse(
        report.pdf.open("rb"),
        as_attachment=True,
        filename=final_reports.download_name(project),
        content_type="application/pdf",
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
