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
