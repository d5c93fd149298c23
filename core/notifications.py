"""Who hears about what. Each function takes a primary key, runs in the worker, returns messages sent."""

from collections.abc import Callable

from django.contrib.auth import get_user_model

from core import emails
from reviews.emails import NOTIFICATIONS as REVIEW_NOTIFICATIONS

User = get_user_model()


def _registry_emails(registry_id: int) -> list[str]:
    return list(
        User.objects.filter(memberships__registry_id=registry_id, is_active=True).values_list("email", flat=True)
    )


def _secretariat_emails() -> list[str]:
    return list(User.objects.filter(is_secretariat=True, is_active=True).values_list("email", flat=True))


def _application(pk: int):
    from grants.models import Application

    return Application.objects.select_related("call", "registry").get(pk=pk)


def _project(pk: int):
    from projects.models import Project

    return Project.objects.select_related("registry").get(pk=pk)


def application_submitted(pk: int) -> int:
    app = _application(pk)
    ctx = {"application": app}
    return emails.send("application_submitted", _registry_emails(app.registry_id), ctx) + emails.send(
        "application_received", _secretariat_emails(), ctx
    )


def _to_registry(template: str) -> Callable[[int], int]:
    def send(pk: int) -> int:
        from audit.services import history

        app = _application(pk)
        last = history(app).last()
        return emails.send(template, _registry_emails(app.registry_id), {"application": app, "entry": last})

    return send


def application_withdrawn(pk: int) -> int:
    """The registry is told; so is the secretariat, unless the application never left the draft."""
    from audit.services import history

    app = _application(pk)
    entries = list(history(app))
    sent = emails.send(
        "application_status", _registry_emails(app.registry_id), {"application": app, "entry": entries[-1]}
    )
    if entries[-1].source != "draft":
        sent += emails.send("application_status", _secretariat_emails(), {"application": app, "entry": entries[-1]})
    return sent


def reviewer_assigned(pk: int) -> int:
    from reviews.models import Assignment

    assignment = Assignment.objects.select_related("application", "reviewer").get(pk=pk)
    return emails.send("reviewer_assigned", [assignment.reviewer.email], {"assignment": assignment})


def review_submitted(pk: int) -> int:
    from reviews.models import Review

    review = Review.objects.select_related("application", "reviewer").get(pk=pk)
    return emails.send("review_submitted", _secretariat_emails(), {"review": review})


def _project_to(template: str, to_secretariat: bool) -> Callable[[int], int]:
    def send(pk: int) -> int:
        from audit.services import history

        project = _project(pk)
        to = _secretariat_emails() if to_secretariat else _registry_emails(project.registry_id)
        return emails.send(template, to, {"project": project, "entry": history(project).last()})

    return send


def _milestone_to(template: str, to_secretariat: bool) -> Callable[[int], int]:
    def send(pk: int) -> int:
        from audit.services import history
        from projects.models import Milestone

        milestone = Milestone.objects.select_related("project").get(pk=pk)
        to = _secretariat_emails() if to_secretariat else _registry_emails(milestone.project.registry_id)
        ctx = {"milestone": milestone, "project": milestone.project, "entry": history(milestone).last()}
        return emails.send(template, to, ctx)

    return send


def _progress_report_to(to_secretariat: bool) -> Callable[[int], int]:
    """Submitted: the secretariat must answer. Approved or returned: the registry sees the feedback."""

    def send(pk: int) -> int:
        from projects.models import ProgressReport

        report = ProgressReport.objects.select_related("project").get(pk=pk)
        to = _secretariat_emails() if to_secretariat else _registry_emails(report.project.registry_id)
        return emails.send("progress_report_status", to, {"report": report, "project": report.project})

    return send


def _decider_emails() -> list[str]:
    return list(User.objects.filter(is_decider=True, is_active=True).values_list("email", flat=True))


def recommendation_sent(pk: int) -> int:
    """The decision body hears that a recommendation has arrived; the PDF stays behind the access-checked link."""
    from reviews.models import RecommendationVersion

    version = RecommendationVersion.objects.select_related("call").get(pk=pk)
    return emails.send("recommendation_sent", _decider_emails(), {"version": version, "call": version.call})


def decision_letter(pk: int) -> int:
    """The registry gets its decision letter as a PDF attachment, once (a rerun of the task sends nothing)."""
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
    return emails.send("decisions_recorded_for", [decider.email], {"meeting": meeting, "call": meeting.call})


NOTIFICATIONS: dict[str, Callable[[int], int]] = {
    "application_submitted": application_submitted,
    "application_withdrawn": application_withdrawn,
    "changes_requested": _to_registry("application_status"),
    "application_ineligible": _to_registry("application_status"),
    "application_decided": _to_registry("application_status"),
    "reviewer_assigned": reviewer_assigned,
    "review_submitted": review_submitted,
    "agreement_accepted": _project_to("project_status", to_secretariat=True),
    "final_report_submitted": _project_to("project_status", to_secretariat=True),
    "final_report_decided": _project_to("project_status", to_secretariat=False),
    "project_terminated": _project_to("project_status", to_secretariat=False),
    "milestone_reported": _milestone_to("milestone_status", to_secretariat=True),
    "milestone_returned": _milestone_to("milestone_status", to_secretariat=False),
    "milestone_approved": _milestone_to("milestone_status", to_secretariat=False),
    "progress_report_submitted": _progress_report_to(to_secretariat=True),
    "progress_report_decided": _progress_report_to(to_secretariat=False),
    "recommendation_sent": recommendation_sent,
    "decision_letter": decision_letter,
    "decisions_recorded_for": decisions_recorded_for,
    **REVIEW_NOTIFICATIONS,
}
