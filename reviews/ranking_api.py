"""The call's ranking in the API: GET /calls/{id}/ranking."""

from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema

from core.api import MoneyOut, as_number, get_or_404, problem_responses
from core.exceptions import NotPermitted
from grants.selectors import calls_visible_to

from . import rules
from .selectors import RankingRow, ranking_for

router = Router(tags=["reviews"])


class RankingOut(Schema):
    application: int
    title: str
    state: str
    weighted_mean: float | None
    spread: float | None
    reviews: int = Field(description="Submitted reviews that count (conflicted reviewers' never do).")
    rank: int | None
    requested_amount_nok: MoneyOut | None
    proposed_amount_nok: MoneyOut | None
    cumulative_nok: MoneyOut | None = Field(description="Running total of proposed (else requested) amounts.")
    within_budget: bool


@router.get("/calls/{int:id}/ranking", response={200: list[RankingOut], **problem_responses(403, 404)})
def ranking(request: HttpRequest, id: int) -> list[dict[str, Any]]:
    """The call's applications that reached review, ranked by weighted mean, with the running total against the
    budget. Secretariat and the scheme's expert group; a member never sees a row of an application they are
    conflicted with (the ranks are computed over all rows)."""
    call = get_or_404(calls_visible_to(request.user), id, "call")
    if not rules.can_see_ranking(request.user, call):
        raise NotPermitted("Only the secretariat and the scheme's expert group may see the ranking.")
    rows = ranking_for(call, request.user)
    return [_ranking_out(r) for r in rows]


def _ranking_out(row: RankingRow) -> dict[str, Any]:
    return {
        "application": row.application_id,
        "title": row.title,
        "state": row.state,
        "weighted_mean": as_number(row.weighted_mean, 4),
        "spread": as_number(row.spread, 4),
        "reviews": row.reviews,
        "rank": row.rank,
        "requested_amount_nok": row.requested_amount_nok,
        "proposed_amount_nok": row.proposed_amount_nok,
        "cumulative_nok": row.cumulative_nok,
        "within_budget": row.within_budget,
    }
