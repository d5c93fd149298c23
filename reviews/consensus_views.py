"""The chair's consensus score and assessment for one application, on the web (linked from the ranking)."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exceptions import DomainError
from core.views_helpers import report_error
from grants.models import Application
from grants.selectors import applications_visible_to

from . import consensus, rules
from .enums import SCORE_MAX, SCORE_MIN
from .models import Consensus
from .selectors import ranking_for


class ConsensusForm(forms.Form):
    score = forms.DecimalField(
        label=gettext_lazy("Consensus score (1-7)"),
        min_value=SCORE_MIN,
        max_value=SCORE_MAX,
        max_digits=3,
        decimal_places=2,
        localize=True,
        help_text=gettext_lazy("Up to two decimals. It orders the application in the ranking instead of the mean."),
        widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
    )
    assessment = forms.CharField(
        label=gettext_lazy("Consensus assessment"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=gettext_lazy("What the expert group agreed. The applicant reads it in the decision letter."),
    )


def consensus_application(user: Any, pk: int) -> Application:
    """The application if `user` may set its consensus; 403 if they know of it (their own registry's, or the expert
    group's without a conflict of interest), else 404 (a conflicted reviewer may not learn more than that)."""
    application = (
        Application.objects.select_related("call__scheme", "registry")
        .filter(pk=pk, state__in=rules.REVIEW_VISIBLE)
        .first()
    )
    if application is None:
        raise Http404
    if rules.may_set_consensus(user, application):
        return application
    if applications_visible_to(user).filter(pk=pk).exists():
        raise PermissionDenied
    if rules.knows_of(user, application) and not rules.has_conflict(user, application):
        raise PermissionDenied
    raise Http404


@login_required
def edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = consensus_application(request.user, pk)
    current = Consensus.objects.filter(application=application).select_related("set_by").first()
    form = ConsensusForm(initial={"score": current.score, "assessment": current.assessment} if current else None)
    if request.method == "POST":
        if request.POST.get("action") == "clear":
            return _clear(request, application)
        form = ConsensusForm(request.POST)
        if form.is_valid():
            return _set(request, application, form.cleaned_data)
    row = next((r for r in ranking_for(application.call, request.user) if r.application_id == pk), None)
    ctx = {
        "application": application,
        "call": application.call,
        "current": current,
        "form": form,
        "row": row,
        "can_set": rules.consensus_open(application),
    }
    return render(request, "reviews/consensus.html", ctx, status=400 if form.errors else 200)


def _set(request: HttpRequest, application: Application, data: dict[str, Any]) -> HttpResponse:
    try:
        consensus.set_consensus(application, by=request.user, score=data["score"], assessment=data["assessment"])
    except DomainError as exc:
        report_error(request, exc)
        return redirect("consensus:edit", application.pk)
    messages.success(request, _("The consensus score for “%(title)s” is saved.") % {"title": application.title})
    return redirect("reviews:ranking", application.call_id)


def _clear(request: HttpRequest, application: Application) -> HttpResponse:
    try:
        consensus.clear_consensus(application, by=request.user)
    except DomainError as exc:
        report_error(request, exc)
        return redirect("consensus:edit", application.pk)
    messages.success(request, _("The consensus score for “%(title)s” is cleared.") % {"title": application.title})
    return redirect("reviews:ranking", application.call_id)
