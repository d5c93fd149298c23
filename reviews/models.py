from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from grants.models import Application, CallCriterion, Scheme

from .enums import SCORE_MAX, SCORE_MIN, ConflictSource, ReviewState


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


class Assignment(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="assignments")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="assignments")
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    assigned_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["application", "assigned_at"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="assignment_unique")]

    def __str__(self) -> str:
        return f"{self.reviewer_id} reviews {self.application_id}"


class Conflict(models.Model):
    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="conflicts")
    reviewer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="conflicts")
    source = models.CharField(max_length=20, choices=ConflictSource.choices, default=ConflictSource.DECLARED)
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
