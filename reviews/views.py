"""The expert assessment on the web: the review panel of an application (assignment, conflicts, scoring with autosave,
reviews, discussion), the review of a whole call (phases, deadline, bulk assignment) and the expert groups."""

from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Prefetch, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.rules import is_secretariat
from audit.services import history, record_reads
from core.access import visible_application, visible_call
from core.exceptions import ActionRefused, DomainError, InvalidTransition, NotPermitted
from core.labels import action_label, timeline
from core.views_helpers import report_error, run_action
from grants.enums import ApplicationState
from grants.models import Application, Call
from grants.selectors import applications_visible_to

from . import rules, services
from .conflicts import UNWAIVABLE, conflicts_of, sources_of, with_conflicts
from .enums import SCORE_MAX, SCORE_MIN, ConflictSource, ReviewPhase, ReviewState
from .forms import (
    AssignForm,
    BulkAssignForm,
    CommentForm,
    MemberChoiceForm,
    MemberForm,
    ReasonForm,
    RoundDeadlineForm,
    WaiverForm,
)
from .models import ExpertGroup, ExpertGroupMember, Review, ReviewComment, ReviewRound
from .selectors import conflicted_review

User = get_user_model()
SCALE = range(SCORE_MIN, SCORE_MAX + 1)


def _label(source: str) -> str:
    return str(ConflictSource(source).label)


# ---------------------------------------------------------------- the review panel on the application page


def criteria_with_anchors(criteria: list[Any]) -> list[dict[str, Any]]:
    """Each criterion with its 1-7 scale, each step with its anchored description where the call gives one."""
    return [
        {"criterion": c, "scale": [(n, (c.anchors or {}).get(str(n), "")) for n in SCALE], "value": None}
        for c in criteria
    ]


def _scores_table(reviews: list[Review], criteria: list[Any], user: Any) -> list[dict[str, Any]]:
    table = []
    for review in reviews:
        by_code = {s.criterion.code: s.value for s in review.scores.all()}
        table.append(
            {
                "review": review,
                "conflicted": bool(getattr(review, "conflicted", False)),
                "scores": [by_code.get(c.code) for c in criteria],
                "weighted": _weighted(by_code, criteria),
                "can_reopen": rules.can_reopen_review(review, user),
            }
        )
    return table


def _weighted(by_code: dict[str, int], criteria: list[Any]) -> Decimal | None:
    if not criteria or any(c.code not in by_code for c in criteria):
        return None
    total = sum((c.weight for c in criteria), Decimal(0))
    value = sum((c.weight * by_code[c.code] for c in criteria), Decimal(0)) / total
    return value.quantize(Decimal("0.01"))


def _conflict_entries(application: Application) -> tuple[list[dict[str, Any]], list[Any]]:
    """(every expert-group member or declarant with a conflict or a waiver, the members free to be assigned)."""
    members = with_conflicts(
        ExpertGroupMember.objects.filter(group__scheme_id=application.call.scheme_id).select_related("user"),
        application,
    ).order_by("user__full_name", "user__email")
    rows = {c.reviewer_id: c for c in application.conflicts.select_related("reviewer", "waived_by")}
    assigned = set(application.assignments.values_list("reviewer_id", flat=True))
    entries, free = [], []
    for member in members:
        sources = sources_of(member)
        row = rows.pop(member.user_id, None)
        if sources or row is not None:
            entries.append(_entry(member.user, sources, row))
        elif member.user_id not in assigned:
            free.append(member.user)
    for row in rows.values():  # someone who left the group since
        entries.append(_entry(row.reviewer, conflicts_of(row.reviewer, application), row))
    return entries, free


def _entry(user: Any, sources: list[str], row: Any) -> dict[str, Any]:
    return {
        "user": user,
        "sources": [_label(s) for s in sources],
        "row": row,
        "waived": row is not None and row.waived_at is not None and not (set(sources) & UNWAIVABLE),
        "can_waive": bool(sources) and not (set(sources) & UNWAIVABLE),
    }


def _secretariat_context(application: Application, review_round: Any) -> dict[str, Any]:
    assigned = list(application.assignments.select_related("reviewer"))
    states = dict(application.reviews.values_list("reviewer_id", "state"))
    for assignment in assigned:
        assignment.review_state = states.get(assignment.reviewer_id)  # type: ignore[attr-defined]
    entries, free = _conflict_entries(application)
    can_assign = application.state == ApplicationState.IN_REVIEW and review_round.phase != ReviewPhase.DECIDED
    return {
        "assignments": assigned,
        "conflict_entries": entries,
        "candidates": free,
        "can_assign": can_assign,
        "default_deadline": review_round.review_deadline,
    }


def review_context(request: HttpRequest, application: Application) -> dict[str, Any]:
    """The review panel on the application page, shaped by what this user may see."""
    user = request.user
    criteria = list(application.call.criteria.all())
    review_round = ReviewRound.objects.filter(call_id=application.call_id).first() or ReviewRound()
    ctx: dict[str, Any] = {"criteria": criteria, "show_reviews": False, "review_round": review_round}
    if is_secretariat(user):
        ctx.update(_secretariat_context(application, review_round))
    if rules.can_see_all_reviews(user, application):
        ctx.update(_reviews_context(application, criteria, user))
    if rules.can_review_application(user, application):
        ctx.update(_own_review_context(application, criteria, user))
    if rules.can_see_discussion(user, application):
        comments = ReviewComment.objects.filter(application=application).select_related("author")
        ctx.update({"show_discussion": True, "comments": comments, "can_comment": rules.can_comment(user, application)})
        ctx["comment_form"] = CommentForm()
    ctx["can_declare_conflict"] = rules.can_declare_conflict(user, application) and not is_secretariat(user)
    return ctx


def _reviews_context(application: Application, criteria: list[Any], user: Any) -> dict[str, Any]:
    submitted = application.reviews.filter(state=ReviewState.SUBMITTED)
    if not is_secretariat(user):  # as in the API: a conflicted reviewer's review is not shown to the other reviewers
        submitted = submitted.exclude(conflicted_review(prefix=""))
    submitted = submitted.annotate(conflicted=conflicted_review(prefix=""))
    reviews = list(submitted.select_related("reviewer", "application__call").prefetch_related("scores__criterion"))
    # Reading other people's reviews is logged (who read what); one's own is not a read of someone else's opinion.
    record_reads([r for r in reviews if r.reviewer_id != user.pk], "reviews.review.view", actor=user)
    return {"show_reviews": True, "review_rows": _scores_table(reviews, criteria, user)}


def _own_review_context(application: Application, criteria: list[Any], user: Any) -> dict[str, Any]:
    mine = application.reviews.filter(reviewer=user).prefetch_related("scores__criterion").first()
    scores = {s.criterion.code: s.value for s in mine.scores.all()} if mine else {}
    scales = criteria_with_anchors(criteria)
    for item in scales:
        item["value"] = scores.get(item["criterion"].code)
    assignment = application.assignments.filter(reviewer=user).first()
    return {
        "my_review": mine,
        "my_scores": scales,
        "my_deadline": assignment.deadline if assignment else None,
        "can_score": rules.can_score(user, application) and (mine is None or mine.state == ReviewState.DRAFT),
    }


def _knowable_application(user: Any, pk: int) -> Application:
    """An application `user` may act on without seeing it (declaring a conflict): visible, assigned, or in review in
    the scheme of their expert group. Anything else is 404."""
    application = applications_visible_to(user).filter(pk=pk).select_related("call", "registry").first()
    if application is not None:
        return application
    application = Application.objects.select_related("call", "registry").filter(pk=pk).first()
    if application is None or not rules.knows_of(user, application):
        raise Http404
    return application


@login_required
@require_POST
def assign(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_assign_reviewers(request.user, application):
        raise PermissionDenied
    form = AssignForm(request.POST)
    if not form.is_valid():
        for msgs in form.errors.values():
            for msg in msgs:
                messages.error(request, msg)
        return redirect("grants:application_detail", pk)
    reviewer = form.cleaned_data["user"]
    try:
        services.assign_reviewer(
            application, by=request.user, reviewer=reviewer, deadline=form.cleaned_data["deadline"]
        )
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("%(user)s is assigned and has been notified.") % {"user": reviewer})
    return redirect("grants:application_detail", pk)


@login_required
@require_POST
def declare_conflict(request: HttpRequest, pk: int) -> HttpResponse:
    application = _knowable_application(request.user, pk)
    form = ReasonForm(request.POST)
    try:
        if not form.is_valid():
            raise ActionRefused(form.errors["reason"][0], {"reason": form.errors["reason"]})
        services.declare_conflict(application, by=request.user, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        report_error(request, exc)
        back = applications_visible_to(request.user).filter(pk=pk).exists()
        return redirect("grants:application_detail", pk) if back else redirect("dashboard")
    messages.success(request, _("Your conflict of interest is recorded; the application is now hidden from you."))
    return redirect("dashboard")


@login_required
@require_POST
def waive_conflict(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_waive_conflict(request.user, application):
        raise PermissionDenied
    reviewer = get_object_or_404(User, pk=user_pk)
    form = WaiverForm(request.POST)
    try:
        if not form.is_valid():
            raise ActionRefused(form.errors["reason"][0], {"reason": form.errors["reason"]})
        services.waive_conflict(application, by=request.user, reviewer=reviewer, reason=form.cleaned_data["reason"])
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The conflict of interest of %(user)s is waived.") % {"user": reviewer})
    return redirect("grants:application_detail", pk)


@login_required
@require_POST
def revoke_waiver(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_waive_conflict(request.user, application):
        raise PermissionDenied
    reviewer = get_object_or_404(User, pk=user_pk)
    try:
        services.revoke_waiver(application, by=request.user, reviewer=reviewer, reason=request.POST.get("reason", ""))
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The waiver for %(user)s is withdrawn.") % {"user": reviewer})
    return redirect("grants:application_detail", pk)


def _posted_scores(request: HttpRequest, application: Application) -> dict[str, str]:
    return {c.code: request.POST.get(f"score_{c.code}", "") for c in application.call.criteria.all()}


@login_required
@require_POST
def save_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_review_application(request.user, application):
        raise PermissionDenied
    scores, comment = _posted_scores(request, application), request.POST.get("comment", "")
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


@login_required
@require_POST
def autosave_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The review form saves its draft as it is typed (htmx); answers the status line only."""
    application = visible_application(request.user, pk)
    if not rules.can_review_application(request.user, application):
        raise PermissionDenied
    scores, comment = _posted_scores(request, application), request.POST.get("comment", "")
    ctx: dict[str, Any] = {"at": timezone.localtime()}
    status = 200
    try:
        services.save_review(application, by=request.user, scores=scores, comment=comment)
        ctx["saved"] = True
    except NotPermitted:
        raise PermissionDenied from None
    except InvalidTransition as exc:
        ctx["problem"], status = exc.message, 409
    except ActionRefused as exc:
        ctx["problem"], status = exc.message, 409 if not exc.errors else 400
    return render(request, "reviews/_autosave_status.html", ctx, status=status)


@login_required
@require_POST
def reopen_review(request: HttpRequest, pk: int, user_pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not is_secretariat(request.user):
        raise PermissionDenied
    review = get_object_or_404(
        Review.objects.select_related("application", "reviewer"), application=application, reviewer_id=user_pk
    )
    try:
        services.reopen_review(review, by=request.user, comment=request.POST.get("comment", ""))
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(
            request, _("The review by %(user)s is reopened; they have been told.") % {"user": review.reviewer}
        )
    return redirect("grants:application_detail", pk)


@login_required
@require_POST
def post_comment(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_see_discussion(request.user, application):
        raise PermissionDenied
    try:
        services.post_comment(application, by=request.user, text=request.POST.get("text", ""))
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("Your comment is posted to the expert group."))
    return redirect(f"{_detail_url(pk)}#discussion")


def _detail_url(pk: int) -> str:
    from django.urls import reverse

    return reverse("grants:application_detail", args=[pk])


# ---------------------------------------------------------------- the review of a whole call


def round_panel_context(user: Any, call: Call) -> dict[str, Any]:
    """The call page's review panel: phase and deadline for the secretariat and the expert group, with the
    phase actions for the secretariat."""
    from core.workflow import available_transitions

    in_group = rules.can_see_ranking(user, call)
    if not in_group:
        return {"show_round": False}
    review_round = ReviewRound.objects.filter(call=call).first() or ReviewRound(call=call)
    names = available_transitions(review_round, user, field="phase") if call.state != "draft" else []
    return {
        "show_round": True,
        "call": call,
        "review_round": review_round,
        "round_actions": [(name, action_label(name)) for name in names],
        "can_manage_round": rules.can_manage_round(user, call),
    }


def _call_for_round(request: HttpRequest, pk: int) -> Call:
    call = visible_call(request.user, pk)
    if not rules.can_manage_round(request.user, call):
        raise PermissionDenied
    return call


@login_required
def call_review(request: HttpRequest, pk: int) -> HttpResponse:
    """The secretariat's page for a call's review: phase, deadline, who reviews what (conflicts shown), and
    assigning the whole call at once."""
    call = _call_for_round(request, pk)
    review_round = ReviewRound.objects.filter(call=call).first() or ReviewRound(call=call)
    members = User.objects.filter(committee_memberships__group__scheme_id=call.scheme_id).order_by("full_name", "email")
    return render(request, "reviews/call_review.html", _call_review_context(call, review_round, members, request))


def _call_review_context(call: Call, review_round: Any, members: Any, request: HttpRequest) -> dict[str, Any]:
    applications = list(
        call.applications.filter(state__in=rules.REVIEW_VISIBLE).select_related("registry").order_by("pk")
    )
    member_list = list(members)
    grid = []
    for application in applications:
        flags = {
            m.user_id: sources_of(m)
            for m in with_conflicts(ExpertGroupMember.objects.filter(group__scheme_id=call.scheme_id), application)
        }
        assigned = dict(application.assignments.values_list("reviewer_id", "deadline"))
        states = dict(application.reviews.values_list("reviewer_id", "state"))
        cells = [
            {
                "assigned": m.pk in assigned,
                "deadline": assigned.get(m.pk),
                "state": states.get(m.pk),
                "conflicts": [_label(s) for s in flags.get(m.pk, [])],
            }
            for m in member_list
        ]
        grid.append({"application": application, "cells": cells})
    ctx = round_panel_context(request.user, call)
    ctx.update(
        {
            "members": member_list,
            "grid": grid,
            "bulk_form": BulkAssignForm(members=members, initial={"deadline": review_round.review_deadline}),
            "deadline_form": RoundDeadlineForm(initial={"review_deadline": review_round.review_deadline}),
            "entries": timeline(history(review_round)) if review_round.pk else [],
            "in_review": sum(1 for a in applications if a.state == ApplicationState.IN_REVIEW),
            "on_review_page": True,
        }
    )
    return ctx


@login_required
@require_POST
def round_transition(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    run_action(request, services.ROUND_ACTIONS, call)
    return redirect("grants:call_detail", pk)


@login_required
@require_POST
def round_deadline(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_for_round(request, pk)
    form = RoundDeadlineForm(request.POST)
    try:
        if not form.is_valid():
            raise ActionRefused(_("Enter a valid date."), dict(form.errors))
        services.set_review_deadline(call, by=request.user, deadline=form.cleaned_data["review_deadline"])
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The review deadline is saved."))
    return redirect("reviews:call_review", pk)


@login_required
@require_POST
def assign_call(request: HttpRequest, pk: int) -> HttpResponse:
    call = _call_for_round(request, pk)
    members = User.objects.filter(committee_memberships__group__scheme_id=call.scheme_id)
    form = BulkAssignForm(request.POST, members=members)
    try:
        if not form.is_valid():
            first = next(iter(form.errors.values()))[0]
            raise ActionRefused(first, dict(form.errors))
        result = services.assign_call(
            call,
            by=request.user,
            reviewers=list(form.cleaned_data["reviewers"]),
            per_application=form.cleaned_data["per_application"],
            deadline=form.cleaned_data["deadline"],
        )
    except DomainError as exc:
        report_error(request, exc)
    else:
        _report_bulk(request, result)
    return redirect("reviews:call_review", pk)


def _report_bulk(request: HttpRequest, result: services.BulkAssignment) -> None:
    messages.success(
        request,
        _("%(n)s assignments made; each reviewer gets one message listing theirs.") % {"n": len(result.created)},
    )
    for skipped in result.skipped:
        messages.warning(
            request,
            _("Skipped for “%(title)s”: %(reasons)s")
            % {"title": skipped.application.title, "reasons": " ".join(skipped.reasons)},
        )
    for application, missing in result.short:
        messages.warning(
            request,
            _("“%(title)s” is %(n)s reviewer(s) short: not enough members without a conflict of interest.")
            % {"title": application.title, "n": missing},
        )


# ---------------------------------------------------------------- expert groups


def _require_group_manager(request: HttpRequest) -> None:
    if not rules.can_manage_expert_groups(request.user):
        raise PermissionDenied


def _group(scheme_pk: int) -> ExpertGroup:
    return get_object_or_404(ExpertGroup.objects.select_related("scheme"), scheme_id=scheme_pk)


@login_required
def group_list(request: HttpRequest) -> HttpResponse:
    _require_group_manager(request)
    chairs = ExpertGroupMember.objects.filter(is_chair=True).select_related("user")
    groups = (
        ExpertGroup.objects.select_related("scheme")
        .annotate(n_members=Count("memberships"))
        .prefetch_related(Prefetch("memberships", queryset=chairs, to_attr="chairs"))
        .order_by("scheme__name")
    )
    return render(request, "reviews/expert_group_list.html", {"groups": groups})


@login_required
def group_detail(request: HttpRequest, scheme_pk: int) -> HttpResponse:
    _require_group_manager(request)
    group = _group(scheme_pk)
    return render(request, "reviews/expert_group_detail.html", _group_context(group, MemberForm()))


def _group_context(group: ExpertGroup, form: MemberForm) -> dict[str, Any]:
    open_reviews = Q(
        user__assignments__application__state=ApplicationState.IN_REVIEW,
        user__assignments__application__call__scheme_id=group.scheme_id,
    )
    members = (
        group.memberships.select_related("user", "user__organisation")
        .annotate(open_assignments=Count("user__assignments", filter=open_reviews))
        .order_by("-is_chair", "user__full_name", "user__email")
    )
    return {"group": group, "members": members, "form": form, "entries": timeline(history(group))}


@login_required
@require_POST
def group_add(request: HttpRequest, scheme_pk: int) -> HttpResponse:
    _require_group_manager(request)
    group = _group(scheme_pk)
    form = MemberForm(request.POST)
    if form.is_valid():
        try:
            services.add_member(group, by=request.user, user=form.cleaned_data["email"])
        except ActionRefused as exc:
            form.add_error("email", exc.message)
        else:
            messages.success(
                request, _("%(user)s is added to the expert group.") % {"user": form.cleaned_data["email"]}
            )
            return redirect("reviews:group_detail", scheme_pk)
    return render(request, "reviews/expert_group_detail.html", _group_context(group, form), status=400)


def _member_action(request: HttpRequest, scheme_pk: int, action: Any, done: str) -> HttpResponse:
    _require_group_manager(request)
    group = _group(scheme_pk)
    form = MemberChoiceForm(request.POST, group=group)
    if not form.is_valid():
        messages.error(request, _("Choose a member of the expert group."))
        return redirect("reviews:group_detail", scheme_pk)
    user = form.cleaned_data["user"]
    try:
        action(group, by=request.user, user=user)
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, done % {"user": user})
    return redirect("reviews:group_detail", scheme_pk)


@login_required
@require_POST
def group_remove(request: HttpRequest, scheme_pk: int) -> HttpResponse:
    return _member_action(request, scheme_pk, services.remove_member, _("%(user)s is removed from the expert group."))


@login_required
@require_POST
def group_chair(request: HttpRequest, scheme_pk: int) -> HttpResponse:
    return _member_action(request, scheme_pk, services.set_chair, _("%(user)s now chairs the expert group."))
