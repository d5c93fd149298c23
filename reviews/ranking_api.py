"""The call's ranking in the API: GET /calls/{id}/ranking."""

from decimal import Decimal
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from core.api import MoneyOut, as_number, get_or_404, problem_responses
from core.exceptions import NotPermitted
from grants.selectors import calls_visible_to

from . import rules
from .aggregation import RankingRow, rounded
from .selectors import ranking_for

router = Router(tags=["reviews"])


class RankingOut(Schema):
    application: int
    title: str
    registry: int
    state: str
    rank: int | None = Field(
        description="Position in the ranked list; null when unscored (no counted review and no consensus score)."
    )
    reviews: int = Field(description="Submitted reviews that count (conflicted reviewers' never do).")
    weighted_mean: float | None = Field(description="Mean of the counted reviews' weighted scores (4 places).")
    median: float | None = Field(description="Median of the counted reviews' weighted scores (4 places).")
    spread: float | None = Field(description="Highest minus lowest counted review score (4 places).")
    disagreement: bool = Field(description="The spread is 3 or more.")
    normalised_score: float | None = Field(
        description="Mean of the reviews' z-scores, each against its reviewer's own mean and population standard "
        "deviation over their counted reviews in the call (4 places); breaks ties."
    )
    consensus_score: float | None = Field(description="The chair's consensus score (1-7); orders the row where set.")
    first_time: bool = Field(description="The registry has no earlier grant in the scheme.")
    requested_amount_nok: MoneyOut | None
    proposed_amount_nok: MoneyOut | None = Field(description="The expert group's proposed amount, once made.")
    cumulative_nok: MoneyOut | None = Field(description="Running total of proposed (else requested) amounts.")
    within_budget: bool = Field(description="The running total is at most the call's budget.")


@router.get("/calls/{int:id}/ranking", response={200: list[RankingOut], **problem_responses(403, 404)})
def ranking(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    """The call's applications that reached review, ranked: by the chair's consensus score where set, else by the
    weighted mean; ties by the normalised score, then the scheme's tie-break rule (first-time applicants first, where
    the scheme says so), then the earlier application. The running total of amounts is compared with the budget.
    Secretariat and the scheme's expert group; a member never sees a row of an application they are conflicted
    with (the ranks are computed over all rows)."""
    call = get_or_404(calls_visible_to(request.user).select_related("scheme"), id, "call")
    if not rules.can_see_ranking(request.user, call):
        raise NotPermitted("Only the secretariat and the scheme's expert group may see the ranking.")
    return [_ranking_out(r) for r in ranking_for(call, request.user)]


def _number(value: Decimal | None) -> float | None:
    return as_number(rounded(value))  # the ranking's rounding rule: 4 places, half to even


def _ranking_out(row: RankingRow) -> dict[str, Any]:
    return {
        "application": row.application_id,
        "title": row.title,
        "registry": row.registry_id,
        "state": row.state,
        "rank": row.rank,
        "reviews": row.reviews,
        "weighted_mean": _number(row.weighted_mean),
        "median": _number(row.median),
        "spread": _number(row.spread),
        "disagreement": row.disagreement,
        "normalised_score": _number(row.normalised_score),
        "consensus_score": _number(row.consensus_score),
        "first_time": row.first_time,
        "requested_amount_nok": row.requested_amount_nok,
        "proposed_amount_nok": row.proposed_amount_nok,
        "cumulative_nok": row.cumulative_nok,
        "within_budget": row.within_budget,
    }
