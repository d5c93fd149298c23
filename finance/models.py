from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from accounts.rules import is_secretariat
from grants.enums import BudgetCategory
from grants.models import Application
from projects.models import Milestone, Project

from .enums import PaymentState, PaymentTrigger

PS = PaymentState


def _secretariat(instance: object, user: object) -> bool:
    return is_secretariat(user)


class BudgetLine(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="budget_lines")
    category = models.CharField(_("category"), max_length=20, choices=BudgetCategory.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    amount_nok = models.DecimalField(_("amount (NOK)"), max_digits=12, decimal_places=2)
    description = models.CharField(_("description"), max_length=200, blank=True)

    class Meta:
        ordering = ["application", "year", "category", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_nok__gte=0), name="budget_line_non_negative")]

    def __str__(self) -> str:
        return f"{self.year} {self.category}: {self.amount_nok}"


class Payment(FSMModelMixin, models.Model):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="payments")
    amount_nok = models.DecimalField(_("amount (NOK)"), max_digits=12, decimal_places=2)
    trigger = models.CharField(_("trigger"), max_length=20, choices=PaymentTrigger.choices)
    milestone = models.ForeignKey(Milestone, null=True, blank=True, on_delete=models.SET_NULL, related_name="payments")
    state = FSMField(default=PS.SCHEDULED, choices=PS.choices, protected=True)
    paid_at = models.DateTimeField(null=True, blank=True)
    order = models.PositiveSmallIntegerField(default=0)  # position in the scheme's payment plan
    due_on = models.DateField(_("due date"), null=True, blank=True)
    paid_on = models.DateField(_("payment date"), null=True, blank=True)
    reference = models.CharField(_("payment reference"), max_length=100, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["project", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_nok__gt=0), name="payment_positive")]

    def __str__(self) -> str:
        return f"{self.amount_nok} NOK ({self.trigger}, {self.state})"

    @transition(field=state, source=PS.SCHEDULED, target=PS.DUE)
    def become_due(self) -> None:
        """Fired by the system when the payment's trigger happens."""

    @transition(field=state, source=PS.DUE, target=PS.APPROVED, permission=_secretariat)
    def approve(self) -> None:
        pass

    @transition(field=state, source=PS.APPROVED, target=PS.PAID, permission=_secretariat)
    def pay(self) -> None:
        from django.utils import timezone

        self.paid_at = timezone.now()

    @transition(field=state, source=[PS.SCHEDULED, PS.DUE, PS.APPROVED], target=PS.CANCELLED, permission=_secretariat)
    def cancel(self) -> None:
        pass


class Expenditure(models.Model):
    """Money spent on a project in one year and budget category, as the registry reports it (in a progress report
    or the final accounts). Budget versus actual per line is BudgetLine against the sum of these."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="expenditures")
    year = models.PositiveSmallIntegerField(_("year"))
    category = models.CharField(_("category"), max_length=20, choices=BudgetCategory.choices)
    amount_nok = models.DecimalField(_("amount (NOK)"), max_digits=12, decimal_places=2)
    note = models.CharField(_("note"), max_length=200, blank=True)
    progress_report = models.ForeignKey(
        "projects.ProgressReport", null=True, blank=True, on_delete=models.SET_NULL, related_name="expenditures"
    )
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "year", "category", "id"]
        constraints = [models.CheckConstraint(condition=models.Q(amount_nok__gte=0), name="expenditure_non_negative")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year} {self.category}: {self.amount_nok}"


class AnnualSummaryFile(models.Model):
    """A generated annual summary (PDF, XLSX, or one table as CSV), kept while the figures are unchanged: `digest`
    is finance.annual.Summary.digest of what it was made from, so a request for the same year, format, table and
    language with the same digest is served this file, and a change in the data makes a new one."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    year = models.PositiveSmallIntegerField(_("year"))
    format = models.CharField(_("format"), max_length=4)
    table = models.CharField(_("table"), max_length=80, blank=True)
    language = models.CharField(max_length=10)
    digest = models.CharField(max_length=64)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    file = models.FileField(upload_to="annual/%Y/", blank=True)
    error = models.TextField(blank=True)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["year", "format", "table", "language", "digest"], name="annual_summary_file_unique"
            )
        ]

    def __str__(self) -> str:
        return f"Annual summary {self.year} ({self.format}{' ' + self.table if self.table else ''})"
