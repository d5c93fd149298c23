"""The dashboard: what each role needs to do next."""

from datetime import date, timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.rules import committee_scheme_ids, is_decider, is_reviewer, is_secretariat, registry_ids
from grants.enums import ApplicationState as S
from grants.models import Application, Call
from grants.selectors import applications_visible_to, handed_in
from projects.enums import MilestoneState, ProjectState
from projects.models import Milestone, Project
from projects.selectors import not_finished, not_started
from registries.models import Registry
from reviews.enums import ReviewState
from reviews.models import Assignment, Review

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
        ctx.update(_reviewer_context(user, today))
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
        ctx["not_started"] = not_started(today)[:LIMIT]
        ctx["not_finished"] = not_finished(today)[:LIMIT]
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


def _reviewer_context(user: Any, today: date) -> dict[str, Any]:
    """The reviewer's open assignments (deadline, days left, own review's state) and their expert group's progress
    per call in review."""
    own_review = Review.objects.filter(application=OuterRef("application"), reviewer=user).values("state")[:1]
    assignments = list(
        Assignment.objects.filter(
            reviewer=user, application__in=applications_visible_to(user), application__state=S.IN_REVIEW
        )
        .select_related("application", "application__registry", "application__call")
        .annotate(review_state=Subquery(own_review))
        .order_by(F("deadline").asc(nulls_last=True), "application__title")
    )
    for a in assignments:
        a.days_left = (a.deadline - today).days if a.deadline else None  # type: ignore[attr-defined]
        a.days_overdue = -a.days_left if a.days_left is not None and a.days_left < 0 else 0  # type: ignore[attr-defined]
    in_review = Q(applications__state=S.IN_REVIEW)
    progress = (
        Call.objects.filter(scheme_id__in=committee_scheme_ids(user))
        .filter(in_review)
        .select_related("scheme", "review_round")
        .annotate(
            n_applications=Count("applications", filter=in_review, distinct=True),
            n_assigned=Count("applications__assignments", filter=in_review, distinct=True),
            n_submitted=Count(
                "applications__reviews",
                filter=in_review & Q(applications__reviews__state=ReviewState.SUBMITTED),
                distinct=True,
            ),
        )
        .order_by("-year", "title")
    )
    return {"assignments": assignments, "group_progress": list(progress)}
