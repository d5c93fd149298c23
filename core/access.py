"""Load-or-404 helpers: what a user may not know exists is 404; visible but not allowed is 403."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404

from grants.models import Application, Call
from grants.selectors import applications_visible_to, calls_visible_to
from projects.models import Milestone, Project
from projects.selectors import projects_visible_to
from registries.models import IndicatorImport
from registries.selectors import imports_visible_to


def require_secretariat(user: Any) -> None:
    """The secretariat's own pages (payments, the annual summary, the audit trail): 403 for anyone else, who may
    know such a page exists but not see it."""
    from accounts.rules import is_secretariat

    if not is_secretariat(user):
        raise PermissionDenied


def visible_application(user: Any, pk: int) -> Application:
    qs = applications_visible_to(user).select_related("call", "call__scheme", "registry")
    return get_object_or_404(qs, pk=pk)


def visible_call(user: Any, pk: int) -> Call:
    return get_object_or_404(calls_visible_to(user).select_related("scheme"), pk=pk)


def visible_project(user: Any, pk: int) -> Project:
    qs = projects_visible_to(user).select_related("registry", "application", "application__call__scheme")
    return get_object_or_404(qs, pk=pk)


def visible_milestone(user: Any, project_pk: int, pk: int) -> Milestone:
    project = visible_project(user, project_pk)
    try:
        return project.milestones.select_related("project").get(pk=pk)
    except Milestone.DoesNotExist:
        raise Http404 from None


def visible_import(user: Any, pk: int) -> IndicatorImport:
    return get_object_or_404(imports_visible_to(user), pk=pk)
