"""The chair's consensus score and assessment for an application: set and clear, audited.

The score (1-7, two decimals) orders the application in the ranking where set (reviews.aggregation); the
assessment is what the expert group agreed, and it reaches the applicant in the decision letter. The audit entry
keeps the score, never the assessment's text (the trail holds no free text beyond the actor).
"""

from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from audit.services import record
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from grants.models import Application

from .enums import SCORE_MAX, SCORE_MIN
from .models import Consensus
from .rules import consensus_open, may_set_consensus

_CLOSED = gettext_lazy(
    "The consensus score can be set while the application is in review or assessed and the expert group's review "
    "is in discussion."
)


def set_consensus(application: Application, *, by: Any, score: Any, assessment: str = "") -> Consensus:
    value = _valid_score(score)
    with transaction.atomic():
        locked = _locked(application, by)
        previous = Consensus.objects.filter(application=locked).values_list("score", flat=True).first()
        consensus, _created = Consensus.objects.update_or_create(
            application=locked, defaults={"score": value, "assessment": assessment.strip(), "set_by": by}
        )
        data = {"score": str(value), "previous": None if previous is None else str(previous)}
        record(locked, "reviews.consensus.set", actor=by, data=data)
    return consensus


def clear_consensus(application: Application, *, by: Any) -> None:
    with transaction.atomic():
        locked = _locked(application, by)
        previous = Consensus.objects.filter(application=locked).values_list("score", flat=True).first()
        if previous is None:
            raise ActionRefused(_("There is no consensus score to clear."))
        Consensus.objects.filter(application=locked).delete()
        record(locked, "reviews.consensus.clear", actor=by, data={"previous": str(previous)})


def _locked(application: Application, by: Any) -> Application:
    """The application, locked against a concurrent change, once `by` may set its consensus now."""
    locked = Application.objects.select_for_update().select_related("call").get(pk=application.pk)
    if not may_set_consensus(by, locked):
        raise NotPermitted(_("Only the expert group's chair and the secretariat may set the consensus score."))
    if not consensus_open(locked):
        raise InvalidTransition(str(_CLOSED))
    return locked


def _valid_score(score: Any) -> Decimal:
    message = _("Give a consensus score from %(min)s to %(max)s, with at most two decimals.") % {
        "min": SCORE_MIN,
        "max": SCORE_MAX,
    }
    try:
        value = Decimal(str(score).strip().replace(",", "."))
    except InvalidOperation:
        raise ActionRefused(message, {"score": [message]}) from None
    if not value.is_finite() or not SCORE_MIN <= value <= SCORE_MAX or value != value.quantize(Decimal("0.01")):
        raise ActionRefused(message, {"score": [message]})
    return value.quantize(Decimal("0.01"))
