"""Reviewer assignment (one application or a whole call), conflicts of interest, scoring, reading reviews, reopening a
review, the call's review round (phases, deadline) and the expert group's internal discussion.

An application a caller may not see is 404 on every route, including to a reviewer with a conflict of interest
(reviews.conflicts); only declaring a conflict is open to a reviewer who knows of the application without seeing it.
"""

from datetime import date, datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.rules import is_secretariat
from audit.services import record_reads
from core.api import (
    Id,
    InputSchema,
    TransitionIn,
    as_number,
    get_or_404,
    problem_responses,
    unknown_action,
)
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.workflow import available_transitions
from grants.enums import ApplicationState
from grants.models import Application, Call
from grants.selectors import applications_visible_to, calls_visible_to

from . import rules, services
from .conflicts import conflicts_of, sources_of, with_conflicts
from .enums import SCORE_MAX, SCORE_MIN, ReviewState
from .models import Assignment, Conflict, ExpertGroupMember, Review, ReviewComment, ReviewRound, Score
from .selectors import conflicted_review, weighted_mean

router = Router(tags=["reviews"])
User = get_user_model()

ScoreValue = Annotated[int, Field(ge=SCORE_MIN, le=SCORE_MAX)]


class AssignIn(InputSchema):
    user: Id = Field(description="Id of a member of the scheme's expert group.")
    deadline: date | None = Field(None, description="Review deadline; default: the call's review deadline.")


class AssignmentOut(Schema):
    id: int
    application: int
    user: int
    assigned_at: datetime
    deadline: date | None

    @staticmethod
    def resolve_application(obj: Assignment) -> int:
        return obj.application_id

    @staticmethod
    def resolve_user(obj: Assignment) -> int:
        return obj.reviewer_id


class BulkAssignIn(InputSchema):
    reviewers: list[Id] | None = Field(
        None, description="Ids of expert-group members to choose from; default: the whole group."
    )
    per_application: int | None = Field(
        None,
        ge=1,
        le=50,
        description="Reviewers each application should have in all (the least loaded first); default: every "
        "chosen reviewer reviews every application.",
    )
    deadline: date | None = Field(None, description="Review deadline; default: the call's review deadline.")


class PairOut(Schema):
    application: int
    user: int


class SkippedOut(PairOut):
    reasons: list[str] = Field(description="Why the pair was skipped: the reviewer's conflicts of interest.")


class ShortOut(Schema):
    application: int
    missing: int = Field(description="How many reviewers short of `per_application` the application is.")


class BulkAssignOut(Schema):
    created: list[AssignmentOut]
    skipped: list[SkippedOut]
    short: list[ShortOut]


class ConflictIn(InputSchema):
    reason: str


class ConflictOut(Schema):
    application: int
    reason: str
    declared_at: datetime

    @staticmethod
    def resolve_application(obj: Conflict) -> int:
        return obj.application_id


class WaiverIn(InputSchema):
    reason: str = Field(description="The written justification (required).")


class ConflictStatusOut(Schema):
    user: int
    name: str
    sources: list[str] = Field(
        description="Conflicts that count now: registry_member, participating_registry, health_trust, "
        "named_in_project, declared (empty once waived)."
    )
    declared_reason: str | None
    waived_at: datetime | None
    waived_by: int | None
    waiver_reason: str | None


class ReviewIn(InputSchema):
    scores: dict[str, ScoreValue] = Field(
        description="Criterion id → score from 1 to 7; a criterion left out is unscored."
    )
    comment: str = ""


class ReviewerOut(Schema):
    id: int
    name: str


class ReviewOut(Schema):
    id: int
    application: int
    reviewer: ReviewerOut
    state: str
    scores: dict[str, int]
    comment: str
    weighted_score: float | None = Field(description="Weighted mean of this review's criterion scores.")
    submitted_at: datetime | None
    conflicted: bool = Field(False, description="The reviewer has a conflict of interest; the review never counts.")


class RoundOut(Schema):
    call: int
    phase: str = Field(description="independent, discussion or decided.")
    review_deadline: date | None
    available_transitions: list[str]


class RoundIn(InputSchema):
    review_deadline: date | None


class CommentIn(InputSchema):
    text: str


class CommentOut(Schema):
    id: int
    author: ReviewerOut
    text: str
    created_at: datetime


def _review_out(review: Review, conflicted: bool = False) -> dict[str, Any]:
    scores = list(review.scores.all())
    return {
        "id": review.pk,
        "application": review.application_id,
        "reviewer": {"id": review.reviewer_id, "name": review.reviewer.display_name},
        "state": review.state,
        "scores": {s.criterion.code: s.value for s in scores},
        "comment": review.comment,
        "weighted_score": as_number(weighted_mean((s.value, s.criterion.weight) for s in scores), 4),
        "submitted_at": review.submitted_at,
        "conflicted": conflicted,
    }


def _visible_application(request: HttpRequest, id: int) -> Application:
    qs = applications_visible_to(request.user).select_related("call", "call__scheme", "registry")
    return get_or_404(qs, id, "application")


def _scoring_application(request: HttpRequest, id: int) -> Application:
    """The application for the caller's own review: 404 unless visible, 403 unless assigned, 409 unless in review."""
    app = _visible_application(request, id)
    if not rules.can_review_application(request.user, app):
        raise NotPermitted("Only a reviewer assigned to this application may review it.")
    if app.state != ApplicationState.IN_REVIEW:
        raise InvalidTransition(f"Reviews can be written only while the application is in review; it is {app.state}.")
    return app


def _own_review(app: Application, user: Any) -> Review | None:
    return (
        Review.objects.filter(application=app, reviewer=user)
        .select_related("reviewer")
        .prefetch_related(Prefetch("scores", Score.objects.select_related("criterion")))
        .first()
    )


# ---------------------------------------------------------------- assignment


@router.post("/applications/{int:id}/reviewers", response={201: AssignmentOut, **problem_responses(400, 403, 404)})
def assign_reviewer(request: HttpRequest, id: int, payload: AssignIn) -> Status[Assignment]:
    """Secretariat. Refused (400, field `user`) when the reviewer has a conflict of interest (any source) or is not
    in the expert group; `deadline` defaults to the call's review deadline."""
    app = _visible_application(request, id)
    if not rules.can_assign_reviewers(request.user, app):
        raise NotPermitted("Only the secretariat may assign reviewers.")
    reviewer = User.objects.filter(pk=payload.user, is_active=True).first()
    if reviewer is None:
        msg = f"No user with id {payload.user}."
        raise ActionRefused(msg, {"user": [msg]})
    assignment = services.assign_reviewer(app, by=request.user, reviewer=reviewer, deadline=payload.deadline)
    return Status(201, assignment)


def _managed_call(request: HttpRequest, id: int) -> Call:
    call = get_or_404(calls_visible_to(request.user).select_related("scheme"), id, "call")
    if not rules.can_manage_round(request.user, call):
        raise NotPermitted("Only the secretariat manages a call's review.")
    return call


@router.post("/calls/{int:id}/reviewers", response={200: BulkAssignOut, **problem_responses(400, 403, 404, 409)})
def assign_call(request: HttpRequest, id: int, payload: BulkAssignIn | None = None) -> dict[str, Any]:
    """Secretariat. Assigns expert-group members to every application of the call in review, skipping (and
    reporting) pairs with a conflict of interest; each reviewer gets one message listing their new assignments."""
    call = _managed_call(request, id)
    payload = payload or BulkAssignIn()
    reviewers = None
    if payload.reviewers is not None:
        reviewers = list(User.objects.filter(pk__in=payload.reviewers))
        unknown = sorted(set(payload.reviewers) - {u.pk for u in reviewers})
        if unknown:
            msg = f"No user with id {unknown[0]}."
            raise ActionRefused(msg, {"reviewers": [msg]})
    result = services.assign_call(
        call, by=request.user, reviewers=reviewers, per_application=payload.per_application, deadline=payload.deadline
    )
    return {
        "created": result.created,
        "skipped": [
            {"application": s.application.pk, "user": s.reviewer.pk, "reasons": s.reasons} for s in result.skipped
        ],
        "short": [{"application": a.pk, "missing": n} for a, n in result.short],
    }


# ---------------------------------------------------------------- conflicts of interest


@router.post("/applications/{int:id}/conflict", response={201: ConflictOut, **problem_responses(400, 403, 404)})
def declare_conflict(request: HttpRequest, id: int, payload: ConflictIn) -> Status[Conflict]:
    """A reviewer declares a conflict of interest, at any time; the application is then hidden from them.

    Open to a reviewer assigned to the application and to a member of the scheme's expert group once it is in
    review (both know of it without necessarily seeing it); 404 for anyone else who may not see it.
    """
    app = applications_visible_to(request.user).filter(pk=id).first()
    if app is None:
        app = Application.objects.select_related("call").filter(pk=id).first()
        if app is None or not rules.knows_of(request.user, app):
            raise Http404(f"No application with id {id}.")
    if not rules.can_declare_conflict(request.user, app):
        raise NotPermitted("Only a reviewer of this scheme may declare a conflict of interest with the application.")
    return Status(201, services.declare_conflict(app, by=request.user, reason=payload.reason))


def _conflict_status(app: Application) -> list[dict[str, Any]]:
    members = with_conflicts(
        ExpertGroupMember.objects.filter(group__scheme_id=app.call.scheme_id).select_related("user"), app
    ).order_by("user_id")
    rows = {c.reviewer_id: c for c in app.conflicts.select_related("reviewer")}
    result = []
    for member in members:
        row = rows.pop(member.user_id, None)
        sources = sources_of(member)
        if sources or row is not None:
            result.append(_status(member.user, sources, row))
    result += [_status(row.reviewer, conflicts_of(row.reviewer, app), row) for row in rows.values()]
    return result


def _status(user: Any, sources: list[str], row: Conflict | None) -> dict[str, Any]:
    declared = row is not None and row.source == "declared"
    return {
        "user": user.pk,
        "name": user.display_name,
        "sources": sources,
        "declared_reason": row.reason if declared and row else None,
        "waived_at": row.waived_at if row else None,
        "waived_by": row.waived_by_id if row else None,
        "waiver_reason": (row.waiver_reason or None) if row else None,
    }


@router.get("/applications/{int:id}/conflicts", response={200: list[ConflictStatusOut], **problem_responses(403, 404)})
def list_conflicts(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    """Secretariat. Every expert-group member (or declarant) with a conflict of interest or a waiver, by source."""
    app = _visible_application(request, id)
    if not rules.can_waive_conflict(request.user, app):
        raise NotPermitted("Only the secretariat sees the conflicts of interest.")
    return _conflict_status(app)


@router.post(
    "/applications/{int:id}/conflicts/{int:user}/waive",
    response={200: ConflictStatusOut, **problem_responses(400, 403, 404)},
)
def waive_conflict(request: HttpRequest, id: int, user: int, payload: WaiverIn) -> dict[str, Any]:
    """Secretariat. Waives the reviewer's conflict with a written justification (400 without one, when there is no
    conflict, or when the reviewer is a member of the applicant registry)."""
    app = _visible_application(request, id)
    if not rules.can_waive_conflict(request.user, app):
        raise NotPermitted("Only the secretariat may waive a conflict of interest.")
    reviewer = get_or_404(User.objects.all(), user, "user")
    row = services.waive_conflict(app, by=request.user, reviewer=reviewer, reason=payload.reason)
    return _status(reviewer, conflicts_of(reviewer, app), row)


@router.post(
    "/applications/{int:id}/conflicts/{int:user}/revoke_waiver",
    response={200: ConflictStatusOut, **problem_responses(400, 403, 404)},
)
def revoke_waiver(request: HttpRequest, id: int, user: int, payload: WaiverIn) -> dict[str, Any]:
    """Secretariat. Withdraws a waiver, with the reason (400 without one, or when there is no waiver): the reviewer is
    conflicted again at once."""
    app = _visible_application(request, id)
    if not rules.can_waive_conflict(request.user, app):
        raise NotPermitted("Only the secretariat may withdraw a waiver.")
    reviewer = get_or_404(User.objects.all(), user, "user")
    row = services.revoke_waiver(app, by=request.user, reviewer=reviewer, reason=payload.reason)
    return _status(reviewer, conflicts_of(reviewer, app), row)


# ---------------------------------------------------------------- reviews


@router.get("/applications/{int:id}/reviews/mine", response={200: ReviewOut, **problem_responses(403, 404)})
def get_my_review(request: HttpRequest, id: int) -> dict[str, Any]:
    app = _visible_application(request, id)
    if not rules.can_review_application(request.user, app):
        raise NotPermitted("Only a reviewer assigned to this application has a review of it.")
    review = _own_review(app, request.user)
    if review is None:
        raise Http404("You have not started your review of this application.")
    return _review_out(review)


@router.put("/applications/{int:id}/reviews/mine", response={200: ReviewOut, **problem_responses(400, 403, 404, 409)})
def save_my_review(request: HttpRequest, id: int, payload: ReviewIn) -> dict[str, Any]:
    """Save scores and comment (a draft until submitted). A submitted review is locked (409) until the secretariat
    reopens it; so is every review once the call's review is decided."""
    app = _scoring_application(request, id)
    existing = _own_review(app, request.user)
    if existing is not None and existing.state != ReviewState.DRAFT:
        raise InvalidTransition("Your review has been submitted and is locked.")
    services.save_review(app, by=request.user, scores=payload.scores, comment=payload.comment)
    return _review_out(_own_review(app, request.user))  # type: ignore[arg-type]


@router.post(
    "/applications/{int:id}/reviews/mine/submit", response={200: ReviewOut, **problem_responses(400, 403, 404, 409)}
)
def submit_my_review(request: HttpRequest, id: int, payload: TransitionIn | None = None) -> dict[str, Any]:
    """Submit the review; every criterion must be scored (400 names the missing ones)."""
    app = _scoring_application(request, id)
    services.submit_review(app, by=request.user, comment=payload.comment if payload else "")
    return _review_out(_own_review(app, request.user))  # type: ignore[arg-type]


@router.get("/applications/{int:id}/reviews", response={200: list[ReviewOut], **problem_responses(403, 404)})
def list_reviews(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    """The secretariat sees every review, drafts included, with conflicted ones flagged. In the independent phase a
    reviewer sees the submitted, unconflicted reviews only after submitting their own (403 before); in discussion
    every expert-group member without a conflict sees them."""
    app = _visible_application(request, id)
    if not rules.can_see_all_reviews(request.user, app):
        raise NotPermitted("You can see the other reviews once you have submitted your own.")
    reviews = list(
        Review.objects.filter(application=app)
        .annotate(conflicted=conflicted_review(prefix=""))
        .select_related("reviewer")
        .prefetch_related(Prefetch("scores", Score.objects.select_related("criterion")))
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
    )
    if not is_secretariat(request.user):
        reviews = [r for r in reviews if r.state == ReviewState.SUBMITTED and not r.conflicted]  # type: ignore[attr-defined]
    record_reads([r for r in reviews if r.reviewer_id != request.user.pk], "reviews.review.view", actor=request.user)
    return [_review_out(r, r.conflicted) for r in reviews]  # type: ignore[attr-defined]


@router.post(
    "/applications/{int:id}/reviews/{int:user}/reopen",
    response={200: ReviewOut, **problem_responses(400, 403, 404, 409)},
)
def reopen_review(request: HttpRequest, id: int, user: int, payload: TransitionIn | None = None) -> dict[str, Any]:
    """Secretariat. Unlocks the submitted review of reviewer `user` (409 unless submitted and still in review); the
    reviewer is told."""
    app = _visible_application(request, id)
    if not is_secretariat(request.user):
        raise NotPermitted("Only the secretariat may reopen a review.")
    review = get_or_404(Review.objects.filter(application=app), _review_pk(app, user), "review")
    services.reopen_review(review, by=request.user, comment=payload.comment if payload else "")
    return _review_out(_own_review(app, review.reviewer))  # type: ignore[arg-type]


def _review_pk(app: Application, user: int) -> int:
    pk = Review.objects.filter(application=app, reviewer_id=user).values_list("pk", flat=True).first()
    if pk is None:
        raise Http404(f"User {user} has no review of this application.")
    return pk


# ---------------------------------------------------------------- the call's review round


def _round_out(call: Call, user: Any) -> dict[str, Any]:
    review_round = ReviewRound.objects.filter(call=call).first() or ReviewRound(call=call)
    names = available_transitions(review_round, user, field="phase") if call.state != "draft" else []
    return {
        "call": call.pk,
        "phase": review_round.phase,
        "review_deadline": review_round.review_deadline,
        "available_transitions": names,
    }


@router.get("/calls/{int:id}/review_round", response={200: RoundOut, **problem_responses(403, 404)})
def get_round(request: HttpRequest, id: int) -> dict[str, Any]:
    """The call's review phase and deadline: the secretariat and the scheme's expert group."""
    call = get_or_404(calls_visible_to(request.user), id, "call")
    if not rules.can_see_ranking(request.user, call):
        raise NotPermitted("Only the secretariat and the scheme's expert group follow the call's review.")
    return _round_out(call, request.user)


@router.put("/calls/{int:id}/review_round", response={200: RoundOut, **problem_responses(400, 403, 404, 409)})
def set_round(request: HttpRequest, id: int, payload: RoundIn) -> dict[str, Any]:
    """Secretariat. Sets the review deadline; assignments that followed the old one follow the new one."""
    call = _managed_call(request, id)
    services.set_review_deadline(call, by=request.user, deadline=payload.review_deadline)
    return _round_out(call, request.user)


@router.post(
    "/calls/{int:id}/review_round/transitions/{name}", response={200: RoundOut, **problem_responses(403, 404, 409)}
)
def round_transition(request: HttpRequest, id: int, name: str, payload: TransitionIn | None = None) -> dict[str, Any]:
    """Secretariat: `start_discussion` (independent → discussion), `close_review` (discussion → decided),
    `back_to_independent` (discussion → independent)."""
    call = _managed_call(request, id)
    service = services.ROUND_ACTIONS.get(name)
    if service is None:
        raise unknown_action(name, services.ROUND_ACTIONS, "The review round")
    service(call, by=request.user, comment=payload.comment if payload else "")
    return _round_out(call, request.user)


# ---------------------------------------------------------------- discussion


def _comment_out(comment: ReviewComment) -> dict[str, Any]:
    return {
        "id": comment.pk,
        "author": {"id": comment.author_id, "name": comment.author.display_name},
        "text": comment.text,
        "created_at": comment.created_at,
    }


@router.get("/applications/{int:id}/comments", response={200: list[CommentOut], **problem_responses(403, 404)})
def list_comments(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    """The expert group's internal thread: the secretariat, and the group (without a conflict) once the call's
    review is in discussion. Never applicants or the decision body."""
    app = _visible_application(request, id)
    if not rules.can_see_discussion(request.user, app):
        raise NotPermitted("The discussion is open to the expert group once the review is in discussion.")
    return [_comment_out(c) for c in ReviewComment.objects.filter(application=app).select_related("author")]


@router.post("/applications/{int:id}/comments", response={201: CommentOut, **problem_responses(400, 403, 404, 409)})
def post_comment(request: HttpRequest, id: int, payload: CommentIn) -> Status[dict[str, Any]]:
    """Post to the thread (409 outside the discussion phase)."""
    app = _visible_application(request, id)
    comment = services.post_comment(app, by=request.user, text=payload.text)
    return Status(201, _comment_out(comment))
