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
