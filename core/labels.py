"""Human labels for actions and states in the timeline and on buttons."""

from django.utils.translation import gettext_lazy as _

from finance.enums import PaymentState
from grants.enums import ApplicationState, CallState
from projects.enums import ChangeRequestState, MilestoneState, ProgressReportState, ProjectState
from reviews.enums import ReviewPhase

ACTION_LABELS = {
    "create": _("Created"),
    "update": _("Updated"),
    "import": _("Imported from earlier records"),
    "open": _("Open the call"),
    "close": _("Close the call"),
    "decide": _("Mark as decided"),
    "submit": _("Submit"),
    "withdraw": _("Withdraw"),
    "request_changes": _("Request changes"),
    "resubmit": _("Resubmit"),
    "mark_ineligible": _("Mark as ineligible"),
    "send_to_review": _("Send to expert review"),
    "complete_assessment": _("Complete the assessment"),
    "recommend": _("Recommend"),
    "not_recommend": _("Do not recommend"),
    "grant": _("Grant"),
    "reject": _("Reject"),
    "accept_agreement": _("Accept the agreement"),
    "submit_final_report": _("Submit the final report"),
    "approve_final_report": _("Approve the final report"),
    "return_final_report": _("Return the final report for revision"),
    "terminate": _("Terminate the project"),
    "report": _("Report progress"),
    "approve": _("Approve"),
    "request_revision": _("Request revision"),
    "return_report": _("Return with feedback"),
    "declare": _("Conflict of interest declared"),
    "waive": _("Conflict of interest waived"),
    "start_discussion": _("Start the discussion"),
    "close_review": _("Close the review (read-only)"),
    "back_to_independent": _("Back to independent review"),
    "become_due": _("Payment due"),
    "pay": _("Paid"),
    "cancel": _("Cancelled"),
    "refuse": _("Refuse"),
}
# Audit codes whose last part is not the transition name.
CODE_LABELS = {
    "reviews.assignment.create": _("Reviewer assigned"),
    "reviews.conflict.declare": _("Conflict of interest declared"),
    "reviews.conflict.waive": _("Conflict of interest waived"),
    "reviews.conflict.revoke_waiver": _("Waiver withdrawn"),
    "reviews.assignment.bulk_create": _("Reviewers assigned for the whole call"),
    "reviews.reviewround.set_deadline": _("Review deadline set"),
    "reviews.review.reopen": _("Review reopened"),
    "reviews.expertgroup.add_member": _("Member added"),
    "reviews.expertgroup.remove_member": _("Member removed"),
    "reviews.expertgroup.set_chair": _("Chair appointed"),
    "projects.project.create": _("Project created"),
    "projects.project.agreement_download": _("Agreement downloaded"),
    "projects.changerequest.submit": _("Change requested"),
    "projects.changerequest.apply": _("Change applied to the plan"),
    "projects.project.change_extension": _("End date changed"),
    "projects.project.change_budget": _("Budget reallocated"),
    "projects.project.change_milestones": _("Milestones changed"),
    "finance.expenditure.report": _("Expenditure reported"),
    "finance.funds.return": _("Returned funds recorded"),
    "grants.application.export": _("Applications exported"),
    "projects.project.export": _("Projects exported"),
    "finance.payment.export": _("Payments exported"),
    "grants.application.view": _("Application read"),
    "reviews.review.view": _("Review read"),
    "grants.decisionletter.download": _("Decision letter downloaded"),
    "reviews.recommendationversion.download": _("Recommendation downloaded"),
    "projects.finalreport.download": _("Final report downloaded"),
    "finance.annual_summary.download": _("Annual summary downloaded"),
    "audit.auditentry.export": _("Audit trail exported"),
    "accounts.user.erase": _("Person erased (pseudonymised)"),
}
STATE_LABELS = {
    **dict(ProgressReportState.choices),
    **dict(CallState.choices),
    **dict(ApplicationState.choices),
    **dict(ProjectState.choices),
    **dict(MilestoneState.choices),
    **dict(ReviewPhase.choices),
    **dict(PaymentState.choices),
    **dict(ChangeRequestState.choices),
}
# Actions that need a reason (the service refuses without one).
COMMENT_REQUIRED = {
    "request_changes",
    "mark_ineligible",
    "not_recommend",
    "return_final_report",
    "terminate",
    "request_revision",
    "return_report",
}
DANGEROUS = {"withdraw", "mark_ineligible", "reject", "terminate", "not_recommend"}


def action_label(code: str) -> str:
    return str(CODE_LABELS.get(code) or ACTION_LABELS.get(code.rsplit(".", 1)[-1]) or code)


def timeline(entries) -> list[dict]:
    entries = list(entries)
    subjects = _subjects(entries)
    return [
        {
            "at": e.at,
            "actor": e.actor,
            "label": _label(e, subjects),
            "source": e.source,
            "target": e.target,
            "source_label": STATE_LABELS.get(e.source, e.source),
            "target_label": STATE_LABELS.get(e.target, e.target),
            "comment": e.comment,
        }
        for e in entries
    ]


def _label(entry, subjects: dict) -> str:
    label = action_label(entry.action)
    subject = subjects.get(entry.data.get("reviewer")) if isinstance(entry.data, dict) else None
    return f"{label}: {subject}" if subject else label


def _subjects(entries: list) -> dict:
    """Names of the people an entry is about (e.g. the assigned reviewer), fetched in one query."""
    from django.contrib.auth import get_user_model

    ids: set[int] = {e.data["reviewer"] for e in entries if isinstance(e.data, dict) and e.data.get("reviewer")}
    if not ids:
        return {}
    return {u.pk: str(u) for u in get_user_model().objects.filter(pk__in=ids)}
