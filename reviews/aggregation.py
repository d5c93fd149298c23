"""Review scores → per-application aggregates → the ranked list of a call. Pure functions over Decimal: no database.

The numbers:
- a review's score is the weighted mean of its criterion scores (1-7, weights from the call's criteria);
- per application, over its counted reviews (submitted, the reviewer not conflicted): the mean of the review scores
  (`weighted_mean`), their median, their spread (max - min) with a disagreement flag at a spread of 3 or more, and
  the review count;
- the normalised score: each reviewer's review scores become z-scores against that reviewer's own mean and
  population standard deviation over their counted reviews in the call (0 when the deviation is 0, e.g. a single
  review), and an application's normalised score is the mean of its reviews' z-scores. A harsh reviewer's 4 and a
  lenient reviewer's 6 can so both mean "the best of what I read".

Rounding rule: all arithmetic runs in CONTEXT (28 significant digits, ROUND_HALF_EVEN; square roots with
Decimal.sqrt in that context) and values are kept at that precision. They are rounded to PLACES (4) decimal places,
half to even, by `rounded` wherever they are shown (web page, API) and wherever they are compared (the ranking order,
its ties, the disagreement flag): what a user sees then explains the order they see, and two means that are equal
as fractions but were reached by different sums (1/3 + 2/3 against 1) can never differ in a 28th digit. Money is
never rounded: amounts are summed exactly.

The order of the ranked list (`rank`): the score (the chair's consensus score where one is set, else the weighted
mean), highest first; ties go to the higher normalised score; then the scheme's tie-break rule: `first_time_first`
puts registries without an earlier grant in the scheme first; then, under every rule, the application submitted
earlier (`submitted_at`: its latest submission, so a resubmission after requested changes counts from then; an
application without one comes after those with one), and finally the lower id. Running totals of the amount (the
expert group's proposed amount where set, else the requested amount) are compared with the budget: a row is within
the budget while the running total is at most the budget. Applications with neither a counted review nor a
consensus score come last, without rank.
"""

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import cast

from grants.enums import TieBreak

CONTEXT = Context(prec=28, rounding=ROUND_HALF_EVEN)
PLACES = 4
_STEP = Decimal(1).scaleb(-PLACES)
DISAGREEMENT_SPREAD = Decimal(3)
ZERO = Decimal(0)
_NEVER = datetime.max.replace(tzinfo=UTC)


def rounded(value: Decimal | None) -> Decimal | None:
    """`value` to PLACES decimal places, half to even (None stays None)."""
    return None if value is None else _round(value)


def _round(value: Decimal) -> Decimal:
    # + 0 turns a negative zero (-0.00004 rounds to -0.0000) into 0.0000.
    return CONTEXT.add(value.quantize(_STEP, rounding=ROUND_HALF_EVEN, context=CONTEXT), ZERO)


# ---------------------------------------------------------------- plain statistics


def weighted_mean(pairs: Iterable[tuple[int | Decimal, Decimal]]) -> Decimal | None:
    """Weighted mean of (value, weight) pairs; None without any weight."""
    pairs = list(pairs)
    with localcontext(CONTEXT):
        total = sum((weight for _value, weight in pairs), ZERO)
        if not total:
            return None
        return sum((Decimal(value) * weight for value, weight in pairs), ZERO) / total


def mean(values: Sequence[Decimal]) -> Decimal:
    with localcontext(CONTEXT):
        return sum(values, ZERO) / len(values)


def median(values: Sequence[Decimal]) -> Decimal:
    ordered = sorted(values)
    middle = len(ordered) // 2
    if len(ordered) % 2:
        return ordered[middle]
    with localcontext(CONTEXT):
        return (ordered[middle - 1] + ordered[middle]) / 2


def spread(values: Sequence[Decimal]) -> Decimal:
    with localcontext(CONTEXT):
        return max(values) - min(values)


def population_sd(values: Sequence[Decimal]) -> Decimal:
    """Population standard deviation: the square root of the mean squared deviation from the mean (divides by n,
    not n - 1: a reviewer's reviews in a call are all of their reviews, not a sample of them)."""
    centre = mean(values)
    with localcontext(CONTEXT):
        return mean([(v - centre) ** 2 for v in values]).sqrt()


def z_scores(values: Sequence[Decimal]) -> list[Decimal]:
    """Each value's distance from the mean in standard deviations; all 0 when the deviation is 0."""
    sd = population_sd(values)
    if not sd:
        return [ZERO for _v in values]
    centre = mean(values)
    with localcontext(CONTEXT):
        return [(v - centre) / sd for v in values]


# ---------------------------------------------------------------- per application


@dataclass(frozen=True)
class ReviewScore:
    """One counted review: submitted, by a reviewer without a conflict, with its weighted score."""

    application: int
    reviewer: int
    score: Decimal


@dataclass(frozen=True)
class Aggregate:
    reviews: int
    weighted_mean: Decimal
    median: Decimal
    spread: Decimal
    disagreement: bool
    normalised: Decimal


def normalised_scores(reviews: Iterable[ReviewScore]) -> dict[int, Decimal]:
    """application → the mean of its reviews' z-scores, each against its own reviewer's scores in the call."""
    by_reviewer: dict[int, list[ReviewScore]] = defaultdict(list)
    for review in reviews:
        by_reviewer[review.reviewer].append(review)
    per_application: dict[int, list[Decimal]] = defaultdict(list)
    for own in by_reviewer.values():
        for review, z in zip(own, z_scores([r.score for r in own]), strict=True):
            per_application[review.application].append(z)
    return {application: mean(zs) for application, zs in per_application.items()}


def is_disagreement(value: Decimal) -> bool:
    return _round(value) >= DISAGREEMENT_SPREAD


def aggregate(reviews: Iterable[ReviewScore]) -> dict[int, Aggregate]:
    """application → its aggregate, over the given (counted) reviews of one call."""
    reviews = list(reviews)
    normalised = normalised_scores(reviews)
    scores: dict[int, list[Decimal]] = defaultdict(list)
    for review in reviews:
        scores[review.application].append(review.score)
    result = {}
    for application, own in scores.items():
        gap = spread(own)
        result[application] = Aggregate(
            reviews=len(own),
            weighted_mean=mean(own),
            median=median(own),
            spread=gap,
            disagreement=is_disagreement(gap),
            normalised=normalised[application],
        )
    return result


# ---------------------------------------------------------------- the ranked list


@dataclass(kw_only=True)
class RankingRow:
    """One application in a call's ranking. The attribute names are a promise to the recommendation, the decision
    meeting and the letters, which read these rows (see reviews.selectors.call_ranking).

    Scores are at full precision (round with `rounded` to show them); amounts are NOK with two decimals."""

    application_id: int
    title: str
    registry_id: int
    registry_short_name: str = ""
    state: str
    submitted_at: datetime | None = None
    requested_amount_nok: Decimal | None
    proposed_amount_nok: Decimal | None = None  # the expert group's proposal, once made
    first_time: bool  # no earlier grant in the scheme (from the grant history)
    consensus_score: Decimal | None = None  # the chair's, 1-7; orders the row where set
    consensus_assessment: str = ""
    reviews: int = 0  # counted reviews: submitted, by reviewers without a conflict
    weighted_mean: Decimal | None = None
    median: Decimal | None = None
    spread: Decimal | None = None
    disagreement: bool = False  # spread of 3 or more
    normalised_score: Decimal | None = None  # mean z-score of its reviews, each against its own reviewer
    rank: int | None = None  # None when unscored
    cumulative_nok: Decimal | None = None  # running total of `amount_nok` down to this row
    within_budget: bool = False

    @property
    def amount_nok(self) -> Decimal:
        """What counts against the budget: the expert group's proposal once made, else the request."""
        if self.proposed_amount_nok is not None:
            return self.proposed_amount_nok
        return self.requested_amount_nok or ZERO

    @property
    def score(self) -> Decimal | None:
        """What orders the row: the consensus score where set, else the weighted mean."""
        return self.consensus_score if self.consensus_score is not None else self.weighted_mean

    @property
    def shown(self) -> dict[str, Decimal | None]:
        """The scores as they are shown and compared: rounded by the rounding rule (`rounded`)."""
        names = ("weighted_mean", "median", "spread", "normalised_score", "consensus_score")
        return {name: rounded(getattr(self, name)) for name in names}

    def hide_scores(self) -> None:
        """Blank everything that tells how the application was scored (the row stays, with its review count)."""
        self.weighted_mean = self.median = self.spread = self.normalised_score = self.consensus_score = None
        self.disagreement, self.consensus_assessment = False, ""
        self.rank, self.cumulative_nok, self.within_budget = None, None, False

    def apply(self, aggregate: Aggregate | None) -> "RankingRow":
        if aggregate is not None:
            self.reviews, self.weighted_mean, self.median = aggregate.reviews, aggregate.weighted_mean, aggregate.median
            self.spread, self.disagreement = aggregate.spread, aggregate.disagreement
            self.normalised_score = aggregate.normalised
        return self


def _order(row: RankingRow, tie_break: str) -> tuple:
    score = cast(Decimal, row.score)  # only scored rows are ordered
    normalised = ZERO if row.normalised_score is None else _round(row.normalised_score)
    second_time = tie_break == TieBreak.FIRST_TIME_FIRST and not row.first_time
    # The flag first, so that a time is compared only with another time.
    submitted = (row.submitted_at is None, row.submitted_at or _NEVER)
    return (-_round(score), -normalised, second_time, *submitted, row.application_id)


def rank(rows: Iterable[RankingRow], budget: Decimal, tie_break: str = TieBreak.NONE) -> list[RankingRow]:
    """The rows in ranked order, each scored row with its rank, running total and whether it is within `budget`;
    unscored rows last (by application), without rank or running total. A row without a normalised score (a
    consensus score but no counted review) ties as 0, the score of an average review."""
    rows = list(rows)
    scored = sorted((r for r in rows if r.score is not None), key=lambda r: _order(r, tie_break))
    cumulative = ZERO
    for position, row in enumerate(scored, start=1):
        cumulative += row.amount_nok
        row.rank, row.cumulative_nok, row.within_budget = position, cumulative, cumulative <= budget
    unscored = sorted((r for r in rows if r.score is None), key=lambda r: r.application_id)
    for row in unscored:
        row.rank, row.cumulative_nok, row.within_budget = None, None, False
    return scored + unscored
