from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from grants.models import Application
from grants.rules import as_permission
from registries.models import Registry

from . import rules
from .enums import (
    TERMINABLE,
    ChangeKind,
    ChangeRequestState,
    MilestoneState,
    ProgressReportState,
    ProjectState,
)

P = ProjectState
M = MilestoneState
PR = ProgressReportState
CR = ChangeRequestState


class Project(FSMModelMixin, models.Model):
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="project")
    # Copied from the application so visibility filters need no join.
    registry = models.ForeignKey(Registry, on_delete=models.PROTECT, related_name="projects")
    title = models.CharField(_("title"), max_length=250)
    granted_amount_nok = models.DecimalField(_("granted amount (NOK)"), max_digits=12, decimal_places=2)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    state = FSMField(default=P.AGREEMENT_PENDING, choices=P.choices, protected=True, db_index=True)
    agreement_accepted_at = models.DateTimeField(null=True, blank=True)
    # The agreement: generated from the scheme's template; accepted in the app (name typed, user and time recorded)
    # or by uploading a signed copy.
    agreement_pdf = models.FileField(upload_to="agreements/%Y/", blank=True)
    agreement_generated_at = models.DateTimeField(null=True, blank=True)
    agreement_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    agreement_accepted_name = models.CharField(_("name of the person accepting"), max_length=200, blank=True)
    signed_agreement = models.FileField(_("signed agreement"), upload_to="agreements/signed/%Y/", blank=True)
    final_report_due = models.DateField(_("final report due"), null=True, blank=True)
    # Close-out: what was not spent and must be returned, and its return.
    unspent_nok = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    funds_returned_nok = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    funds_returned_on = models.DateField(null=True, blank=True)
    funds_return_reference = models.CharField(max_length=100, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("project")
        verbose_name_plural = _("projects")

    def __str__(self) -> str:
        return self.title

    @transition(
        field=state, source=P.AGREEMENT_PENDING, target=P.ACTIVE, permission=as_permission(rules.can_run_project)
    )
    def accept_agreement(self) -> None:
        self.agreement_accepted_at = timezone.now()

    @transition(
        field=state, source=P.ACTIVE, target=P.FINAL_REPORT_SUBMITTED, permission=as_permission(rules.can_run_project)
    )
    def submit_final_report(self) -> None:
        pass

    @transition(
        field=state, source=P.FINAL_REPORT_SUBMITTED, target=P.CLOSED, permission=as_permission(rules.can_follow_up)
    )
    def approve_final_report(self) -> None:
        self.closed_at = timezone.now()

    @transition(
        field=state, source=P.FINAL_REPORT_SUBMITTED, target=P.ACTIVE, permission=as_permission(rules.can_follow_up)
    )
    def return_final_report(self) -> None:
        pass

    @transition(field=state, source=TERMINABLE, target=P.TERMINATED, permission=as_permission(rules.can_follow_up))
    def terminate(self) -> None:
        self.closed_at = timezone.now()


class Milestone(FSMModelMixin, models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="milestones")
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due date"))
    state = FSMField(default=M.PLANNED, choices=M.choices, protected=True)
    report_text = models.TextField(_("progress report"), blank=True)
    reported_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "due_date", "id"]

    def __str__(self) -> str:
        return self.title

    @transition(
        field=state,
        source=[M.PLANNED, M.REVISION_REQUESTED],
        target=M.REPORTED,
        conditions=[rules.project_is_active],
        permission=as_permission(rules.can_report_milestone),
    )
    def report(self, text: str) -> None:
        self.report_text = text
        self.reported_at = timezone.now()

    @transition(field=state, source=M.REPORTED, target=M.APPROVED, permission=as_permission(rules.can_review_milestone))
    def approve(self) -> None:
        pass

    @transition(
        field=state,
        source=M.REPORTED,
        target=M.REVISION_REQUESTED,
        permission=as_permission(rules.can_review_milestone),
    )
    def request_revision(self) -> None:
        pass


class FinalReport(models.Model):
    project = models.OneToOneField(Project, on_delete=models.CASCADE, related_name="final_report")
    sections = models.JSONField(default=dict, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The measured outcome per target indicator (projects.outcomes), frozen when the report is submitted and again
    # when it is approved, so a later redelivery of the data does not rewrite what was reported and judged.
    outcome = models.JSONField(default=dict, blank=True)
    outcome_at = models.DateTimeField(null=True, blank=True)
    # The PDF the worker rendered (projects.final_reports) and the SHA-256 of the HTML it came from: it is current
    # while the report would render to the same HTML.
    pdf = models.FileField(upload_to="final_reports/%Y/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    pdf_generated_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Final report of {self.project_id}"

    def missing_sections(self, required: list[str]) -> list[str]:
        return [key for key in required if not str(self.sections.get(key, "")).strip()]


class ProgressReport(FSMModelMixin, models.Model):
    """The progress report for one period (every `Scheme.progress_report_months`, six by default)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_reports")
    number = models.PositiveSmallIntegerField()
    period_start = models.DateField()
    period_end = models.DateField()
    due_date = models.DateField(_("due date"))
    state = FSMField(default=PR.DUE, choices=PR.choices, protected=True)
    # {milestone id: {"status": ..., "comment": ...}}
    milestones = models.JSONField(default=dict, blank=True)
    # The indicator values so far as the report was submitted (from the imported data), for the record.
    indicators = models.JSONField(default=dict, blank=True)
    # Spending per budget line in the period: [{"category", "year", "amount_nok"}], amounts as decimal strings.
    spending = models.JSONField(default=list, blank=True)
    summary = models.TextField(_("progress"), blank=True)
    risks = models.TextField(_("risks"), blank=True)
    changes = models.TextField(_("changes"), blank=True)
    feedback = models.TextField(_("feedback from the secretariat"), blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["project", "number"]
        constraints = [models.UniqueConstraint(fields=["project", "number"], name="progress_report_number_unique")]

    def __str__(self) -> str:
        return f"{self.project_id} #{self.number} ({self.period_start}–{self.period_end})"

    @transition(
        field=state,
        source=[PR.DUE, PR.RETURNED],
        target=PR.SUBMITTED,
        permission=as_permission(rules.can_write_progress_report),
    )
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state, source=PR.SUBMITTED, target=PR.APPROVED, permission=as_permission(rules.can_decide_progress_report)
    )
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state, source=PR.SUBMITTED, target=PR.RETURNED, permission=as_permission(rules.can_decide_progress_report)
    )
    def return_report(self) -> None:
        self.decided_at = timezone.now()


class ChangeRequest(FSMModelMixin, models.Model):
    """A request to change the plan: the end date, the budget between lines or years, or the milestones. The
    approved change is applied to the plan; `before` and `proposal` keep both versions."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="change_requests")
    kind = models.CharField(_("kind of change"), max_length=20, choices=ChangeKind.choices)
    state = FSMField(default=CR.SUBMITTED, choices=CR.choices, protected=True)
    proposal = models.JSONField(default=dict)
    before = models.JSONField(default=dict, blank=True)
    reason = models.TextField(_("reason"))
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["project", "-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} ({self.state})"

    @transition(field=state, source=CR.SUBMITTED, target=CR.APPROVED, permission=as_permission(rules.can_decide_change))
    def approve(self) -> None:
        self.decided_at = timezone.now()

    @transition(field=state, source=CR.SUBMITTED, target=CR.REFUSED, permission=as_permission(rules.can_decide_change))
    def refuse(self) -> None:
        self.decided_at = timezone.now()

    @transition(
        field=state, source=CR.SUBMITTED, target=CR.WITHDRAWN, permission=as_permission(rules.can_request_change)
    )
    def withdraw(self) -> None:
        pass
