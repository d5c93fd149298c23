"""The change requests of the project page (templates/projects/_changes.html)."""

from typing import Any

from django import template
from django.urls import reverse

from core.views_helpers import action_forms
from core.workflow import available_transitions
from projects import changes, rules
from projects.enums import ChangeKind, ProjectState

register = template.Library()

NEEDS_REASON = {"approve", "refuse"}


@register.simple_tag(takes_context=True)
def change_requests(context: template.Context, project: Any) -> dict[str, Any]:
    user = context["request"].user
    rows = list(project.change_requests.select_related("project", "created_by", "decided_by"))
    for change in rows:
        names = [n for n in available_transitions(change, user) if n in changes.CHANGE_ACTIONS]
        forms = action_forms(names, reverse("projects:change_request_transition", args=[project.pk, change.pk]))
        for form in forms:
            form["comment_required"] = form["name"] in NEEDS_REASON
        change.actions = forms
    return {
        "rows": rows,
        "can_request": rules.can_run_project(user, project) and project.state == ProjectState.ACTIVE,
        "kinds": ChangeKind.choices,
    }
