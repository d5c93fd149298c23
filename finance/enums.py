from django.db import models
from django.utils.translation import gettext_lazy as _


class PaymentState(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DUE = "due", _("Due")
    APPROVED = "approved", _("Approved")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")


class PaymentTrigger(models.TextChoices):
    AGREEMENT = "agreement", _("On accepted agreement")
    MILESTONE = "milestone", _("On approved milestone")
    FINAL_REPORT = "final_report", _("On approved final report")
