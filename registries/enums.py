from django.db import models
from django.utils.translation import gettext_lazy as _


class Region(models.TextChoices):
    NORD = "Nord", _("Northern Norway")
    MIDT = "Midt-Norge", _("Central Norway")
    VEST = "Vest", _("Western Norway")
    SOR_OST = "Sør-Øst", _("South-Eastern Norway")


class UnitLevel(models.TextChoices):
    NATION = "nation", _("Nation")
    RHF = "rhf", _("Regional health authority")
    HF = "hf", _("Health trust")
    HOSPITAL = "hospital", _("Hospital")


class Direction(models.IntegerChoices):
    LOWER_IS_BETTER = 0, _("Lower is better")
    HIGHER_IS_BETTER = 1, _("Higher is better")


class Level(models.TextChoices):
    HIGH = "high", _("High goal attainment")
    MODERATE = "moderate", _("Moderate goal attainment")
    LOW = "low", _("Low goal attainment")


class TargetKind(models.TextChoices):
    VALUE = "value", _("A value")
    LEVEL = "level", _("A goal-attainment level")
    RULE = "rule", _("A rule for every unit")


class TargetRule(models.TextChoices):
    NO_UNIT_LOW = "no_unit_low", _("No participating unit at low goal attainment")
    ALL_UNITS_HIGH = "all_units_high", _("Every participating unit at high goal attainment")


class ImportState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    IMPORTED = "imported", _("Imported")
    CHECKED = "checked", _("Checked (dry run)")
    REFUSED = "refused", _("Refused")
    FAILED = "failed", _("Failed")
