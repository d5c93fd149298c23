"""Who hears about what. Each function takes a primary key, runs in the worker after the commit
(core.tasks.send_notification) and returns how many messages it queued in the outbox (core.outbox).

Every message goes through the outbox, one row per recipient, so it honours the recipient's `notification_mode`
(immediate, weekly digest, off) and survives a mail server that refuses or cannot be reached (it is retried). The
outbox delivers the rows after the commit of the worker's transaction.

Keys make each message once-only: "notify:<kind>:<pk>:<event>:<user pk>", where <event> is the id of the audit
entry the message tells about (the object's latest entry when the worker runs), or the object's own pk where the
object is the event (a recommendation version, an audit entry). A rerun of the task queues nothing new.

Essential (sent at once whatever the recipient chose):
- decisions: application_decided, final_report_decided, project_terminated, decisions_recorded_for (a decision
  recorded in the decider's name, which is also an account-security matter);
- escalations to the secretariat: conflict_declared (an assessment cannot go on until the secretariat acts), and the
  overdue-review escalation (reviews.reminders);
- the decision letter (kept on the direct path, see `decision_letter`).
Not essential (reminders and status feedback): everything else, that is application_submitted/received,
application_withdrawn, changes_requested, application_ineligible, reviewer_assigned, assignments_made,
review_submitted, review_reopened, conflict_waived, agreement_accepted, final_report_submitted, the milestone and
progress report notifications, recommendation_sent, and the reviewers' review reminders.
Account security mails (a password reset, a changed email or role) are essential too; none is sent yet. The
digest email itself (core.outbox.send_digests) is not a notification and goes out only to those who chose it.
"""

from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet

from core import emails, outbox
from reviews.emails import NOTIFICATIONS as REVIEW_NOTIFICATIONS

User = get_user_model()


def queue(
    template: str,
    pk: object,
    event: object,
    users: Iterable[Any],
    context: dict,
    *,
    essential: bool,
    kind: str = "",
) -> int:
    """Render template set `template` once and queue it for each user with an email; the number of new rows. `kind`
    (default: the template's name) goes in the key: kinds that share a template stay apart."""
    recipients = sorted({user.pk: user for user in users if user.email}.values(), key=lambda user: user.pk)
    if not recipients:
        return 0
    subject, body, html = emails.render(template, context)
    queued = 0
    with transaction.atomic():  # one delivery after all the rows are in
        for user in recipients:
            queued += outbox.enqueue(
                f"notify:{kind or template}:{pk}:{event}:{user.pk}",
                kind=template,
                recipient=user,
                subject=subject,
                body=body,
                html=html,
                essential=essential,
            )
    return queued


def last_entry_id(obj: Any) -> int | None:
    """The id of the object's latest audit entry: the event a notification tells about."""
    from audit.services import history

    entry = history(obj).last()
    return entry.pk if entry else None


def registry_members(registry_id: int) -> QuerySet[Any]:
    return User.objects.filter(memberships__registry_id=registry_id, is_active=True).distinct()


def secretariat_users() -> QuerySet[Any]:
    return User.objects.filter(is_secretariat=True, is_active=True)


def _application(pk: int):
    from grants.models import Application

    return Application.objects.select_related("call", "registry").get(pk=pk)


def _project(pk: int):
    from projects.models import Project

    return Project.objects.select_related("registry").get(pk=pk)


def application_submitted(pk: int) -> int:
    app = _application(pk)
    ctx = {"application": app}
    event = last_entry_id(app)
    return queue("application_submitted", pk, event, registry_members(app.registry_id), ctx, essential=False) + queue(
        "application_received", pk, event, secretariat_users(), ctx, essential=False
    )


def _to_registry(kind: str, template: str, *, essential: bool) -> Callable[[int], int]:
    def send(pk: int) -> int:
        from audit.services import history

        app = _application(pk)
        last = history(app).last()
        ctx = {"application": app, "entry": last}
        event = last.pk if last else None
        return queue(template, pk, event, registry_members(app.registry_id), ctx, essential=essential, kind=kind)

    return send


def application_withdrawn(pk: int) -> int:
    """The registry is told; so is the secretariat, unless the application never left the draft."""
    from audit.services import history

    app = _application(pk)
    entries = list(history(app))
    ctx = {"application": app, "entry": entries[-1]}
    event = entries[-1].pk
    sent = queue("application_status", pk, event, registry_members(app.registry_id), ctx, essential=False)
    if entries[-1].source != "draft":
        sent += queue("application_status", pk, event, secretariat_users(), ctx, essential=False)
    return sent


def reviewer_assigned(pk: int) -> int:
    from reviews.models import Assignment

    assignment = Assignment.objects.select_related("application", "reviewer").get(pk=pk)
    ctx = {"assignment": assignment}
    return queue("reviewer_assigned", pk, last_entry_id(assignment), [assignment.reviewer], ctx, essential=False)


def review_submitted(pk: int) -> int:
    from reviews.models import Review

    review = Review.objects.select_related("application", "reviewer").get(pk=pk)
    ctx = {"review": review}
    return queue("review_submitted", pk, last_entry_id(review), secretariat_users(), ctx, essential=False)


def _project_to(kind: str, template: str, to_secretariat: bool, *, essential: bool) -> Callable[[int], int]:
    def send(pk: int) -> int:
        from audit.services import history

        project = _project(pk)
        users = secretariat_users() if to_secretariat else registry_members(project.registry_id)
        last = history(project).last()
        ctx = {"project": project, "entry": last}
        return queue(template, pk, last.pk if last else None, users, ctx, essential=essential, kind=kind)

    return send


def _milestone_to(kind: str, template: str, to_secretariat: bool) -> Callable[[int], int]:
    def send(pk: int) -> int:
        from audit.services import history
        from projects.models import Milestone

        milestone = Milestone.objects.select_related("project").get(pk=pk)
        users = secretariat_users() if to_secretariat else registry_members(milestone.project.registry_id)
        last = history(milestone).last()
        ctx = {"milestone": milestone, "project": milestone.project, "entry": last}
        return queue(template, pk, last.pk if last else None, users, ctx, essential=False, kind=kind)

    return send


def _progress_report_to(kind: str, to_secretariat: bool) -> Callable[[int], int]:
    """Submitted: the secretariat must answer. Approved or returned: the registry sees the feedback."""

    def send(pk: int) -> int:
        from projects.models import ProgressReport

        report = ProgressReport.objects.select_related("project").get(pk=pk)
        users = secretariat_users() if to_secretariat else registry_members(report.project.registry_id)
        ctx = {"report": report, "project": report.project}
        return queue("progress_report_status", pk, last_entry_id(report), users, ctx, essential=False, kind=kind)

    return send


def decider_users() -> QuerySet[Any]:
    return User.objects.filter(is_decider=True, is_active=True)


def recommendation_sent(pk: int) -> int:
    """The decision body hears that a recommendation has arrived; the PDF stays behind the access-checked link."""
    from reviews.models import RecommendationVersion

    version = RecommendationVersion.objects.select_related("call").get(pk=pk)
    ctx = {"version": version, "call": version.call}
    return queue("recommendation_sent", pk, pk, decider_users(), ctx, essential=False)


def _registry_emails(registry_id: int) -> list[str]:
    return list(registry_members(registry_id).values_list("email", flat=True))


def decision_letter(pk: int) -> int:
    """The registry gets its decision letter as a PDF attachment, once (a rerun of the task sends nothing).

    Kept on the direct path (core.emails.send, not the outbox): the outbox has no field for an attachment and the
    letter is the decision itself, essential, so the recipients' notification settings would not apply anyway.
    `DecisionLetter.sent_at` makes it once-only; a mail server that fails makes the task fail, to be run again."""
    from django.utils import timezone

    from grants.decisions import letter_download_name
    from grants.models import DecisionLetter

    letter = DecisionLetter.objects.select_related("application__call", "application__registry").get(application_id=pk)
    if letter.sent_at is not None or not letter.pdf:
        return 0
    app = letter.application
    with letter.pdf.open("rb") as pdf:
        attachment = (letter_download_name(app), pdf.read(), "application/pdf")
    to = _registry_emails(app.registry_id)
    sent = emails.send("decision_letter", to, {"application": app}, attachments=[attachment])
    DecisionLetter.objects.filter(pk=letter.pk).update(sent_at=timezone.now())
    return sent


def decisions_recorded_for(pk: int) -> int:
    """A decider learns that the secretariat recorded a meeting's decisions in their name."""
    from audit.services import history
    from grants.models import DecisionMeeting

    meeting = DecisionMeeting.objects.select_related("call", "recorded_by").get(pk=pk)
    entry = history(meeting).get(action="grants.decisionmeeting.record")
    decider = User.objects.get(pk=entry.data["decided_by"])
    ctx = {"meeting": meeting, "call": meeting.call}
    return queue("decisions_recorded_for", pk, entry.pk, [decider], ctx, essential=True)


NOTIFICATIONS: dict[str, Callable[[int], int]] = {
    "application_submitted": application_submitted,
    "application_withdrawn": application_withdrawn,
    "changes_requested": _to_registry("changes_requested", "application_status", essential=False),
    "application_ineligible": _to_registry("application_ineligible", "application_status", essential=False),
    "application_decided": _to_registry("application_decided", "application_status", essential=True),
    "reviewer_assigned": reviewer_assigned,
    "review_submitted": review_submitted,
    "agreement_accepted": _project_to("agreement_accepted", "project_status", to_secretariat=True, essential=False),
    "final_report_submitted": _project_to(
        "final_report_submitted", "project_status", to_secretariat=True, essential=False
    ),
    "final_report_decided": _project_to("final_report_decided", "project_status", to_secretariat=False, essential=True),
    "project_terminated": _project_to("project_terminated", "project_status", to_secretariat=False, essential=True),
    "milestone_reported": _milestone_to("milestone_reported", "milestone_status", to_secretariat=True),
    "milestone_returned": _milestone_to("milestone_returned", "milestone_status", to_secretariat=False),
    "milestone_approved": _milestone_to("milestone_approved", "milestone_status", to_secretariat=False),
    "progress_report_submitted": _progress_report_to("progress_report_submitted", to_secretariat=True),
    "progress_report_decided": _progress_report_to("progress_report_decided", to_secretariat=False),
    "recommendation_sent": recommendation_sent,
    "decision_letter": decision_letter,
    "decisions_recorded_for": decisions_recorded_for,
    **REVIEW_NOTIFICATIONS,
}
