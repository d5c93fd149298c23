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


class ProgressReportState(models.TextChoices):
    DUE = "due", _("Due")
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    RETURNED = "returned", _("Returned for changes")


class ChangeKind(models.TextChoices):
    EXTENSION = "extension", _("Extension of the end date")
    BUDGET = "budget", _("Budget reallocation")
    MILESTONES = "milestones", _("Milestone changes")


class ChangeRequestState(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    APPROVED = "approved", _("Approved")
    REFUSED = "refused", _("Refused")
    WITHDRAWN = "withdrawn", _("Withdrawn")
