"""Reviewer assignment, conflicts of interest, scoring, reading reviews, and a call's ranking."""

from datetime import datetime
from typing import Annotated, Any

from django.contrib.auth import get_user_model
from django.db.models import F, Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Router, Schema, Status

from accounts.rules import is_secretariat
from core.api import Id, InputSchema, TransitionIn, as_number, get_or_404, problem_responses
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from grants.enums import ApplicationState
from grants.models import Application
from grants.selectors import applications_visible_to
from registries.models import Membership

from . import rules, services
from .enums import SCORE_MAX, SCORE_MIN, ReviewState
from .models import Assignment, Conflict, Review, Score
from .selectors import weighted_mean

router = Router(tags=["reviews"])
User = get_user_model()

ScoreValue = Annotated[int, Field(ge=SCORE_MIN, le=SCORE_MAX)]


class AssignIn(InputSchema):
    user: Id = Field(description="Id of a member of the scheme's expert group.")


class AssignmentOut(Schema):
    id: int
    application: int
    user: int
    assigned_at: datetime

    @staticmethod
    def resolve_application(obj: Assignment) -> int:
        return obj.application_id

    @staticmethod
    def resolve_user(obj: Assignment) -> int:
        return obj.reviewer_id


class ConflictIn(InputSchema):
    reason: str


class ConflictOut(Schema):
    application: int
    reason: str
    declared_at: datetime

    @staticmethod
    def resolve_application(obj: Conflict) -> int:
        return obj.application_id


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
    return get_or_404(applications_visible_to(request.user).select_related("call", "registry"), id, "application")


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


@router.post("/applications/{int:id}/reviewers", response={201: AssignmentOut, **problem_responses(400, 403, 404)})
def assign_reviewer(request: HttpRequest, id: int, payload: AssignIn) -> Status[Assignment]:
    """Secretariat. Refused (400, field `user`) when the reviewer has a conflict or is not in the expert group."""
    app = _visible_application(request, id)
    if not rules.can_assign_reviewers(request.user, app):
        raise NotPermitted("Only the secretariat may assign reviewers.")
    reviewer = User.objects.filter(pk=payload.user, is_active=True).first()
    if reviewer is None:
        msg = f"No user with id {payload.user}."
        raise ActionRefused(msg, {"user": [msg]})
    return Status(201, services.assign_reviewer(app, by=request.user, reviewer=reviewer))


@router.post("/applications/{int:id}/conflict", response={201: ConflictOut, **problem_responses(400, 403, 404)})
def declare_conflict(request: HttpRequest, id: int, payload: ConflictIn) -> Status[Conflict]:
    """An assigned reviewer declares a conflict of interest; the application is then hidden from them.

    An assigned reviewer may declare before the application reaches review (they know of it from the assignment).
    """
    app = applications_visible_to(request.user).filter(pk=id).first()
    if app is None:
        app = Application.objects.filter(pk=id, assignments__reviewer=request.user).first()
    if app is None:
        raise Http404(f"No application with id {id}.")
    if not rules.can_declare_conflict(request.user, app):
        raise NotPermitted("Only a reviewer assigned to this application may declare a conflict of interest.")
    return Status(201, services.declare_conflict(app, by=request.user, reason=payload.reason))


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
    """Save scores and comment (a draft until submitted). A submitted review is locked (409)."""
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
    """The secretariat sees every review, drafts included, with conflicted ones flagged. A reviewer sees the submitted,
    unconflicted reviews only after submitting their own (403 before)."""
    app = _visible_application(request, id)
    if not rules.can_see_all_reviews(request.user, app):
        raise NotPermitted("You can see the other reviews once you have submitted your own.")
    reviews = list(
        Review.objects.filter(application=app)
        .select_related("reviewer")
        .prefetch_related(Prefetch("scores", Score.objects.select_related("criterion")))
        .order_by(F("submitted_at").asc(nulls_last=True), "id")
    )
    conflicted = _conflicted_reviewers(app, [r.reviewer_id for r in reviews])
    if not is_secretariat(request.user):
        reviews = [r for r in reviews if r.state == ReviewState.SUBMITTED and r.reviewer_id not in conflicted]
    return [_review_out(r, r.reviewer_id in conflicted) for r in reviews]


def _conflicted_reviewers(app: Application, reviewer_ids: list[int]) -> set[int]:
    declared = Conflict.objects.filter(application=app, waived_at__isnull=True).values_list("reviewer_id", flat=True)
    members = Membership.objects.filter(registry_id=app.registry_id, user_id__in=reviewer_ids).values_list(
        "user_id", flat=True
    )
    return set(declared) | set(members)
