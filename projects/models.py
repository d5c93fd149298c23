from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from grants.models import Application
from grants.rules import as_permission
from registries.models import Registry

from . import rules
from .enums import TERMINABLE, MilestoneState, ProjectState

P = ProjectState
M = MilestoneState


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

    def __str__(self) -> str:
        return f"Final report of {self.project_id}"

    def missing_sections(self, required: list[str]) -> list[str]:
        return [key for key in required if not str(self.sections.get(key, "")).strip()]
