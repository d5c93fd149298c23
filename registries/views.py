"""The registries and their indicators, on the web (read-only for everyone logged in)."""

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from accounts.rules import is_member_of

from .enums import Region, UnitLevel
from .models import Indicator, Organisation, Registry, RegistryYear
from .selectors import NATION, Tree, latest_national, unit_values

LEVEL_ORDER = [UnitLevel.NATION, UnitLevel.RHF, UnitLevel.HF, UnitLevel.HOSPITAL]


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


@login_required
def indicator_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """One indicator's values for one year at every unit level, rolled up hospital → HF → RHF → nation."""
    indicator = get_object_or_404(Indicator.objects.select_related("registry"), pk=pk)
    tree = Tree.load()
    every_year = unit_values([indicator], tree=tree).get(indicator.pk, {})
    years = sorted(every_year, reverse=True)
    year = _chosen_year(request.GET.get("year", ""), years)
    level = request.GET.get("level", "")
    units = every_year.get(year, {}) if year is not None else {}
    names = dict(Organisation.objects.filter(orgnr__in=list(units)).values_list("orgnr", "name"))
    groups = []
    for unit_level in LEVEL_ORDER:
        if level and level != unit_level:
            continue
        rows = sorted(
            (
                {"orgnr": o, "name": names.get(o, str(o)), "value": v}
                for o, v in units.items()
                if v.unit_level == unit_level
            ),
            key=lambda r: r["name"],
        )
        if rows:
            groups.append({"level": unit_level, "label": UnitLevel(unit_level).label, "rows": rows})
    ctx = {
        "indicator": indicator,
        "years": years,
        "year": year,
        "level": level,
        "levels": [(lvl, UnitLevel(lvl).label) for lvl in LEVEL_ORDER],
        "groups": groups,
        "nation": units.get(NATION),
        "coverage_indicator": Indicator.objects.filter(pk=indicator.coverage_indicator_id)
        .exclude(pk=indicator.pk)
        .first()
        if indicator.coverage_indicator_id
        else None,
    }
    return render(request, "registries/indicator_detail.html", ctx)


def _chosen_year(text: str, years: list[int]) -> int | None:
    if text.isdigit() and int(text) in years:
        return int(text)
    return years[0] if years else None
