"""The dashboard: what each role needs to do next (the panels are read in core.dashboard)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.rules import is_decider, is_reviewer, is_secretariat, registry_ids

from . import dashboard as panels


@login_required
def dashboard(request: HttpRequest) -> HttpResponse:
    user = request.user
    today = timezone.localdate()
    ctx: dict = {"today": today}
    own = registry_ids(user)
    if own:
        ctx.update(panels.member_panels(user, own, today))
    if is_reviewer(user):
        ctx.update(panels.reviewer_panels(user, today))
    if is_secretariat(user):
        ctx.update(panels.secretariat_panels(user, today))
    if is_decider(user):
        ctx.update(panels.decider_panels(user))
    return render(request, "core/dashboard.html", ctx)
