"""The decision on an application's page, and the links to the recommendation and the decision meeting on a call's
page, each shown only to those whose predicate allows it (grants/views.py builds neither context)."""

from typing import Any

from django import template

from grants import decisions
from reviews import recommendation

register = template.Library()


@register.inclusion_tag("grants/decision_panel.html", takes_context=True)
def decision_panel(context: Any, application: Any) -> dict[str, Any]:
    """The decision letter's content for the applicant (and the secretariat and the decision body)."""
    user = context["request"].user
    if not decisions.can_view_decision(user, application) or decisions.decision_of(application) is None:
        return {"show": False}
    letter = decisions.DecisionLetter.objects.filter(application=application).first()
    return {"show": True, "letter": letter, **decisions.letter_context(application)}


@register.simple_tag(takes_context=True)
def call_decision_links(context: Any, call: Any) -> dict[str, bool]:
    user = context["request"].user
    return {
        "recommendation": recommendation.can_view_recommendation(user, call),
        "meeting": decisions.can_record_decisions(user, call),
    }
