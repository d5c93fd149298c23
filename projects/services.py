"""Business actions on projects and milestones."""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from audit.services import record
from core.exceptions import ActionRefused, NotPermitted
from core.notify import after_commit
from core.workflow import fire
from finance.enums import PaymentState, PaymentTrigger
from finance.models import Payment
from finance.plan import instalments
from finance.services import close_out
from grants.models import Application

from . import agreements, final_reports, rules
from .models import FinalReport, Milestone, Project

# SQUIRE 2.0 headings (Ogrinc et al. 2015), the required structure of a QI final report.
SQUIRE_SECTIONS = [
    ("title_abstract", "Tittel og sammendrag", "Title and abstract"),
    ("problem", "Problembeskrivelse", "Problem description"),
    ("available_knowledge", "Tilgjengelig kunnskap", "Available knowledge"),
    ("rationale", "Begrunnelse", "Rationale"),
    ("aims", "Spesifikke mål", "Specific aims"),
    ("context", "Kontekst", "Context"),
    ("interventions", "Intervensjoner", "Interventions"),
    ("study_of_interventions", "Studie av intervensjonene", "Study of the interventions"),
    ("measures", "Mål og målinger", "Measures"),
    ("analysis", "Analyse", "Analysis"),
    ("ethics", "Etiske vurderinger", "Ethical considerations"),
    ("results", "Resultater", "Results"),
    ("summary", "Oppsummering", "Summary"),
    ("interpretation", "Tolkning", "Interpretation"),
    ("limitations", "Begrensninger", "Limitations"),
    ("conclusions", "Konklusjoner", "Conclusions"),
    ("funding", "Finansiering", "Funding"),
]
DATA_QUALITY_SECTIONS = [
    ("summary", "Sammendrag", "Summary"),
    ("dimension", "Datakvalitetsdimensjon", "Data-quality dimension"),
    ("methods", "Metode", "Methods"),
    ("results", "Resultater", "Results"),
    ("value_beyond", "Nytte utover eget register", "Value beyond the registry"),
    ("budget", "Regnskap", "Accounts"),
]


def sections_as_json(rows: list[tuple[str, str, str]]) -> list[dict[str, str]]:
    return [{"key": k, "title": nb, "title_en": en} for k, nb, en in rows]


def required_sections(project: Project) -> list[str]:
    return [s["key"] for s in project.application.call.scheme.final_report_sections]


def create_project_for(application: Application, *, by: Any) -> Project:
    """Called inside the grant transaction: the granted application becomes a project."""
    amount = application.granted_amount_nok
    if amount is None:  # the grant transition always sets it; a missing amount is a programming error
        raise ValueError("a granted application has an amount")
    project = Project.objects.create(
        application=application,
        registry_id=application.registry_id,
        title=application.title,
        granted_amount_nok=amount,
        start_date=application.start_date,
        end_date=application.end_date,
    )
    Milestone.objects.bulk_create(
        Milestone(project=project, title=m.title, due_date=m.due_date) for m in application.planned_milestones.all()
    )
    _create_payments(project, application.call.scheme.payment_plan)
    FinalReport.objects.create(project=project)
    record(project, "projects.project.create", actor=by, target=project.state)
    agreements.schedule_agreement(project)
    return project


def _create_payments(project: Project, payment_plan: list[dict[str, Any]]) -> None:
    """The scheme's payment plan, split to the øre (finance.plan). A payment on a milestone goes with the project's
    milestones in due-date order; one without a milestone to go with falls due with the final report."""
    milestones = iter(project.milestones.order_by("due_date", "id"))
    Payment.objects.bulk_create(
        Payment(
            project=project,
            amount_nok=part.amount_nok,
            trigger=part.trigger,
            order=part.order,
            milestone=next(milestones, None) if part.trigger == PaymentTrigger.MILESTONE else None,
        )
        for part in instalments(project.granted_amount_nok, payment_plan)
    )


def _payments_due(project: Project, trigger: str, milestone: Milestone | None = None) -> None:
    payments = project.payments.filter(trigger=trigger, state=PaymentState.SCHEDULED)
    if milestone is not None:
        payments = payments.filter(milestone=milestone)
    elif trigger == PaymentTrigger.FINAL_REPORT:
        # The approved final report closes the project: milestone payments still scheduled fall due with it, whether
        # their milestone was never planned, removed by a change or never approved. Left scheduled on a closed
        # project they would be neither paid nor cancelled (found by tests/properties); the secretariat may cancel.
        payments = project.payments.filter(
            state=PaymentState.SCHEDULED, trigger__in=[trigger, PaymentTrigger.MILESTONE]
        )
    for payment in payments:
        payment.become_due()
        payment.save()
        record(payment, "finance.payment.become_due", source=PaymentState.SCHEDULED, target=PaymentState.DUE)


def accept_agreement(
    project: Project, *, by: Any, comment: str = "", name: str = "", signed_pdf: bytes | None = None
) -> Project:
    """Accepted in the app (`name` typed by the project lead) or by uploading a signed copy (`signed_pdf`, checked
    by agreements.check_signed_pdf); either way the project becomes active and its reporting schedule is set."""

    def after(locked: Project) -> None:
        _payments_due(locked, PaymentTrigger.AGREEMENT)
        agreements.stamp_acceptance(locked, by=by, name=name, signed_pdf=signed_pdf)

    return fire(
        project,
        "accept_agreement",
        by=by,
        comment=comment,
        check=lambda locked: agreements.check_acceptance(name),
        data={"signed_copy": signed_pdf is not None},
        after=after,
        on_commit=[after_commit("agreement_accepted")],
    )


def save_final_report(project: Project, *, by: Any, sections: dict[str, str]) -> FinalReport:
    if not rules.can_run_project(by, project):
        raise NotPermitted()
    allowed = set(required_sections(project))
    unknown = sorted(set(sections) - allowed)
    if unknown:
        raise ActionRefused(
            _("Unknown section(s): %(keys)s.") % {"keys": ", ".join(unknown)},
            {f"sections.{k}": [_("This scheme's final report has no such section.")] for k in unknown},
        )
    bad = [k for k, v in sections.items() if not isinstance(v, str)]
    if bad:
        raise ActionRefused(_("Sections must be text."), {f"sections.{k}": [_("Must be text.")] for k in bad})
    with transaction.atomic():
        locked = Project.objects.select_for_update().get(pk=project.pk)
        if locked.state != "active":
            raise ActionRefused(_("The final report can only be edited while the project is active."))
        report, _created = FinalReport.objects.get_or_create(project=locked)
        report.sections = {**report.sections, **sections}
        report.updated_by = by
        report.save()
    return report


def submit_final_report(project: Project, *, by: Any, comment: str = "") -> Project:
    def check(locked: Project) -> None:
        report, _created = FinalReport.objects.get_or_create(project=locked)
        missing = report.missing_sections(required_sections(locked))
        if missing:
            raise ActionRefused(
                _("Every required section needs text before you submit; missing: %(keys)s.")
                % {"keys": ", ".join(missing)},
                {f"sections.{k}": [_("This section is required.")] for k in missing},
            )

    def stamp(locked: Project) -> None:
        from django.utils import timezone

        now = timezone.now()
        FinalReport.objects.filter(project=locked).update(submitted_at=now, **_frozen_outcome(locked, now))

    return fire(
        project,
        "submit_final_report",
        by=by,
        comment=comment,
        check=check,
        after=stamp,
        on_commit=[after_commit("final_report_submitted"), final_reports.queue_pdf],
    )


def _frozen_outcome(project: Project, now: Any) -> dict[str, Any]:
    """The measured outcome as the report was submitted or approved (a later redelivery must not rewrite it)."""
    from .outcomes import freeze, project_outcomes

    return {"outcome": freeze(project_outcomes(project)), "outcome_at": now}


def approve_final_report(project: Project, *, by: Any, comment: str = "") -> Project:
    def close(locked: Project) -> None:
        _payments_due(locked, PaymentTrigger.FINAL_REPORT)
        FinalReport.objects.filter(project=locked).update(**_frozen_outcome(locked, locked.closed_at))
        close_out(locked)

    return fire(
        project,
        "approve_final_report",
        by=by,
        comment=comment,
        after=close,
        on_commit=[after_commit("final_report_decided"), final_reports.queue_pdf],
    )


def return_final_report(project: Project, *, by: Any, comment: str = "") -> Project:
    def check(locked: Project) -> None:
        if not comment.strip():
            msg = _("Say what must be revised.")
            raise ActionRefused(msg, {"comment": [msg]})

    def reopen(locked: Project) -> None:
        FinalReport.objects.filter(project=locked).update(submitted_at=None)

    return fire(
        project,
        "return_final_report",
        by=by,
        comment=comment,
        check=check,
        after=reopen,
        on_commit=[after_commit("final_report_decided")],
    )


def terminate(project: Project, *, by: Any, comment: str = "") -> Project:
    def check(locked: Project) -> None:
        if not comment.strip():
            msg = _("Give the reason for terminating the project.")
            raise ActionRefused(msg, {"comment": [msg]})

    def cancel_open_payments(locked: Project) -> None:
        # Approved is not paid yet: after termination nothing more is paid out (unspent funds are returned).
        open_ = [PaymentState.SCHEDULED, PaymentState.DUE, PaymentState.APPROVED]
        for payment in locked.payments.filter(state__in=open_):
            source = payment.state
            payment.cancel()
            payment.save()
            record(payment, "finance.payment.cancel", actor=by, source=source, target=payment.state, comment=comment)
        close_out(locked)

    return fire(
        project,
        "terminate",
        by=by,
        comment=comment,
        check=check,
        after=cancel_open_payments,
        on_commit=[after_commit("project_terminated")],
    )


def report_milestone(milestone: Milestone, *, by: Any, text: str) -> Milestone:
    def check(locked: Milestone) -> None:
        if not text.strip():
            msg = _("Write the progress report.")
            raise ActionRefused(msg, {"text": [msg]})

    return fire(
        milestone, "report", by=by, kwargs={"text": text}, check=check, on_commit=[after_commit("milestone_reported")]
    )


def approve_milestone(milestone: Milestone, *, by: Any, comment: str = "") -> Milestone:
    return fire(
        milestone,
        "approve",
        by=by,
        comment=comment,
        after=lambda m: _payments_due(m.project, PaymentTrigger.MILESTONE, milestone=m),
        on_commit=[after_commit("milestone_approved")],
    )


def request_milestone_revision(milestone: Milestone, *, by: Any, comment: str = "") -> Milestone:
    def check(locked: Milestone) -> None:
        if not comment.strip():
            msg = _("Say what must be revised.")
            raise ActionRefused(msg, {"comment": [msg]})

    return fire(
        milestone,
        "request_revision",
        by=by,
        comment=comment,
        check=check,
        on_commit=[after_commit("milestone_returned")],
    )


PROJECT_ACTIONS = {
    "accept_agreement": accept_agreement,
    "submit_final_report": submit_final_report,
    "approve_final_report": approve_final_report,
    "return_final_report": return_final_report,
    "terminate": terminate,
}
MILESTONE_ACTIONS = {"approve": approve_milestone, "request_revision": request_milestone_revision}
