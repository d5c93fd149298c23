"""The call's ranking on the web (the basis of the expert group's recommendation)."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.access import visible_call
from grants.enums import TieBreak
from grants.models import Call
from grants.selectors import applications_visible_to

from . import rules
from .enums import ReviewPhase
from .selectors import RankingRow, ranking_for, scores_hidden_from


@login_required
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    if not rules.can_see_ranking(request.user, call):
        raise PermissionDenied
    phase = rules.phase_of(call)
    rows = ranking_for(call, request.user, phase)
    # Expert-group members see every row they are not conflicted with, but open only what they may read.
    openable = set(applications_visible_to(request.user, call.applications.all()).values_list("pk", flat=True))
    ctx = {
        "call": call,
        "rows": rows,
        "openable": openable,
        "scores_hidden": scores_hidden_from(request.user, call, phase),
        "first_time_rule": call.scheme.tie_break == TieBreak.FIRST_TIME_FIRST,
        # The rows shown to a chair are those they have no conflict with, so managing the call's consensus is
        # enough (rules.may_set_consensus); the application's state and the phase decide the rest.
        "consensus_editable": _consensus_editable(request.user, call, rows, phase),
    }
    return render(request, "reviews/ranking.html", ctx)


def _consensus_editable(user: Any, call: Call, rows: list[RankingRow], phase: str) -> set[int]:
    if not rows or phase != ReviewPhase.DISCUSSION or not rules.manages_consensus(user, call):
        return set()
    return {r.application_id for r in rows if r.state in rules.CONSENSUS_STATES}
