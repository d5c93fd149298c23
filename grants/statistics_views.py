"""The statistics page and its charts: the secretariat's whole portfolio, a registry member's own registries."""

from collections.abc import Callable
from typing import Any, cast

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _
from django.views.decorators.csp import csp_override

from . import charts, rules
from .models import Scheme
from .statistics import Filters, days_to_decision, funding, gather, scope_for, targets_reached

FIRST_YEAR, LAST_YEAR = 1900, 2100


class StatisticsFilterForm(forms.Form):
    """The page's filters; a field that does not validate is ignored (left out of cleaned_data), never an error."""

    scheme = forms.ChoiceField(label=_("Scheme"), required=False)

    def __init__(self, data: Any, schemes: list[Scheme]) -> None:
        super().__init__(data)
        scheme = cast(forms.ChoiceField, self.fields["scheme"])
        scheme.choices = [("", _("All schemes")), *((s.code, s.localized_name) for s in schemes)]
        # "from" is a Python keyword, so these two are added here rather than declared.
        for name, label in (("from", _("From year")), ("to", _("To year"))):
            self.fields[name] = forms.IntegerField(
                label=label, required=False, min_value=FIRST_YEAR, max_value=LAST_YEAR
            )

    def filters(self) -> Filters:
        self.is_valid()
        data = self.cleaned_data
        return Filters(data.get("scheme") or "", data.get("from"), data.get("to"))


def _allowed(request: HttpRequest) -> None:
    if not rules.can_view_statistics(request.user):
        raise PermissionDenied


def _form(request: HttpRequest) -> StatisticsFilterForm:
    return StatisticsFilterForm(request.GET, list(Scheme.objects.order_by("name", "pk")))


@login_required
def statistics(request: HttpRequest) -> HttpResponse:
    _allowed(request)
    form = _form(request)
    scope = scope_for(request.user)
    data = gather(scope, form.filters())
    query = request.GET.urlencode()
    return render(
        request,
        "grants/statistics.html",
        {"form": form, "stats": data, "portfolio_wide": scope.portfolio_wide, "query": query},
    )


def _funding(scope: Any, filters: Filters) -> str:
    return charts.funding_chart(funding(scope.applications, filters))


def _success(scope: Any, filters: Filters) -> str:
    return charts.success_chart(funding(scope.applications, filters))


def _days(scope: Any, filters: Filters) -> str:
    return charts.days_chart(days_to_decision(scope.applications, filters))


def _targets(scope: Any, filters: Filters) -> str:
    return charts.targets_chart(targets_reached(scope.projects, filters))


CHARTS: dict[str, Callable[[Any, Filters], str]] = {
    "funding": _funding,
    "success": _success,
    "days": _days,
    "targets": _targets,
}


@login_required
@csp_override({"default-src": [CSP.NONE], "style-src": [CSP.UNSAFE_INLINE]})  # the SVG's own style attributes
def statistics_chart(request: HttpRequest, name: str) -> HttpResponse:
    _allowed(request)
    if name not in CHARTS:
        raise Http404
    svg = CHARTS[name](scope_for(request.user), _form(request).filters())
    response = HttpResponse(svg, content_type="image/svg+xml")
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, max-age=300"
    return response
