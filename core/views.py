"""The dashboard: what each role needs to do next."""

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.rules import is_decider, is_reviewer, is_secretariat, registry_ids
from grants.enums import ApplicationState as S
from grants.models import Application, Call
from grants.selectors import applications_visible_to, handed_in
from projects.enums import MilestoneState, ProjectState
from projects.models import Milestone, Project
from registries.models import Registry
from reviews.models import Assignment

LIMIT = 20


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    ctx: dict = {"today": today}
    own = registry_ids(user)
    if own:
        ctx["my_registries"] = Registry.objects.filter(pk__in=own)
        ctx["my_applications"] = (
            Application.objects.filter(registry_id__in=own)
            .exclude(state__in=[S.WITHDRAWN])
            .select_related("call", "registry")
            .order_by("-updated_at")[:LIMIT]
        )
        ctx["open_calls"] = Call.objects.filter(state="open", closes_at__gt=timezone.now()).select_related("scheme")
        ctx["my_milestones"] = (
            Milestone.objects.filter(
                project__registry_id__in=own,
                project__state=ProjectState.ACTIVE,
                state__in=[MilestoneState.PLANNED, MilestoneState.REVISION_REQUESTED],
            )
            .select_related("project")
            .order_by("due_date")[:LIMIT]
        )
        ctx["my_projects_pending"] = Project.objects.filter(
            registry_id__in=own, state=ProjectState.AGREEMENT_PENDING
        ).select_related("registry")
    if is_reviewer(user):
        ctx["assignments"] = (
            Assignment.objects.filter(
                reviewer=user, application__in=applications_visible_to(user), application__state=S.IN_REVIEW
            )
            .select_related("application", "application__registry", "application__call")
            .annotate(
                submitted=Count(
                    "application__reviews",
                    filter=Q(application__reviews__reviewer=user, application__reviews__state="submitted"),
                )
            )
        )
    if is_secretariat(user):
        counts = dict(Application.objects.filter(handed_in()).values_list("state").annotate(n=Count("id")))
        ctx["state_counts"] = [(value, label, counts.get(value, 0)) for value, label in S.choices if value != S.DRAFT]
        ctx["to_screen"] = (
            Application.objects.filter(state=S.SUBMITTED).select_related("registry", "call").order_by("submitted_at")
        )[:LIMIT]
        ctx["in_review"] = (
            Application.objects.filter(state=S.IN_REVIEW)
            .select_related("registry", "call")
            .annotate(
                n_reviews=Count("reviews", filter=Q(reviews__state="submitted")),
                n_assigned=Count("assignments", distinct=True),
            )
        )[:LIMIT]
        ctx["overdue"] = (
            Milestone.objects.filter(
                project__state=ProjectState.ACTIVE,
                due_date__lt=today,
                state__in=[MilestoneState.PLANNED, MilestoneState.REVISION_REQUESTED],
            )
            .select_related("project", "project__registry")
            .order_by("due_date")[:LIMIT]
        )
        ctx["reports_waiting"] = (
            Milestone.objects.filter(state=MilestoneState.REPORTED).select_related("project", "project__registry")
        )[:LIMIT]
        ctx["final_reports_waiting"] = Project.objects.filter(state=ProjectState.FINAL_REPORT_SUBMITTED).select_related(
            "registry"
        )[:LIMIT]
        ctx["calls_closing"] = Call.objects.filter(
            state="open", closes_at__lt=timezone.now() + timedelta(days=14)
        ).select_related("scheme")
    if is_decider(user):
        ctx["to_decide"] = (
            Application.objects.filter(state__in=[S.RECOMMENDED, S.NOT_RECOMMENDED])
            .select_related("registry", "call")
            .order_by("call", "-proposed_amount_nok")
        )
    return render(request, "core/dashboard.html", ctx)
