"""The call's ranking on the web (the basis of the expert group's recommendation)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from core.access import visible_call
from grants.selectors import applications_visible_to
from registries.models import Registry

from . import rules
from .selectors import ranking_for


@login_required
def ranking(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    if not rules.can_see_ranking(request.user, call):
        raise PermissionDenied
    rows = ranking_for(call, request.user)
    names = dict(Registry.objects.filter(pk__in={r.registry_id for r in rows}).values_list("pk", "short_name"))
    for row in rows:
        row.registry_name = names.get(row.registry_id, "")  # type: ignore[attr-defined]
    # Expert-group members see every row they are not conflicted with, but open only what they were assigned.
    openable = set(applications_visible_to(request.user, call.applications.all()).values_list("pk", flat=True))
    ctx = {"call": call, "rows": rows, "openable": openable}
    return render(request, "reviews/ranking.html", ctx)
