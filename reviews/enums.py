from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the reviewer")
    REGISTRY_MEMBER = "registry_member", _("Member of the applicant registry")
    PARTICIPATING_REGISTRY = "participating_registry", _("Member of a registry named in the application")
    HEALTH_TRUST = "health_trust", _("Works at a health trust named in the application")
    NAMED_IN_PROJECT = "named_in_project", _("Named in the project team")


class ReviewPhase(models.TextChoices):
    INDEPENDENT = "independent", _("Independent review")
    DISCUSSION = "discussion", _("Discussion")
    DECIDED = "decided", _("Decided")


SCORE_MIN = 1
SCORE_MAX = 7
