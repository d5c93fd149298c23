"""The call page's review panel (phase, deadline, phase actions): grants/views.py builds no context for it."""

from typing import Any

from django import template

from reviews.views import round_panel_context

register = template.Library()


@register.inclusion_tag("reviews/_call_round.html", takes_context=True)
def review_round_panel(context: Any, call: Any) -> dict[str, Any]:
    """Shown to the secretariat and the scheme's expert group only."""
    return {**round_panel_context(context["request"].user, call), "csrf_token": context.get("csrf_token")}
