from datetime import datetime
from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from registries.enums import Direction, Level, TargetKind, TargetRule
from registries.models import Indicator, Registry

from . import rules
from .enums import AWAITING_DECISION, WITHDRAWABLE, ApplicationState, CallState, DecisionOutcome, TieBreak

S = ApplicationState


class Scheme(models.Model):
    """A funding scheme (quality improvement, data quality, a regional scheme...). Defined as data, not code."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("name (Norwegian)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    decision_body = models.CharField(_("decision body"), max_length=200)
    default_max_amount_nok = models.DecimalField(
        _("default cap per application (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    # [{"key": "introduction", "title": "Introduction", "title_nb": "Innledning", "help": "..."}]
    final_report_sections = models.JSONField(_("final report sections"), default=list, blank=True)
    requires_indicators = models.BooleanField(
        _("applications must name registry indicators"),
        default=False,
        help_text=_("Quality improvement must start from indicators that already exist in the registry."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    tie_break = models.CharField(
        _("tie-break rule"),
        max_length=30,
        choices=TieBreak.choices,
        default=TieBreak.NONE,
        help_text=_("How applications with equal scores are ordered after the normalised score."),
    )
    # Follow-up after the grant (issue 5).
    progress_report_months = models.PositiveSmallIntegerField(
        _("months between progress reports"), default=6, help_text=_("A progress report is due this often.")
    )
    final_report_months = models.PositiveSmallIntegerField(_("months from the end to the final report"), default=3)
    agreement_template = models.TextField(
        _("agreement terms"),
        blank=True,
        help_text=_("The scheme's terms, printed in every agreement after the parties, amount, dates and conditions."),
    )
    # [{"trigger": "agreement"|"milestone"|"final_report", "share": "0.5"}]: shares of the granted amount, in order;
    # empty means the default: half when the agreement is accepted, the rest when the final report is approved.
    payment_plan = models.JSONField(_("payment plan"), default=list, blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("scheme")
        verbose_name_plural = _("schemes")

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        return self.name_en if (get_language() or "nb").startswith("en") and self.name_en else self.name


class SchemeCriterion(models.Model):
    """A default assessment criterion of a scheme; copied to each new call, where it may be changed."""

    scheme = models.ForeignKey(Scheme, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(max_length=50)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal("1"))
    order = models.PositiveSmallIntegerField(default=0)
    # Anchored descriptions of the 1-7 scale: {"1": "...", "4": "...", "7": "..."} (any subset of 1-7).
    anchors = models.JSONField(_("scale anchors"), default=dict, blank=True)

    class Meta:
        ordering = ["scheme", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["scheme", "code"], name="scheme_criterion_code_unique")]

    def __str__(self) -> str:
        return self.name


class Call(FSMModelMixin, models.Model):
    """A funding round (utlysning)."""

    scheme = models.ForeignKey(Scheme, on_delete=models.PROTECT, related_name="calls", verbose_name=_("scheme"))
    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    year = models.PositiveSmallIntegerField(_("year"))
    budget_nok = models.DecimalField(_("budget (NOK)"), max_digits=12, decimal_places=2)
    max_amount_nok = models.DecimalField(
        _("cap per application (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    opens_at = models.DateTimeField(_("opens"))
    closes_at = models.DateTimeField(_("closes (deadline)"))
    state = FSMField(default=CallState.DRAFT, choices=CallState.choices, protected=True, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-year", "-closes_at", "id"]
        verbose_name = _("call")
        verbose_name_plural = _("calls")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")), name="call_closes_after_opens"
            ),
            models.CheckConstraint(condition=models.Q(budget_nok__gt=0), name="call_budget_positive"),
        ]

    def __str__(self) -> str:
        return self.title

    def is_accepting(self, now: datetime | None = None) -> bool:
        now = now or timezone.now()
        return self.state == CallState.OPEN and self.opens_at <= now < self.closes_at

    @transition(
        field=state,
        source=CallState.DRAFT,
        target=CallState.OPEN,
        permission=rules.as_permission(rules.can_manage_calls),
    )
    def open(self) -> None:
        pass

    @transition(
        field=state,
        source=CallState.OPEN,
        target=CallState.CLOSED,
        permission=rules.as_permission(rules.can_manage_calls),
    )
    def close(self) -> None:
        pass

    @transition(
        field=state,
        source=CallState.CLOSED,
        target=CallState.DECIDED,
        permission=rules.as_permission(rules.can_manage_calls),
    )
    def decide(self) -> None:
        pass


class CallCriterion(models.Model):
    call = models.ForeignKey(Call, on_delete=models.CASCADE, related_name="criteria")
    code = models.SlugField(max_length=50)
    name = models.CharField(_("name"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    weight = models.DecimalField(_("weight"), max_digits=5, decimal_places=2, default=Decimal("1"))
    order = models.PositiveSmallIntegerField(default=0)
    # Anchored descriptions of the 1-7 scale: {"1": "...", "4": "...", "7": "..."} (any subset of 1-7).
    anchors = models.JSONField(_("scale anchors"), default=dict, blank=True)

    class Meta:
        ordering = ["call", "order", "id"]
        constraints = [
            models.UniqueConstraint(fields=["call", "code"], name="call_criterion_code_unique"),
            models.CheckConstraint(condition=models.Q(weight__gt=0), name="call_criterion_weight_positive"),
        ]

    def __str__(self) -> str:
        return self.localized_name

    @property
    def localized_name(self) -> str:
        return self.name_en if (get_language() or "nb").startswith("en") and self.name_en else self.name


class Application(FSMModelMixin, models.Model):
    """A registry's application to a call (søknad)."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="applications", verbose_name=_("call"))
    registry = models.ForeignKey(
        Registry, on_delete=models.PROTECT, related_name="applications", verbose_name=_("registry")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(_("title"), max_length=250)
    summary = models.TextField(_("summary"), blank=True)
    aims = models.TextField(_("aims"), blank=True)
    requested_amount_nok = models.DecimalField(
        _("requested amount (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    state = FSMField(default=S.DRAFT, choices=S.choices, protected=True, db_index=True)
    # What the user typed that did not validate yet (autosave keeps it so nothing is lost).
    draft_data = models.JSONField(default=dict, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    proposed_amount_nok = models.DecimalField(
        _("proposed amount (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    recommendation = models.TextField(_("expert group's recommendation"), blank=True)
    granted_amount_nok = models.DecimalField(
        _("granted amount (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    is_historical = models.BooleanField(default=False, help_text=_("Imported from earlier years' records."))
    # Who else takes part: used for conflicts of interest (a reviewer from any of these is conflicted).
    participating_registries = models.ManyToManyField(
        Registry, blank=True, related_name="participations", verbose_name=_("other participating registries")
    )
    participating_units = models.ManyToManyField(
        "registries.Organisation",
        blank=True,
        related_name="participations",
        verbose_name=_("participating hospitals and health trusts"),
    )
    team = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="named_in_applications", verbose_name=_("project team")
    )
    conditions = models.TextField(_("conditions of the grant"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(end_date__isnull=True)
                | models.Q(start_date__isnull=True)
                | models.Q(end_date__gte=models.F("start_date")),
                name="application_end_after_start",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @transition(field=state, source=S.DRAFT, target=S.SUBMITTED, permission=rules.as_permission(rules.can_submit))
    def submit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(
        field=state, source=WITHDRAWABLE, target=S.WITHDRAWN, permission=rules.as_permission(rules.can_withdraw)
    )
    def withdraw(self) -> None:
        pass

    @transition(
        field=state, source=S.SUBMITTED, target=S.CHANGES_REQUESTED, permission=rules.as_permission(rules.can_screen)
    )
    def request_changes(self) -> None:
        pass

    @transition(
        field=state, source=S.CHANGES_REQUESTED, target=S.SUBMITTED, permission=rules.as_permission(rules.can_submit)
    )
    def resubmit(self) -> None:
        self.submitted_at = timezone.now()

    @transition(field=state, source=S.SUBMITTED, target=S.INELIGIBLE, permission=rules.as_permission(rules.can_screen))
    def mark_ineligible(self) -> None:
        pass

    @transition(field=state, source=S.SUBMITTED, target=S.IN_REVIEW, permission=rules.as_permission(rules.can_screen))
    def send_to_review(self) -> None:
        pass

    @transition(
        field=state, source=S.IN_REVIEW, target=S.ASSESSED, permission=rules.as_permission(rules.can_manage_review)
    )
    def complete_assessment(self) -> None:
        pass

    @transition(
        field=state, source=S.ASSESSED, target=S.RECOMMENDED, permission=rules.as_permission(rules.can_manage_review)
    )
    def recommend(self, proposed_amount_nok: Decimal, text: str = "") -> None:
        self.proposed_amount_nok = proposed_amount_nok
        self.recommendation = text

    @transition(
        field=state,
        source=S.ASSESSED,
        target=S.NOT_RECOMMENDED,
        permission=rules.as_permission(rules.can_manage_review),
    )
    def not_recommend(self, text: str = "") -> None:
        self.proposed_amount_nok = None
        self.recommendation = text

    @transition(
        field=state, source=AWAITING_DECISION, target=S.GRANTED, permission=rules.as_permission(rules.can_decide)
    )
    def grant(self, amount: Decimal) -> None:
        self.granted_amount_nok = amount
        self.decided_at = timezone.now()

    @transition(
        field=state, source=AWAITING_DECISION, target=S.REJECTED, permission=rules.as_permission(rules.can_decide)
    )
    def reject(self) -> None:
        self.decided_at = timezone.now()


class ApplicationIndicator(models.Model):
    """A registry indicator the application aims to move, with baseline and target."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="indicators")
    indicator = models.ForeignKey(Indicator, on_delete=models.PROTECT, related_name="+", verbose_name=_("indicator"))
    baseline_value = models.DecimalField(_("baseline value"), max_digits=12, decimal_places=6, null=True, blank=True)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"), null=True, blank=True)
    target_kind = models.CharField(
        _("target type"), max_length=10, choices=TargetKind.choices, default=TargetKind.VALUE
    )
    target_value = models.DecimalField(_("target value"), max_digits=12, decimal_places=6, null=True, blank=True)
    target_level = models.CharField(
        _("target level"),
        max_length=10,
        choices=[(Level.HIGH, Level.HIGH.label), (Level.MODERATE, Level.MODERATE.label)],
        blank=True,
    )
    target_rule = models.CharField(_("target rule"), max_length=20, choices=TargetRule.choices, blank=True)
    target_date = models.DateField(_("target date"), null=True, blank=True)

    class Meta:
        ordering = ["application", "id"]
        constraints = [
            models.UniqueConstraint(fields=["application", "indicator"], name="application_indicator_unique")
        ]

    def __str__(self) -> str:
        return f"{self.indicator_id}: {self.baseline_value} → {self.target_value}"

    @property
    def target_label(self) -> str:
        """The target in words, e.g. "15 % or lower", "high goal attainment", "no participating unit at low"."""
        from django.utils.formats import number_format

        if self.target_kind == TargetKind.LEVEL:
            return str(Level(self.target_level).label) if self.target_level else ""
        if self.target_kind == TargetKind.RULE:
            return str(TargetRule(self.target_rule).label) if self.target_rule else ""
        if self.target_value is None:
            return ""
        unit = self.indicator.measure_unit
        value = self.target_value * 100 if unit == "%" else self.target_value
        text = number_format(value.normalize(), use_l10n=True) + (" %" if unit == "%" else "")
        if self.indicator.direction is None:
            return text
        lower = self.indicator.direction == Direction.LOWER_IS_BETTER
        return (_("%(value)s or lower") if lower else _("%(value)s or higher")) % {"value": text}


class PlannedMilestone(models.Model):
    """A milestone in the application's plan; becomes a project milestone when granted."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="planned_milestones")
    title = models.CharField(_("title"), max_length=200)
    due_date = models.DateField(_("due date"))

    class Meta:
        ordering = ["application", "due_date", "id"]

    def __str__(self) -> str:
        return f"{self.due_date}: {self.title}"


class DecisionMeeting(models.Model):
    """The decision body's meeting on a call: who met, when, the minutes; its decisions fire grant/reject."""

    call = models.ForeignKey(Call, on_delete=models.PROTECT, related_name="decision_meetings")
    held_on = models.DateField(_("meeting date"))
    body = models.CharField(_("decision body"), max_length=200)
    attendees = models.TextField(_("attendees"))
    minutes = models.TextField(_("minutes"), blank=True)
    recommendation = models.ForeignKey(
        "reviews.RecommendationVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["call", "-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.body} {self.held_on}"


class Decision(models.Model):
    meeting = models.ForeignKey(DecisionMeeting, on_delete=models.PROTECT, related_name="decisions")
    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="decision")
    outcome = models.CharField(_("decision"), max_length=10, choices=DecisionOutcome.choices)
    amount_nok = models.DecimalField(_("granted amount (NOK)"), max_digits=12, decimal_places=2, null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)

    class Meta:
        ordering = ["meeting", "id"]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.outcome}"


class DecisionLetter(models.Model):
    """The letter to the applicant: decision, amount, conditions, consensus and anonymous review comments."""

    application = models.OneToOneField(Application, on_delete=models.PROTECT, related_name="letter")
    pdf = models.FileField(upload_to="letters/", blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Letter for {self.application_id}"
