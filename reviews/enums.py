from django.db import models
from django.utils.translation import gettext_lazy as _


class ReviewState(models.TextChoices):
    DRAFT = "draft", _("Draft")
    SUBMITTED = "submitted", _("Submitted")


class ConflictSource(models.TextChoices):
    DECLARED = "declared", _("Declared by the reviewer")
    REGISTRY_MEMBER = "registry_member", _("Member of the applicant registry")


SCORE_MIN = 1
SCORE_MAX = 7
