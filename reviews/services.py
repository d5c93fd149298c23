"""Business actions of the expert-group assessment: expert groups, review phases, assigning reviewers (one or a whole
call), conflicts of interest (declare, waive), scoring, reopening a review, the internal discussion. Each action is
all-or-nothing and audited; emails go out after commit."""

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.rules import forget
from audit.services import record
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.notify import after_commit, schedule
from core.workflow import fire
from grants.enums import ApplicationState
from grants.models import Application, Call

from . import rules
from .conflicts import UNWAIVABLE, conflicts_of, describe, sources_of, with_conflicts
from .enums import SCORE_MAX, SCORE_MIN, ConflictSource, ReviewPhase, ReviewState
from .models import (
    Assignment,
    Conflict,
    ExpertGroup,
    ExpertGroupMember,
    Review,
    ReviewComment,
    ReviewRound,
    Score,
)

COMMENT_MAX = 10_000

# ---------------------------------------------------------------- expert groups


def _group_member(group: ExpertGroup, user: Any) -> ExpertGroupMember:
    member = group.memberships.filter(user=user).first()
    if member is None:
        msg = _("%(user)s is not in this expert group.") % {"user": user}
        raise ActionRefused(msg, {"user": [msg]})
    return member


def add_member(group: ExpertGroup, *, by: Any, user: Any) -> ExpertGroupMember:
    if not rules.can_manage_expert_groups(by, group):
        raise NotPermitted()
    if not user.is_active:
        msg = _("%(user)s's account is deactivated.") % {"user": user}
        raise ActionRefused(msg, {"user": [msg]})
    try:
        with transaction.atomic():
            member = ExpertGroupMember.objects.create(group=group, user=user)
            record(group, "reviews.expertgroup.add_member", actor=by, data={"reviewer": user.pk})
    except IntegrityError:
        msg = _("%(user)s is already in this expert group.") % {"user": user}
        raise ActionRefused(msg, {"user": [msg]}) from None
    forget(user)
    return member


def remove_member(group: ExpertGroup, *, by: Any, user: Any) -> None:
    """Assignments already made stay: the reviewer finishes or the secretariat assigns someone else."""
    if not rules.can_manage_expert_groups(by, group):
        raise NotPermitted()
    with transaction.atomic():
        _group_member(group, user).delete()
        record(group, "reviews.expertgroup.remove_member", actor=by, data={"reviewer": user.pk})
    forget(user)


def set_chair(group: ExpertGroup, *, by: Any, user: Any) -> ExpertGroupMember:
    """One chair per group: the chair records the consensus."""
    if not rules.can_manage_expert_groups(by, group):
        raise NotPermitted()
    with transaction.atomic():
        ExpertGroup.objects.select_for_update().get(pk=group.pk)
        member = _group_member(group, user)
        group.memberships.exclude(pk=member.pk).filter(is_chair=True).update(is_chair=False)
        member.is_chair = True
        member.save(update_fields=["is_chair"])
        record(group, "reviews.expertgroup.set_chair", actor=by, data={"reviewer": user.pk})
    return member


# ---------------------------------------------------------------- review rounds (phases per call)


def round_for(call: Call) -> ReviewRound:
    """The call's review round, created on first use (independent phase, no deadline)."""
    review_round, _created = ReviewRound.objects.get_or_create(call=call)
    return review_round


def _phase(name: str) -> Any:
    def move(call: Call, *, by: Any, comment: str = "") -> ReviewRound:
        if not rules.can_manage_round(by, call):
            raise NotPermitted()
        return fire(round_for(call), name, by=by, comment=comment, field="phase")

    move.__name__ = name
    return move


start_discussion = _phase("start_discussion")
close_review = _phase("close_review")
back_to_independent = _phase("back_to_independent")
ROUND_ACTIONS = {
    "start_discussion": start_discussion,
    "close_review": close_review,
    "back_to_independent": back_to_independent,
}


def _check_deadline(deadline: date | None, key: str = "deadline") -> None:
    if deadline is not None and deadline < timezone.localdate():
        msg = _("The review deadline cannot be in the past.")
        raise ActionRefused(msg, {key: [msg]})


def set_review_deadline(call: Call, *, by: Any, deadline: date | None) -> ReviewRound:
    """The call's review deadline; assignments that followed the old one (or had none) follow the new one."""
    if not rules.can_manage_round(by, call):
        raise NotPermitted()
    _check_deadline(deadline, "review_deadline")
    round_for(call)
    with transaction.atomic():
        locked = ReviewRound.objects.select_for_update().get(call=call)
        if locked.phase == ReviewPhase.DECIDED:
            raise InvalidTransition(_("The review of this call is decided; its deadline can no longer change."))
        old = locked.review_deadline
        locked.review_deadline = deadline
        locked.save(update_fields=["review_deadline"])
        following = Q(deadline__isnull=True) | Q(deadline=old) if old else Q(deadline__isnull=True)
        changed = Assignment.objects.filter(following, application__call=call).update(
            deadline=deadline, reminded_on=None
        )
        data = {"deadline": deadline.isoformat() if deadline else None, "assignments": changed}
        record(locked, "reviews.reviewround.set_deadline", actor=by, data=data)
    return locked


# ---------------------------------------------------------------- assignment


def _refusals(application: Application, reviewer: Any) -> list[str]:
    if application.state != ApplicationState.IN_REVIEW:
        # Before that the reviewer could not open the application the notification links to.
        return [_("Reviewers can be assigned only once the application has been sent to review.")]
    if rules.phase_of(application.call) == ReviewPhase.DECIDED:
        return [_("The review of this call is decided.")]
    if not ExpertGroupMember.objects.filter(group__scheme_id=application.call.scheme_id, user=reviewer).exists():
        return [_("%(user)s is not in this scheme's expert group.") % {"user": reviewer}]
    return [describe(reviewer, application, s) for s in conflicts_of(reviewer, application)]


def _deadline_for(call: Call, deadline: date | None) -> date | None:
    if deadline is not None:
        return deadline
    return ReviewRound.objects.filter(call=call).values_list("review_deadline", flat=True).first()


def assign_reviewer(application: Application, *, by: Any, reviewer: Any, deadline: date | None = None) -> Assignment:
    """Assign one expert-group member without a conflict of interest; the deadline defaults to the call's."""
    if not rules.can_assign_reviewers(by, application):
        raise NotPermitted()
    errors = _refusals(application, reviewer)
    if errors:
        raise ActionRefused(errors[0], {"user": errors})
    _check_deadline(deadline)
    deadline = _deadline_for(application.call, deadline)
    try:
        with transaction.atomic():
            assignment = Assignment.objects.create(
                application=application, reviewer=reviewer, assigned_by=by, deadline=deadline
            )
            record(application, "reviews.assignment.create", actor=by, data=_assignment_data(assignment))
            schedule("reviewer_assigned", assignment.pk)
    except IntegrityError:
        msg = _("%(user)s is already assigned.") % {"user": reviewer}
        raise ActionRefused(msg, {"user": [msg]}) from None
    return assignment


def _assignment_data(assignment: Assignment) -> dict[str, Any]:
    deadline = assignment.deadline.isoformat() if assignment.deadline else None
    return {"reviewer": assignment.reviewer_id, "deadline": deadline}


@dataclass
class Skipped:
    application: Application
    reviewer: Any
    reasons: list[str]


@dataclass
class BulkAssignment:
    """What `assign_call` did: the assignments made, the conflicted pairs it skipped (with why), and the
    applications that got fewer reviewers than asked for (application, how many are missing)."""

    created: list[Assignment] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    short: list[tuple[Application, int]] = field(default_factory=list)


def assign_call(
    call: Call,
    *,
    by: Any,
    reviewers: list[Any] | None = None,
    per_application: int | None = None,
    deadline: date | None = None,
) -> BulkAssignment:
    """Assign reviewers from the expert group to every application of the call in review.

    `reviewers` limits the choice (default: the whole group). With `per_application` each application gets that
    many reviewers in all, the least loaded in this call first (then by id, so the choice is reproducible); without,
    every chosen reviewer gets every application. Pairs with a conflict of interest are skipped and reported.
    """
    if not rules.can_manage_round(by, call):
        raise NotPermitted()
    if per_application is not None and per_application < 1:
        msg = _("Ask for at least one reviewer per application.")
        raise ActionRefused(msg, {"per_application": [msg]})
    _check_deadline(deadline)
    pool = _pool(call, reviewers)
    result = BulkAssignment()
    round_for(call)
    with transaction.atomic():
        review_round = ReviewRound.objects.select_for_update().get(call=call)  # one bulk run per call at a time
        if review_round.phase == ReviewPhase.DECIDED:
            raise InvalidTransition(_("The review of this call is decided."))
        deadline = deadline or review_round.review_deadline
        load = Counter(Assignment.objects.filter(application__call=call).values_list("reviewer_id", flat=True))
        for application in (
            call.applications.filter(state=ApplicationState.IN_REVIEW).select_related("call", "registry").order_by("pk")
        ):
            _assign_one(application, pool, per_application, load, result)
        for assignment in result.created:
            assignment.assigned_by, assignment.deadline = by, deadline
        Assignment.objects.bulk_create(result.created)
        for assignment in result.created:
            record(assignment.application, "reviews.assignment.create", actor=by, data=_assignment_data(assignment))
        if result.created:
            pairs = [[a.application_id, a.reviewer_id] for a in result.created]
            entry = record(call, "reviews.assignment.bulk_create", actor=by, data={"assignments": pairs})
            schedule("assignments_made", entry.pk)
    return result


def _pool(call: Call, reviewers: list[Any] | None) -> list[int]:
    members = list(
        ExpertGroupMember.objects.filter(group__scheme_id=call.scheme_id)
        .order_by("user_id")
        .values_list("user_id", flat=True)
    )
    if reviewers is None:
        return members
    outsiders = [r for r in reviewers if r.pk not in members]
    if outsiders:
        errors = [_("%(user)s is not in this scheme's expert group.") % {"user": r} for r in outsiders]
        raise ActionRefused(errors[0], {"reviewers": errors})
    return sorted({r.pk for r in reviewers})


def _assign_one(
    application: Application, pool: list[int], per_application: int | None, load: Counter[int], result: BulkAssignment
) -> None:
    members = (
        with_conflicts(
            ExpertGroupMember.objects.filter(group__scheme_id=application.call.scheme_id, user_id__in=pool), application
        )
        .select_related("user")
        .order_by("user_id")
    )
    assigned_rows = list(with_conflicts(application.assignments.all(), application, reviewer="reviewer"))
    assigned = {row.reviewer_id for row in assigned_rows}
    # An assigned reviewer who has a conflict now does not count towards `per_application`.
    counting = [row for row in assigned_rows if not sources_of(row)]
    eligible = []
    for member in members:
        if member.user_id in assigned:
            continue
        sources = sources_of(member)
        if sources:
            reasons = [describe(member.user, application, s) for s in sources]
            result.skipped.append(Skipped(application, member.user, reasons))
        else:
            eligible.append(member.user)
    if per_application is not None:
        need = max(per_application - len(counting), 0)
        eligible = sorted(sorted(eligible, key=lambda u: (load[u.pk], u.pk))[:need], key=lambda u: u.pk)
        if len(eligible) < need:
            result.short.append((application, need - len(eligible)))
    for user in eligible:
        load[user.pk] += 1
        result.created.append(Assignment(application=application, reviewer=user))


# ---------------------------------------------------------------- conflicts of interest


def declare_conflict(application: Application, *, by: Any, reason: str) -> Conflict:
    """The reviewer declares a conflict of interest (any time); a new declaration clears an earlier waiver."""
    if not rules.can_declare_conflict(by, application):
        raise NotPermitted()
    if not reason.strip():
        msg = _("Give the reason for the conflict of interest.")
        raise ActionRefused(msg, {"reason": [msg]})
    with transaction.atomic():
        conflict, created = Conflict.objects.select_for_update().get_or_create(
            application=application, reviewer=by, defaults={"reason": reason, "source": ConflictSource.DECLARED}
        )
        if not created:
            conflict.reason, conflict.source = reason, ConflictSource.DECLARED
            conflict.waived_at, conflict.waived_by, conflict.waiver_reason = None, None, ""
            conflict.save()
        record(application, "reviews.conflict.declare", actor=by, data={"reviewer": by.pk})
        schedule("conflict_declared", conflict.pk)
    return conflict


def waive_conflict(application: Application, *, by: Any, reviewer: Any, reason: str) -> Conflict:
    """The secretariat lets `reviewer` review despite a conflict, with a written justification. The waiver covers the
    pair as it is now (declared and automatic sources); membership of the applicant registry cannot be waived."""
    if not rules.can_waive_conflict(by, application):
        raise NotPermitted()
    if not reason.strip():
        msg = _("Write why the conflict of interest is waived.")
        raise ActionRefused(msg, {"reason": [msg]})
    sources = conflicts_of(reviewer, application)
    if not sources:
        msg = _("%(user)s has no conflict of interest with this application to waive.") % {"user": reviewer}
        raise ActionRefused(msg, {"user": [msg]})
    if UNWAIVABLE & set(sources):
        msg = _("%(user)s is a member of the applicant registry: that conflict cannot be waived.") % {"user": reviewer}
        raise ActionRefused(msg, {"user": [msg]})
    source = ConflictSource.DECLARED if ConflictSource.DECLARED in sources else sources[0]
    with transaction.atomic():
        conflict, _created = Conflict.objects.select_for_update().get_or_create(
            application=application,
            reviewer=reviewer,
            defaults={"source": source, "reason": str(ConflictSource(source).label)},
        )
        conflict.waived_at, conflict.waived_by, conflict.waiver_reason = timezone.now(), by, reason.strip()
        conflict.save()
        record(application, "reviews.conflict.waive", actor=by, data={"reviewer": reviewer.pk, "sources": sources})
        schedule("conflict_waived", conflict.pk)
    return conflict


def revoke_waiver(application: Application, *, by: Any, reviewer: Any, reason: str) -> Conflict:
    """The secretariat withdraws a waiver: the reviewer is conflicted again, sees nothing of the application and their
    scores stop counting, at once. The waiver's reason and who gave it stay in the audit trail."""
    if not rules.can_waive_conflict(by, application):
        raise NotPermitted()
    if not reason.strip():
        msg = _("Write why the waiver is withdrawn.")
        raise ActionRefused(msg, {"reason": [msg]})
    with transaction.atomic():
        conflict = (
            Conflict.objects.select_for_update()
            .filter(application=application, reviewer=reviewer, waived_at__isnull=False)
            .first()
        )
        if conflict is None:
            msg = _("%(user)s has no waived conflict of interest with this application.") % {"user": reviewer}
            raise ActionRefused(msg, {"user": [msg]})
        waiver = {"waived_by": conflict.waived_by_id, "waiver_reason": conflict.waiver_reason}
        conflict.waived_at, conflict.waived_by, conflict.waiver_reason = None, None, ""
        conflict.save()
        record(
            application,
            "reviews.conflict.revoke_waiver",
            actor=by,
            comment=reason.strip(),
            data={"reviewer": reviewer.pk, **waiver},
        )
    return conflict


# ---------------------------------------------------------------- scoring


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
        number = _whole_number(value)
        if number is None or not SCORE_MIN <= number <= SCORE_MAX:
            errors[f"scores.{code}"] = [
                _("Enter a whole number from %(a)s to %(b)s.") % {"a": SCORE_MIN, "b": SCORE_MAX}
            ]
            continue
        clean[code] = number
    if errors:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    return clean


def _whole_number(value: Any) -> int | None:
    if isinstance(value, bool):  # JSON true would otherwise count as the score 1
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if str(number) != str(value).strip() and not isinstance(value, int):
        return None
    return number


def _check_writable(application: Application) -> None:
    """An assigned reviewer who may read the application, but the review is over: a state conflict (409)."""
    if application.state != ApplicationState.IN_REVIEW:
        raise InvalidTransition(
            _("Reviews can only be changed while the application is in review (it is now %(state)s).")
            % {"state": application.get_state_display()}
        )
    if rules.phase_of(application.call) not in rules.WRITABLE:
        raise InvalidTransition(_("The review of this call is decided; reviews can no longer change."))


def save_review(application: Application, *, by: Any, scores: dict[str, Any], comment: str) -> Review:
    """Save the reviewer's draft (also as they type); a submitted review is locked until the secretariat reopens it."""
    if not rules.can_review_application(by, application):
        raise NotPermitted()
    _check_writable(application)
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


def reopen_review(review: Review, *, by: Any, comment: str = "") -> Review:
    """The secretariat unlocks a submitted review so its reviewer can change it (the reviewer is told)."""

    def check(locked: Review) -> None:
        _check_writable(locked.application)

    data = {"application": review.application_id, "reviewer": review.reviewer_id}
    return fire(
        review, "reopen", by=by, comment=comment, check=check, data=data, on_commit=[after_commit("review_reopened")]
    )


# ---------------------------------------------------------------- discussion


def post_comment(application: Application, *, by: Any, text: str) -> ReviewComment:
    """A message in the expert group's internal thread on the application (discussion phase only)."""
    if not rules.can_see_discussion(by, application):
        raise NotPermitted()
    if not rules.can_comment(by, application):
        raise InvalidTransition(_("Comments can be posted only while the call's review is in discussion."))
    text = text.strip()
    if not text or len(text) > COMMENT_MAX:
        msg = _("Write a comment of at most %(n)s characters.") % {"n": COMMENT_MAX}
        raise ActionRefused(msg, {"text": [msg]})
    return ReviewComment.objects.create(application=application, author=by, text=text)
