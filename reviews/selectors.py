"""Reads for the expert-group assessment: which reviews count, and the ranked list of a call.

The ranking (`call_ranking`, and `ranking_for` as one viewer may see it) returns `RankingRow`s (reviews.aggregation,
where every number and the order are defined and documented): the recommendation, the decision meeting and the
letters read these rows by their attribute names. Reviews by a reviewer with a conflict of interest with the
application (`conflicted_review`) never count: not in the mean, median, spread or count, not in the reviewer's own
mean and deviation for the normalised score, not in the rank.
"""

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db.models import Q

from grants.enums import ApplicationState
from grants.models import Application, Call

from .aggregation import RankingRow, ReviewScore, aggregate, rank
from .aggregation import weighted_mean as weighted_mean  # re-exported: reviews.api reads it from here
from .conflicts import conflict_q, conflicted_pair
from .enums import ReviewPhase, ReviewState
from .models import Score
from .rules import REVIEW_VISIBLE, phase_of

__all__ = [
    "RankingRow",
    "call_ranking",
    "conflicted_application_ids",
    "conflicted_review",
    "counted_reviews",
    "ranking_for",
    "scores_hidden_from",
    "weighted_mean",
]


def conflicted_review(prefix: str = "review__") -> Q:
    """Condition on Score rows (on Review rows with prefix ""): the review's author has a conflict with the
    application (reviews.conflicts, every source, waivers honoured)."""
    return conflicted_pair(f"{prefix}application", f"{prefix}reviewer")


def counted_reviews(applications: Iterable[int]) -> list[ReviewScore]:
    """The submitted reviews of these applications whose reviewers have no conflict with them, each with its
    weighted score (one query)."""
    rows = (
        Score.objects.filter(review__application_id__in=list(applications), review__state=ReviewState.SUBMITTED)
        .exclude(conflicted_review())
        .values_list("review__application_id", "review__reviewer_id", "review_id", "value", "criterion__weight")
        .order_by("review_id")
    )
    pairs: dict[tuple[int, int, int], list[tuple[int, Decimal]]] = defaultdict(list)
    for application_id, reviewer_id, review_id, value, weight in rows:
        pairs[(application_id, reviewer_id, review_id)].append((value, weight))
    reviews = []
    for (application_id, reviewer_id, _review_id), own in pairs.items():
        score = weighted_mean(own)
        if score is not None:
            reviews.append(ReviewScore(application=application_id, reviewer=reviewer_id, score=score))
    return reviews


def _earlier_grantees(call: Call) -> set[int]:
    """Registries granted in the scheme in a call that closed before this one (the grant history, imported
    earlier years included)."""
    return set(
        Application.objects.filter(
            call__scheme_id=call.scheme_id, call__closes_at__lt=call.closes_at, state=ApplicationState.GRANTED
        ).values_list("registry_id", flat=True)
    )


def _row(app: dict[str, Any], first_time: bool) -> RankingRow:
    return RankingRow(
        application_id=app["pk"],
        title=app["title"],
        registry_id=app["registry_id"],
        registry_short_name=app["registry__short_name"],
        state=app["state"],
        submitted_at=app["submitted_at"],
        requested_amount_nok=app["requested_amount_nok"],
        proposed_amount_nok=app["proposed_amount_nok"],
        first_time=first_time,
        consensus_score=app["consensus__score"],
        consensus_assessment=app["consensus__assessment"] or "",
    )


_ROW_FIELDS = (
    "pk",
    "title",
    "registry_id",
    "registry__short_name",
    "state",
    "submitted_at",
    "requested_amount_nok",
    "proposed_amount_nok",
    "consensus__score",
    "consensus__assessment",
)


def call_ranking(call: Call) -> list[RankingRow]:
    """Every application of the call that has reached review, ranked (reviews.aggregation.rank): three queries,
    four if `call.scheme` is not loaded yet. Ranks and running totals are over all these rows."""
    applications = list(call.applications.filter(state__in=REVIEW_VISIBLE).values(*_ROW_FIELDS))
    aggregates = aggregate(counted_reviews(a["pk"] for a in applications))
    earlier = _earlier_grantees(call) if applications else set()
    rows = [_row(a, a["registry_id"] not in earlier).apply(aggregates.get(a["pk"])) for a in applications]
    return rank(rows, call.budget_nok, call.scheme.tie_break)


def conflicted_application_ids(call: Call, viewer: Any) -> set[int]:
    """The applications of `call` that `viewer` has a conflict of interest with (one query)."""
    return set(call.applications.filter(conflict_q(viewer)).values_list("pk", flat=True))


def scores_hidden_from(viewer: Any, call: Call, phase: str | None = None) -> bool:
    """In the independent phase a member of the expert group sees no score: the ranking's means would show them
    other reviews (with two reviewers, the other's score exactly) before their own is in. The secretariat always
    sees them; the whole group does from the discussion phase on. `phase`: the call's, if already read."""
    from accounts.rules import is_secretariat

    return not is_secretariat(viewer) and (phase or phase_of(call)) == ReviewPhase.INDEPENDENT


def ranking_for(call: Call, viewer: Any, phase: str | None = None) -> list[RankingRow]:
    """The ranking as `viewer` may see it: never the rows of applications they have a conflict of interest with
    (the secretariat sees every row), and in the independent phase no scores (`scores_hidden_from`: the rows come
    by application, without rank). Ranks and running totals stay those of the whole list. `phase`: the call's
    review phase, if already read."""
    from accounts.rules import is_secretariat

    rows = call_ranking(call)
    if is_secretariat(viewer):
        return rows
    hidden = conflicted_application_ids(call, viewer)
    rows = [r for r in rows if r.application_id not in hidden]
    if scores_hidden_from(viewer, call, phase):
        for row in rows:
            row.hide_scores()
        rows.sort(key=lambda r: r.application_id)
    return rows
