"""Reviewer assignment, conflicts of interest, scoring and the ranking, on the web."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.rules import is_secretariat
from core.access import visible_application
from core.exceptions import ActionRefused, DomainError
from core.views_helpers import report_error
from grants.models import Application

from . import rules, services
from .models import ExpertGroupMember, Review
from .selectors import conflicted_review

User = get_user_model()


def _scores_table(reviews: list[Review], criteria: list[Any]) -> list[dict[str, Any]]:
    table = []
    for review in reviews:
        by_code = {s.criterion.code: s.value for s in review.scores.all()}
        table.append(
            {
                "review": review,
                "conflicted": bool(getattr(review, "conflicted", False)),
                "scores": [by_code.get(c.code) for c in criteria],
                "weighted": _weighted(by_code, criteria),
            }
        )
    return table


def _weighted(by_code: dict[str, int], criteria: list[Any]) -> Decimal | None:
    if not criteria or any(c.code not in by_code for c in criteria):
        return None
    total = sum((c.weight for c in criteria), Decimal(0))
    value = sum((c.weight * by_code[c.code] for c in criteria), Decimal(0)) / total
    return value.quantize(Decimal("0.01"))


def review_context(request: HttpRequest, application: Application) -> dict[str, Any]:
    """The review panel on the application page, shaped by what this user may see."""
    user = request.user
    criteria = list(application.call.criteria.all())
    ctx: dict[str, Any] = {"criteria": criteria, "show_reviews": False}
    secretariat = is_secretariat(user)
    if secretariat:
        assigned = list(application.assignments.select_related("reviewer"))
        taken = {a.reviewer_id for a in assigned}
        candidates = (
            ExpertGroupMember.objects.filter(group__scheme_id=application.call.scheme_id)
            .exclude(user_id__in=taken)
            .exclude(user__memberships__registry_id=application.registry_id)
            .exclude(user__conflicts__application=application, user__conflicts__waived_at__isnull=True)
            .select_related("user")
        )
        ctx.update(
            {
                "assignments": assigned,
                "conflicts": list(application.conflicts.select_related("reviewer")),
                "candidates": candidates,
                "can_assign": application.state == "in_review",
            }
        )
    if rules.can_see_all_reviews(user, application):
        submitted = application.reviews.filter(state="submitted")
        if not secretariat:  # as in the API: a conflicted reviewer's review is not shown to the other reviewers
            submitted = submitted.exclude(conflicted_review(prefix=""))
        submitted = submitted.annotate(conflicted=conflicted_review(prefix=""))
        reviews = list(submitted.select_related("reviewer").prefetch_related("scores__criterion"))
        ctx.update({"show_reviews": True, "review_rows": _scores_table(reviews, criteria)})
    if rules.can_review_application(user, application):
        mine = application.reviews.filter(reviewer=user).prefetch_related("scores__criterion").first()
        scores = {s.criterion.code: s.value for s in mine.scores.all()} if mine else {}
        ctx.update(
            {
                "my_review": mine,
                "my_scores": [(c, scores.get(c.code)) for c in criteria],
                "can_score": rules.can_score(user, application) and (mine is None or mine.state == "draft"),
                "can_declare_conflict": True,
                "scale": range(1, 8),
            }
        )
    return ctx


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_assign_reviewers(request.user, application):
        raise PermissionDenied
    reviewer = User.objects.filter(pk=request.POST.get("user") or 0).first()
    if reviewer is None:
        messages.error(request, _("Choose a reviewer from the expert group."))
        return redirect("grants:application_detail", pk)
    try:
        services.assign_reviewer(application, by=request.user, reviewer=reviewer)
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(user)s is assigned and has been notified.") % {"user": reviewer})
    return redirect("grants:application_detail", pk)


@login_required
@require_POST
def declare_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    try:
        services.declare_conflict(application, by=request.user, reason=request.POST.get("reason", ""))
    except ActionRefused as exc:
        report_error(request, exc)
        return redirect("grants:application_detail", pk)
    except DomainError as exc:
        report_error(request, exc)
        return redirect("grants:application_detail", pk)
    messages.success(request, _("Your conflict of interest is recorded; the application is now hidden from you."))
    return redirect("dashboard")


@login_required
@require_POST
def save_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_review_application(request.user, application):
        raise PermissionDenied
    scores = {c.code: request.POST.get(f"score_{c.code}", "") for c in application.call.criteria.all()}
    comment = request.POST.get("comment", "")
    try:
        services.save_review(application, by=request.user, scores=scores, comment=comment)
        if request.POST.get("submit") == "1":
            services.submit_review(application, by=request.user)
            messages.success(request, _("Your review is submitted. You can now see the other reviews."))
        else:
            messages.success(request, _("Your review draft is saved."))
    except DomainError as exc:
        report_error(request, exc)
    return redirect("grants:application_detail", pk)
