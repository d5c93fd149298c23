"""The decision body's meeting on a call, and the decision letters it produces.

Recording a meeting is one business action: every decision taken at it goes through grants.services.grant/reject
(so the amount limits, the cap reason and the project creation hold), and either all of them stand or none does.

Who acts. Only a decider may grant or reject (grants.rules.can_decide), yet the secretariat is the one who writes
the minutes and records the decisions in practice. So the secretariat records on the body's behalf and names the
decider who chaired or signed the meeting: the grant/reject transitions run, and are audited, as that decider; the
meeting itself is audited as recorded by the secretariat user, naming the decider; and that decider is emailed that
decisions were recorded in their name, so nothing is recorded behind their back. A decider records as themselves.

The predicates live here rather than in grants/rules.py because they concern only meetings and letters.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import partial
from typing import Any
from uuid import uuid4

from django.contrib.auth import get_user_model
from django.core.exceptions import ObjectDoesNotExist
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from accounts.rules import is_decider, is_secretariat
from audit.services import record
from core.exceptions import ActionRefused, NotPermitted
from core.notify import schedule
from core.storage import kept_only_if_recorded

from . import rules, services
from .enums import AWAITING_DECISION, DecisionOutcome
from .models import Application, Call, Decision, DecisionLetter, DecisionMeeting

User = get_user_model()

# ---------------------------------------------------------------- who may do what


def can_record_decisions(user: Any, call: Call | None = None) -> bool:
    return is_secretariat(user) or is_decider(user)


def can_view_meeting(user: Any, meeting: DecisionMeeting | None = None) -> bool:
    return is_secretariat(user) or is_decider(user)


def can_view_decision(user: Any, application: Application) -> bool:
    """The letter and its content: the applicant registry, the secretariat, the decision body."""
    return rules.is_applicant_of(user, application) or is_secretariat(user) or is_decider(user)


def deciders() -> Any:
    return User.objects.filter(is_decider=True, is_active=True).order_by("full_name", "email")


# ---------------------------------------------------------------- recording a meeting


@dataclass
class DecisionInput:
    """One decision as entered: `outcome` is "grant" or "reject"; amount and conditions belong to a grant."""

    application_id: int
    outcome: str
    amount_nok: Decimal | None = None
    conditions: str = ""
    comment: str = ""


def awaiting_decision(call: Call) -> Any:
    return call.applications.filter(state__in=AWAITING_DECISION).select_related("registry").order_by("title", "pk")


def _acting_decider(by: Any, decided_by: Any) -> Any:
    if is_decider(by):
        return by
    if decided_by is None or not is_decider(decided_by) or not decided_by.is_active:
        msg = _("Name the decider on whose behalf you record the meeting.")
        raise ActionRefused(msg, {"decided_by": [msg]})
    return decided_by


def _check_meeting(
    call: Call, held_on: date | None, body: str, attendees: str, recommendation: Any, decisions: list[DecisionInput]
) -> date:
    """The meeting's date, once the meeting's own fields are complete."""
    errors: dict[str, list[str]] = {}
    if held_on is None:
        errors["held_on"] = [_("Enter the meeting date.")]
    elif held_on > timezone.localdate():
        errors["held_on"] = [_("The meeting date cannot be in the future.")]
    if not body.strip():
        errors["body"] = [_("Name the decision body.")]
    if not attendees.strip():
        errors["attendees"] = [_("List who attended.")]
    if recommendation is not None and recommendation.call_id != call.pk:
        errors["recommendation"] = [_("This recommendation belongs to another call.")]
    if not decisions:
        errors["decisions"] = [_("Record at least one decision.")]
    if errors or held_on is None:
        raise ActionRefused(next(iter(errors.values()))[0], errors)
    return held_on


def _decide(application: Application, decision: DecisionInput, actor: Any) -> None:
    if decision.outcome == DecisionOutcome.GRANT:
        # The decision letter tells the registry; the status email would be a second message about the same thing.
        services.grant(
            application, by=actor, granted_amount_nok=decision.amount_nok, comment=decision.comment, notify=False
        )
        Application.objects.filter(pk=application.pk).update(conditions=decision.conditions.strip())
    elif decision.outcome == DecisionOutcome.REJECT:
        services.reject(application, by=actor, comment=decision.comment, notify=False)
    else:
        msg = _("Choose grant or reject.")
        raise ActionRefused(msg, {"outcome": [msg]})


def _named(application: Application, exc: ActionRefused) -> dict[str, list[str]]:
    """The service's field errors, keyed by decision and naming the application they are about."""
    errors = exc.errors or {"outcome": [exc.message]}
    return {
        f"decisions.{application.pk}.{field}": [
            _("“%(title)s”: %(message)s") % {"title": application.title, "message": m} for m in messages
        ]
        for field, messages in errors.items()
    }


def record_decision_meeting(
    call: Call,
    *,
    by: Any,
    held_on: date | None,
    body: str,
    attendees: str,
    minutes: str = "",
    recommendation: Any = None,
    decisions: Iterable[DecisionInput],
    decided_by: Any = None,
) -> DecisionMeeting:
    """Record the meeting and fire its decisions, all or nothing; letters go out after commit."""
    if not can_record_decisions(by, call):
        raise NotPermitted()
    decisions = list(decisions)
    actor = _acting_decider(by, decided_by)
    held_on = _check_meeting(call, held_on, body, attendees, recommendation, decisions)
    with transaction.atomic():
        locked = Call.objects.select_for_update().get(pk=call.pk)
        awaiting = {a.pk: a for a in awaiting_decision(locked).select_for_update(of=("self",))}
        meeting = DecisionMeeting.objects.create(
            call=locked,
            held_on=held_on,
            body=body.strip(),
            attendees=attendees.strip(),
            minutes=minutes.strip(),
            recommendation=recommendation,
            recorded_by=by,
        )
        errors: dict[str, list[str]] = {}
        for decision in decisions:
            application = awaiting.get(decision.application_id)
            if application is None:
                msg = _("Application %(id)s is not awaiting a decision in this call.") % {"id": decision.application_id}
                errors[f"decisions.{decision.application_id}.outcome"] = [msg]
                continue
            try:
                _decide(application, decision, actor)
            except ActionRefused as exc:
                errors |= _named(application, exc)
                continue
            Decision.objects.create(
                meeting=meeting,
                application=application,
                outcome=decision.outcome,
                amount_nok=decision.amount_nok if decision.outcome == DecisionOutcome.GRANT else None,
                conditions=decision.conditions.strip() if decision.outcome == DecisionOutcome.GRANT else "",
            )
        if errors:
            # Leaving the block with the exception rolls back the meeting and every decision already fired.
            n = len({key.split(".")[1] for key in errors})
            msg = ngettext(
                "The meeting was not recorded: %(n)s decision was refused.",
                "The meeting was not recorded: %(n)s decisions were refused.",
                n,
            ) % {"n": n}
            raise ActionRefused(msg, errors)
        record(
            meeting,
            "grants.decisionmeeting.record",
            actor=by,
            data={
                "call": locked.pk,
                "decided_by": actor.pk,
                "recommendation": recommendation.version if recommendation is not None else None,
                "decisions": {str(d.application_id): d.outcome for d in decisions},
            },
        )
        for decision in decisions:
            transaction.on_commit(partial(_queue_letter, decision.application_id))
        if actor != by:
            schedule("decisions_recorded_for", meeting.pk)
    return meeting


def _queue_letter(application_pk: int) -> None:
    from core.tasks import deliver_decision_letter

    deliver_decision_letter.enqueue(application_pk)


# ---------------------------------------------------------------- the letter


def anonymous_comments(application: Application) -> list[str]:
    """The reviewers' comments without their names, from submitted reviews by reviewers with no conflict."""
    from reviews.enums import ReviewState
    from reviews.selectors import conflicted_review

    comments = (
        application.reviews.filter(state=ReviewState.SUBMITTED)
        .exclude(conflicted_review(prefix=""))
        .order_by("submitted_at", "pk")
        .values_list("comment", flat=True)
    )
    return [c.strip() for c in comments if c.strip()]


def consensus_of(application: Application) -> Any:
    try:
        return application.consensus
    except (ObjectDoesNotExist, AttributeError):
        return None


def decision_of(application: Application) -> Decision | None:
    return Decision.objects.select_related("meeting").filter(application=application).first()


def letter_context(application: Application) -> dict[str, Any]:
    """What the letter says and the applicant's page shows: the same content in both."""
    return {
        "application": application,
        "call": application.call,
        "scheme": application.call.scheme,
        "registry": application.registry,
        "decision": decision_of(application),
        "consensus": consensus_of(application),
        "comments": anonymous_comments(application),
    }


def render_letter(application_pk: int) -> DecisionLetter:
    """Render and store the letter once; running the task again changes nothing."""
    from core.pdf import render_pdf_template

    application = Application.objects.select_related("call__scheme", "registry").get(pk=application_pk)
    letter, _created = DecisionLetter.objects.get_or_create(application=application)
    if letter.pdf:
        return letter
    content = render_pdf_template("pdf/decision_letter.html", letter_context(application))
    letter.pdf.save(f"{uuid4().hex}.pdf", ContentFile(content), save=False)
    letter.generated_at = timezone.now()
    with kept_only_if_recorded(letter.pdf):
        letter.save(update_fields=["pdf", "generated_at"])
    return letter


def letter_download_name(application: Application) -> str:
    return f"decision-{application.pk}.pdf"
