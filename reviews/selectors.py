"""Review aggregation and the ranked list of a call (the basis of the expert group's recommendation).

A review's score is the weighted mean of its criterion scores; an application's `weighted_mean` is the mean of its
submitted reviews' scores and `spread` is their max - min. Reviews by a reviewer with a conflict of interest (a
member of the applicant registry, or a declared conflict that is not waived) never count: not in the mean, not in the
spread, not in the rank.
"""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db.models import Q

from grants.enums import ApplicationState
from grants.models import Application, Call

from .enums import ReviewState
from .models import Conflict, Score
from .rules import REVIEW_VISIBLE


def conflicted_review(prefix: str = "review__") -> Q:
    """Condition on Score rows (on Review rows with prefix ""): the review's author has a conflict with the
    application."""
    from .conflicts import conflicted_pair  # every source: registry, participants, health trust, team

    return conflicted_pair(f"{prefix}application", f"{prefix}reviewer")


def weighted_mean(pairs: Iterable[tuple[int, Decimal]]) -> Decimal | None:
    """Weighted mean of (score, weight) pairs; None without weight."""
    pairs = list(pairs)
    total = sum((weight for _score, weight in pairs), Decimal(0))
    if not total:
        return None
    return sum((Decimal(score) * weight for score, weight in pairs), Decimal(0)) / total


def review_scores(applications: Iterable[int]) -> dict[int, list[Decimal]]:
    """application id → the scores of its submitted, unconflicted reviews (one query)."""
    rows = (
        Score.objects.filter(review__application_id__in=list(applications), review__state=ReviewState.SUBMITTED)
        .exclude(conflicted_review())
        .values_list("review__application_id", "review_id", "value", "criterion__weight")
        .order_by("review_id")
    )
    per_review: dict[tuple[int, int], list[tuple[int, Decimal]]] = defaultdict(list)
    for application_id, review_id, value, weight in rows:
        per_review[(application_id, review_id)].append((value, weight))
    result: dict[int, list[Decimal]] = defaultdict(list)
    for (application_id, _review_id), pairs in per_review.items():
        score = weighted_mean(pairs)
        if score is not None:
            result[application_id].append(score)
    return dict(result)


@dataclass
class RankingRow:
    application_id: int
    title: str
    registry_id: int
    state: str
    requested_amount_nok: Decimal | None
    proposed_amount_nok: Decimal | None
    first_time: bool
    reviews: int = 0
    weighted_mean: Decimal | None = None
    spread: Decimal | None = None
    rank: int | None = None
    cumulative_nok: Decimal | None = None
    within_budget: bool = False

    @property
    def amount_nok(self) -> Decimal:
        """What counts against the budget: the expert group's proposal once made, else the request."""
        if self.proposed_amount_nok is not None:
            return self.proposed_amount_nok
        return self.requested_amount_nok or Decimal(0)


def rank(rows: list[RankingRow], budget: Decimal) -> list[RankingRow]:
    """Order by weighted mean (highest first); ties go to first-time applicants (the data-quality scheme's rule),
    then to the earlier application. Unscored applications come last, without rank or cumulative amount."""
    scored = sorted(
        (r for r in rows if r.weighted_mean is not None),
        key=lambda r: (-r.weighted_mean, not r.first_time, r.application_id),  # type: ignore[operator]
    )
    cumulative = Decimal(0)
    for position, row in enumerate(scored, start=1):
        cumulative += row.amount_nok
        row.rank, row.cumulative_nok, row.within_budget = position, cumulative, cumulative <= budget
    unscored = sorted((r for r in rows if r.weighted_mean is None), key=lambda r: r.application_id)
    return scored + unscored


def _earlier_grantees(call: Call) -> set[int]:
    return set(
        Application.objects.filter(
            call__scheme_id=call.scheme_id, call__year__lt=call.year, state=ApplicationState.GRANTED
        ).values_list("registry_id", flat=True)
    )


def call_ranking(call: Call) -> list[RankingRow]:
    """Every application of the call that has reached review, ranked (three queries)."""
    applications = list(
        call.applications.filter(state__in=REVIEW_VISIBLE).values_list(
            "pk", "title", "registry_id", "state", "requested_amount_nok", "proposed_amount_nok"
        )
    )
    scores = review_scores(a[0] for a in applications)
    earlier = _earlier_grantees(call)
    rows = []
    for pk, title, registry_id, state, requested, proposed in applications:
        row = RankingRow(pk, title, registry_id, state, requested, proposed, first_time=registry_id not in earlier)
        own = scores.get(pk, [])
        if own:
            row.reviews = len(own)
            row.weighted_mean = sum(own, Decimal(0)) / len(own)
            row.spread = max(own) - min(own)
        rows.append(row)
    return rank(rows, call.budget_nok)


def ranking_for(call: Call, viewer: Any) -> list[RankingRow]:
    """The ranking as `viewer` may see it: a member never sees the row of an application they are conflicted
    with (member of the applicant registry or a declared, unwaived conflict); ranks are computed over all rows."""
    from accounts.rules import is_secretariat, registry_ids

    rows = call_ranking(call)
    if is_secretariat(viewer):
        return rows
    hidden = set(
        Conflict.objects.filter(application__call=call, reviewer=viewer, waived_at__isnull=True).values_list(
            "application_id", flat=True
        )
    )
    own = registry_ids(viewer)
    return [r for r in rows if r.application_id not in hidden and r.registry_id not in own]
