"""Assigning reviewers, conflicts of interest, scoring."""

from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from accounts.rules import is_member_of
from audit.services import record
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.notify import after_commit, schedule
from core.workflow import fire
from grants.enums import ApplicationState
from grants.models import Application

from . import rules
from .enums import SCORE_MAX, SCORE_MIN, ConflictSource, ReviewState
from .models import Assignment, Conflict, ExpertGroupMember, Review, Score


def assign_reviewer(application: Application, *, by: Any, reviewer: Any) -> Assignment:
    if not rules.can_assign_reviewers(by, application):
        raise NotPermitted()
    errors: list[str] = []
    if application.state != ApplicationState.IN_REVIEW:
        # Before that the reviewer could not open the application the notification links to.
        errors.append(_("Reviewers can be assigned only once the application has been sent to review."))
    elif not ExpertGroupMember.objects.filter(group__scheme_id=application.call.scheme_id, user=reviewer).exists():
        errors.append(_("%(user)s is not in this scheme's expert group.") % {"user": reviewer})
    elif is_member_of(reviewer, application.registry_id):
        errors.append(
            _("%(user)s is a member of %(registry)s and so has a conflict of interest.")
            % {"user": reviewer, "registry": application.registry}
        )
    elif application.conflicts.filter(reviewer=reviewer, waived_at__isnull=True).exists():
        errors.append(_("%(user)s has declared a conflict of interest with this application.") % {"user": reviewer})
    if errors:
        raise ActionRefused(errors[0], {"user": errors})
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(application=application, reviewer=reviewer, assigned_by=by)
            record(application, "reviews.assignment.create", actor=by, data={"reviewer": reviewer.pk})
            schedule("reviewer_assigned", assignment.pk)
    except IntegrityError:
        msg = _("%(user)s is already assigned.") % {"user": reviewer}
        raise ActionRefused(msg, {"user": [msg]}) from None
    return assignment


def declare_conflict(application: Application, *, by: Any, reason: str) -> Conflict:
    if not rules.can_declare_conflict(by, application):
        raise NotPermitted()
    if not reason.strip():
        msg = _("Give the reason for the conflict of interest.")
        raise ActionRefused(msg, {"reason": [msg]})
    with transaction.atomic():
        conflict, created = Conflict.objects.get_or_create(
            application=application, reviewer=by, defaults={"reason": reason, "source": ConflictSource.DECLARED}
        )
        if not created:
            conflict.reason = reason
            conflict.waived_at = None
            conflict.save()
        record(application, "reviews.conflict.declare", actor=by, data={"reviewer": by.pk})
    return conflict


def _validate_scores(application: Application, scores: dict[str, Any]) -> dict[str, int]:
    criteria = {c.code: c for c in application.call.criteria.all()}
    errors: dict[str, list[str]] = {}
    clean: dict[str, int] = {}
    for code, value in scores.items():
        if code not in criteria:
            errors[f"scores.{code}"] = [_("This call has no criterion “%(code)s”.") % {"code": code}]
            continue
        if value is None or value == "":
            continue
        try:
            if isinstance(value, bool):  # JSON true would otherwise count as the score 1
                raise TypeError
            number = int(value)
            if str(number) != str(value).strip() and not isinstance(value, int):
                raise ValueError
        except (TypeError, ValueError):
            errors[f"scores.{code}"] = [
                _("Enter a whole number from %(a)s to %(b)s.") % {"a": SCORE_MIN, "b": SCORE_MAX}
            ]
            continue
        if not SCORE_MIN <= number <= SCORE_MAX:
            errors[f"scores.{code}"] = [
                _("Enter a whole number from %(a)s to %(b)s.") % {"a": SCORE_MIN, "b": SCORE_MAX}
            ]
            continue
        clean[code] = number
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    return clean


def save_review(application: Application, *, by: Any, scores: dict[str, Any], comment: str) -> Review:
    if not rules.can_review_application(by, application):
        raise NotPermitted()
    if application.state != ApplicationState.IN_REVIEW:
        # An assigned reviewer who may read the application, but the review phase is over: a state conflict.
        raise InvalidTransition(
            _("Reviews can only be changed while the application is in review (it is now %(state)s).")
            % {"state": application.get_state_display()}
        )
    clean = _validate_scores(application, scores)
    criteria = {c.code: c for c in application.call.criteria.all()}
    with transaction.atomic():
        review, _created = Review.objects.select_for_update().get_or_create(application=application, reviewer=by)
        if review.state != ReviewState.DRAFT:
            msg = _("Your review has been submitted and is locked.")
            raise ActionRefused(msg)
        review.comment = comment
        review.save()
        review.scores.exclude(criterion__code__in=list(clean)).delete()
        for code, value in clean.items():
            Score.objects.update_or_create(review=review, criterion=criteria[code], defaults={"value": value})
    return review


def submit_review(application: Application, *, by: Any, comment: str = "") -> Review:
    review = Review.objects.filter(application=application, reviewer=by).first()
    if review is None and not rules.can_score(by, application):
        raise NotPermitted()
    if review is None:
        msg = _("Score every criterion before you submit.")
        raise ActionRefused(msg, {"scores": [msg]})

    def check(locked: Review) -> None:
        scored = set(locked.scores.values_list("criterion__code", flat=True))
        missing = [c for c in application.call.criteria.values_list("code", flat=True) if c not in scored]
        if missing:
            raise ActionRefused(
                _("Score every criterion before you submit."),
                {f"scores.{c}": [_("This criterion has no score.")] for c in missing},
            )

    return fire(review, "submit", by=by, comment=comment, check=check, on_commit=[after_commit("review_submitted")])
