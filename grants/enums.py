from django.db import models
from django.utils.translation import gettext_lazy as _


class CallState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")
    DECIDED = "decided", _("Decided")


class ApplicationState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")
    CHANGES_REQUESTED = "changes_requested", _("Changes requested")
    INELIGIBLE = "ineligible", _("Ineligible")
    IN_REVIEW = "in_review", _("In review")
    ASSESSED = "assessed", _("Assessed")
    RECOMMENDED = "recommended", _("Recommended")
    NOT_RECOMMENDED = "not_recommended", _("Not recommended")
    GRANTED = "granted", _("Granted")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


S = ApplicationState
EDITABLE = [S.DRAFT, S.CHANGES_REQUESTED]
# The applicant may withdraw at any point before a decision.
WITHDRAWABLE = [S.DRAFT, S.SUBMITTED, S.CHANGES_REQUESTED, S.IN_REVIEW, S.ASSESSED, S.RECOMMENDED, S.NOT_RECOMMENDED]
AWAITING_DECISION = [S.RECOMMENDED, S.NOT_RECOMMENDED]
# What the secretariat sees: everything the applicant has handed in (drafts stay private to the registry).
HANDED_IN = [s for s in S if s not in (S.DRAFT,)]
# What decision bodies see: cases prepared for them and their outcomes.
FOR_DECIDERS = [S.ASSESSED, S.RECOMMENDED, S.NOT_RECOMMENDED, S.GRANTED, S.REJECTED]
FINAL = [S.INELIGIBLE, S.GRANTED, S.REJECTED, S.WITHDRAWN]


class TieBreak(models.TextChoices):
    NONE = "none", _("Earlier application first")
    FIRST_TIME_FIRST = "first_time_first", _("First-time applicants first")


class BudgetCategory(models.TextChoices):
    SALARY = "salary", _("Salary")
    OPERATING = "operating", _("Operating costs")
    TRAVEL = "travel", _("Travel and meetings")
    EQUIPMENT = "equipment", _("Equipment and licences")
    OTHER = "other", _("Other")


class DecisionOutcome(models.TextChoices):
    GRANT = "grant", _("Grant")
    REJECT = "reject", _("Reject")
