"""The registries and their indicators, on the web (read-only for everyone logged in)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.rules import is_member_of

from .enums import Region
from .models import Indicator, Registry, RegistryYear
from .selectors import latest_national


@login_required
def registry_list(request: HttpRequest) -> HttpResponse:
    region = request.GET.get("region", "")
    registries = Registry.objects.prefetch_related(
        Prefetch("years", queryset=RegistryYear.objects.order_by("-year"), to_attr="recent_years")
    ).order_by("region", "name")
    if region in Region.values:
        registries = registries.filter(region=region)
    rows = [(r, r.recent_years[0] if r.recent_years else None) for r in registries]
    return render(request, "registries/registry_list.html", {"rows": rows, "regions": Region.choices, "region": region})


@login_required
def registry_detail(request: HttpRequest, pk: int) -> HttpResponse:
    registry = get_object_or_404(Registry, pk=pk)
    indicators = list(Indicator.objects.filter(registry=registry).order_by("id"))
    latest = latest_national(i.pk for i in indicators)
    rows = []
    for indicator in indicators:
        year, sums = latest.get(indicator.pk, (None, None))
        value = sums.value if sums else None
        rows.append(
            {
                "indicator": indicator,
                "year": year,
                "value": value,
                "denominator": sums.denominator if sums else None,
                "level": indicator.level_for(value) if value is not None else None,
            }
        )
    ctx = {
        "registry": registry,
        "years": registry.years.order_by("year"),
        "rows": rows,
        "is_member": is_member_of(request.user, registry.pk),
    }
    return render(request, "registries/registry_detail.html", ctx)
