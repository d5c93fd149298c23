from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    APPLICANT = "applicant", _("Applicant")
    REVIEWER = "reviewer", _("Reviewer")
    SECRETARIAT = "secretariat", _("Secretariat")
    DECIDER = "decider", _("Decider")
    ADMIN = "admin", _("Administrator")


# Roles that must use a second factor (DOMAIN.md: they see every application or decide money).
MFA_ROLES = {Role.SECRETARIAT, Role.REVIEWER, Role.DECIDER, Role.ADMIN}
