from django.db import models
from django.utils.translation import gettext_lazy as _


class ProjectState(models.TextChoices):
    AGREEMENT_PENDING = "agreement_pending", _("Agreement pending")
    ACTIVE = "active", _("Active")
    FINAL_REPORT_SUBMITTED = "final_report_submitted", _("Final report submitted")
    CLOSED = "closed", _("Closed")
    TERMINATED = "terminated", _("Terminated")


class MilestoneState(models.TextChoices):
    PLANNED = "planned", _("Planned")
    REPORTED = "reported", _("Reported")
    APPROVED = "approved", _("Approved")
    REVISION_REQUESTED = "revision_requested", _("Revision requested")


P = ProjectState
TERMINABLE = [P.AGREEMENT_PENDING, P.ACTIVE, P.FINAL_REPORT_SUBMITTED]
