from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from grants.models import Application, CallCriterion, Scheme

from .enums import SCORE_MAX, SCORE_MIN, ConflictSource, ReviewPhase, ReviewState


def _can_submit(instance: Any, user: Any) -> bool:
    from .rules import can_submit_review

    return can_submit_review(instance, user)


class ExpertGroup(models.Model):
    """The scheme's expert group (faggruppe)."""

    scheme = models.OneToOneField(Scheme, on_delete=models.CASCADE, related_name="expert_group")
    name = models.CharField(_("name"), max_length=200)
    members = models.ManyToManyField(settings.AUTH_USER_MODEL, through="ExpertGroupMember", related_name="+")

    def __str__(self) -> str:
        return self.name


class ExpertGroupMember(models.Model):
    group = models.ForeignKey(ExpertGroup, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="committee_memberships")
    is_chair = models.BooleanField(_("chair"), default=False)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="expert_group_member_unique")]

    def __str__(self) -> str:
        return f"{self.user} in {self.group}"


def _secretariat(instance: Any, user: Any) -> bool:
    from accounts.rules import is_secretariat

    return is_secretariat(user)


class ReviewRound(FSMModelMixin, models.Model):
    """The expert group's work on one call: independent review, then discussion, then decided."""

    call = models.OneToOneField("grants.Call", on_delete=models.CASCADE, related_name="review_round")
    phase = FSMField(default=ReviewPhase.INDEPENDENT, choices=ReviewPhase.choices, protected=True)
    review_deadline = models.DateField(_("review deadline"), null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.call_id}: {self.phase}"

    @transition(field=phase, source=ReviewPhase.INDEPENDENT, target=ReviewPhase.DISCUSSION, permission=_secretariat)
    def start_discussion(self) -> None:
        pass

    @transition(field=phase, source=ReviewPhase.DISCUSSION, target=ReviewPhase.DECIDED, permission=_secretariat)
    def close_review(self) -> None:
        pass

    @transition(field=phase, source=ReviewPhase.DISCUSSION, target=ReviewPhase.INDEPENDENT, permission=_secretariat)
    def back_to_independent(self) -> None:
        pass


class Assignment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)
    deadline = models.DateField(_("review deadline"), null=True, blank=True)
    reminded_on = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["application", "assigned_at"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} reviews {self.application_id}"


class Conflict(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=30, choices=ConflictSource.choices, default=ConflictSource.DECLARED)
    reason = models.TextField(_("reason"))
    declared_at = models.DateTimeField(auto_now_add=True)
    waived_at = models.DateTimeField(null=True, blank=True)
    waived_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    waiver_reason = models.TextField(blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="conflict_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} conflicted on {self.application_id}"


class Review(FSMModelMixin, models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews")
    comment = models.TextField(_("comment"), blank=True)
    state = FSMField(default=ReviewState.DRAFT, choices=ReviewState.choices, protected=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application", "submitted_at", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="review_unique")]

    def __str__(self) -> str:
        return f"Review of {self.application_id} by {self.reviewer_id}"

    @transition(field=state, source=ReviewState.DRAFT, target=ReviewState.SUBMITTED, permission=_can_submit)
    def submit(self) -> None:
        from django.utils import timezone

        self.submitted_at = timezone.now()

    @transition(field=state, source=ReviewState.SUBMITTED, target=ReviewState.DRAFT, permission=_secretariat)
    def reopen(self) -> None:
        """The secretariat unlocks a submitted review (audited by the service)."""
        self.submitted_at = None

    def weighted_score(self) -> Decimal | None:
        """Weighted mean of this review's criterion scores (None unless every criterion is scored)."""
        scores = list(self.scores.all())
        total_weight = sum((s.criterion.weight for s in scores), Decimal(0))
        if not scores or not total_weight:
            return None
        return sum((s.criterion.weight * s.value for s in scores), Decimal(0)) / total_weight


class Score(models.Model):
    review = models.ForeignKey(Review, on_delete=models.CASCADE, related_name="scores")
    criterion = models.ForeignKey(CallCriterion, on_delete=models.PROTECT, related_name="+")
    value = models.PositiveSmallIntegerField(validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)])

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["review", "criterion"], name="score_unique"),
            models.CheckConstraint(condition=models.Q(value__gte=SCORE_MIN, value__lte=SCORE_MAX), name="score_1_to_7"),
        ]

    def __str__(self) -> str:
        return f"{self.criterion_id}={self.value}"


class ReviewComment(models.Model):
    """The expert group's internal discussion of one application (never shown to applicants)."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="review_comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(_("comment"))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "created_at", "id"]

    def __str__(self) -> str:
        return f"Comment on {self.application_id} by {self.author_id}"


class Consensus(models.Model):
    """The chair's consensus score and assessment for one application; it orders the ranking where set."""

    application = models.OneToOneField(Application, on_delete=models.CASCADE, related_name="consensus")
    score = models.DecimalField(
        _("consensus score"),
        max_digits=4,
        decimal_places=2,
        validators=[MinValueValidator(SCORE_MIN), MaxValueValidator(SCORE_MAX)],
    )
    assessment = models.TextField(_("consensus assessment"), blank=True)
    set_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    set_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(score__gte=SCORE_MIN, score__lte=SCORE_MAX), name="consensus_score_1_to_7"
            )
        ]

    def __str__(self) -> str:
        return f"{self.application_id}: {self.score}"


class RecommendationVersion(models.Model):
    """The expert group's recommendation (innstilling) as sent to the decision body: frozen, numbered."""

    call = models.ForeignKey("grants.Call", on_delete=models.PROTECT, related_name="recommendations")
    version = models.PositiveIntegerField()
    rows = models.JSONField(default=list)  # the ranked list as it was when sent
    summary = models.TextField(_("summary"), blank=True)
    sent_at = models.DateTimeField(auto_now_add=True)
    sent_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    pdf = models.FileField(upload_to="recommendations/", blank=True)

    class Meta:
        ordering = ["call", "-version"]
        constraints = [models.UniqueConstraint(fields=["call", "version"], name="recommendation_version_unique")]

    def __str__(self) -> str:
        return f"{self.call_id} v{self.version}"
