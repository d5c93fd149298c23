from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .enums import Direction, ImportState, Level, Region, UnitLevel


class Registry(models.Model):
    """A national medical quality registry: the applicant organisation."""

    name = models.CharField(_("name"), max_length=300, unique=True)
    short_name = models.CharField(_("short name"), max_length=60, blank=True, db_index=True)
    region = models.CharField(_("region"), max_length=20, choices=Region.choices)
    established_year = models.PositiveSmallIntegerField(_("established"), null=True, blank=True)
    # Key used by SKDE's indicator files (IndBeskr.csv `registry_name`), e.g. "nkr".
    skde_key = models.CharField(max_length=60, blank=True, db_index=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="registries", blank=True
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("registry")
        verbose_name_plural = _("registries")

    def __str__(self) -> str:
        return self.short_name or self.name

    @property
    def label(self) -> str:
        return f"{self.name} ({self.short_name})" if self.short_name else self.name


class RegistryYear(models.Model):
    """A registry's yearly status: stage verdict, coverage and RHF funds (report tables)."""

    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="years")
    year = models.PositiveSmallIntegerField()
    stage = models.CharField(max_length=4, blank=True)
    coverage_percent = models.DecimalField(max_digits=5, decimal_places=1, null=True, blank=True)
    coverage_note = models.CharField(max_length=200, blank=True)
    rhf_funds_nok = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["registry", "year"]
        constraints = [models.UniqueConstraint(fields=["registry", "year"], name="registry_year_unique")]

    def __str__(self) -> str:
        return f"{self.registry_id} {self.year}: {self.stage}"


class Membership(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships")
    registry = models.ForeignKey(Registry, on_delete=models.CASCADE, related_name="memberships")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "registry"], name="membership_unique")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.registry}"


class Organisation(models.Model):
    """A unit in the specialist health service tree: nation (orgnr 1) → RHF → HF → hospital."""

    orgnr = models.PositiveBigIntegerField(primary_key=True)
    name = models.CharField(max_length=200)
    short_name = models.CharField(max_length=200, blank=True)
    level = models.CharField(max_length=10, choices=UnitLevel.choices)
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="children")

    class Meta:
        ordering = ["level", "name"]

    def __str__(self) -> str:
        return self.short_name or self.name


class Indicator(models.Model):
    """A quality-indicator definition as published by SKDE (IndBeskr.csv)."""

    id = models.CharField(primary_key=True, max_length=80)
    registry = models.ForeignKey(Registry, null=True, blank=True, on_delete=models.PROTECT, related_name="indicators")
    skde_registry = models.CharField(max_length=60, blank=True)
    title = models.CharField(max_length=300)
    short_description = models.TextField(blank=True)
    level_green = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    level_yellow = models.DecimalField(max_digits=12, decimal_places=6, null=True, blank=True)
    direction = models.IntegerField(choices=Direction.choices, null=True, blank=True)
    measure_unit = models.CharField(max_length=20, blank=True)
    min_denominator = models.PositiveIntegerField(default=5)
    coverage_indicator_id = models.CharField(max_length=80, blank=True)
    include = models.BooleanField(default=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.id}: {self.title}"

    def level_for(self, value: Decimal | None) -> str | None:
        from .goal import goal_attainment

        return goal_attainment(value, self.level_green, self.level_yellow, self.direction)


class IndicatorValue(models.Model):
    """Numerator and denominator for one indicator, organisation and year, as delivered."""

    indicator = models.ForeignKey(Indicator, on_delete=models.CASCADE, related_name="values")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    numerator = models.DecimalField(max_digits=14, decimal_places=4)
    denominator = models.DecimalField(max_digits=14, decimal_places=4)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["indicator", "organisation", "year"], name="indicator_value_unique")
        ]
        indexes = [models.Index(fields=["indicator", "year"])]

    def __str__(self) -> str:
        return f"{self.indicator_id} {self.organisation_id} {self.year}"


class IndicatorDelivery(models.Model):
    """One imported file's contribution: a definitions or tree file as a whole, or one indicator and year of a
    data file. Never deleted: a newer delivery for the same indicator and year points the older one at itself
    (`replaced_by`), and the older one's values stay in `DeliveredValue` for audit."""

    file_name = models.CharField(max_length=255)
    sha256 = models.CharField(max_length=64)  # of the whole file
    content_sha256 = models.CharField(max_length=64)  # of this delivery's rows: what "the same delivery" means
    kind = models.CharField(max_length=20)
    indicator = models.ForeignKey(Indicator, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    rows = models.PositiveIntegerField(default=0)
    imported_at = models.DateTimeField(auto_now_add=True)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    replaced_by = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="replaces")

    class Meta:
        ordering = ["-imported_at", "-pk"]
        indexes = [models.Index(fields=["indicator", "year"])]

    def __str__(self) -> str:
        return f"{self.file_name} {self.indicator_id or self.kind} {self.year or ''}".strip()

    @property
    def is_current(self) -> bool:
        return self.replaced_by_id is None


class DeliveredValue(models.Model):
    """A value exactly as one delivery brought it (IndicatorValue holds only the current one)."""

    delivery = models.ForeignKey(IndicatorDelivery, on_delete=models.PROTECT, related_name="values")
    orgnr = models.PositiveBigIntegerField()
    numerator = models.DecimalField(max_digits=14, decimal_places=4)
    denominator = models.DecimalField(max_digits=14, decimal_places=4)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["delivery", "orgnr"], name="delivered_value_unique")]

    def __str__(self) -> str:
        return f"{self.delivery_id} {self.orgnr}"


class IndicatorAlias(models.Model):
    """Another id under which SKDE's data files deliver an indicator (nkr_rygg.csv writes `nkr_rygg_durarift_stenose`
    for the definition `rygg_durarift_stenose`). An import reads the alias as the indicator and says so."""

    alias = models.CharField(_("id in data files"), primary_key=True, max_length=80)
    indicator = models.ForeignKey(
        Indicator, on_delete=models.CASCADE, related_name="aliases", verbose_name=_("indicator")
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        ordering = ["alias"]
        verbose_name = _("indicator alias")
        verbose_name_plural = _("indicator aliases")

    def __str__(self) -> str:
        return f"{self.alias} → {self.indicator_id}"


class IndicatorImport(models.Model):
    """One upload from the web: the file, the background import's progress and its validation report."""

    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(max_length=255)
    size = models.PositiveBigIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    # Set when a registry member uploads: every indicator in the file must belong to this registry.
    registry = models.ForeignKey(Registry, null=True, blank=True, on_delete=models.PROTECT, related_name="imports")
    dry_run = models.BooleanField(_("check only"), default=False)
    state = models.CharField(max_length=10, choices=ImportState.choices, default=ImportState.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)  # percent
    stage = models.CharField(max_length=200, blank=True)
    kind = models.CharField(max_length=20, blank=True)
    rows = models.PositiveIntegerField(default=0)
    problems = models.JSONField(default=list, blank=True)  # ["LINE: message", ...]
    summary = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.original_name} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state not in (ImportState.QUEUED, ImportState.RUNNING)


__all__ = ["Direction", "Level", "Region", "UnitLevel"]
