"""Registries, their indicators and indicator values (rolled up hospital → HF → RHF → nation)."""

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from core.api import as_number, get_or_404, problem_responses
from core.exceptions import ActionRefused

from .enums import Direction
from .models import Indicator, Registry
from .selectors import Tree, UnitValue, unit_values

router = Router(tags=["registries"])


class RegistryOut(Schema):
    id: int
    name: str
    short_name: str
    region: str


class IndicatorOut(Schema):
    id: str = Field(description="SKDE's indicator id, e.g. nakke1.")
    title: str
    direction: str | None = Field(description="higher_is_better or lower_is_better; null when not set.")
    level_green: float | None
    level_yellow: float | None = Field(description="Defaults to level_green when the definition leaves it empty.")

    @staticmethod
    def resolve_direction(obj: Indicator) -> str | None:
        if obj.direction is None:
            return None
        return Direction(obj.direction).name.lower()

    @staticmethod
    def resolve_level_green(obj: Indicator) -> float | None:
        return as_number(obj.level_green)

    @staticmethod
    def resolve_level_yellow(obj: Indicator) -> float | None:
        return as_number(obj.level_green if obj.level_yellow is None else obj.level_yellow)


class ValueOut(Schema):
    year: int
    orgnr: int
    unit_level: str = Field(description="hospital, hf, rhf or nation.")
    numerator: float | None = Field(description="Null when suppressed.")
    denominator: float
    value: float | None = Field(
        description="sum(numerator) / sum(denominator); null when the denominator is 0 or the value is suppressed."
    )
    level: str | None = Field(
        description="Goal attainment: high, moderate, low; null without thresholds or when suppressed."
    )
    suppressed: bool = Field(
        description="The denominator is below the indicator's minimum (too few observations): shown as "
        "“fewer than N”, so numerator, value and level are null. Higher levels still count the unit's rows."
    )
    coverage: float | None = Field(
        description="The share from the linked coverage indicator (dekningsgrad) for this unit and year, if delivered."
    )
    low_coverage: bool = Field(description="Coverage under 60 %: the value may not represent the unit.")


class ValuesQuery(Schema):
    unit: int | None = Field(None, description="Organisation number of a hospital, HF or RHF; 1 is the nation.")
    year: int | None = None


@router.get("/registries", response=list[RegistryOut])
def list_registries(request: HttpRequest) -> list[Registry]:
    return list(Registry.objects.all())


@router.get("/registries/{int:id}", response={200: RegistryOut, **problem_responses(404)})
def get_registry(request: HttpRequest, id: int) -> Registry:
    return get_or_404(Registry.objects.all(), id, "registry")


@router.get("/registries/{int:id}/indicators", response={200: list[IndicatorOut], **problem_responses(404)})
def list_indicators(request: HttpRequest, id: int) -> list[Indicator]:
    registry = get_or_404(Registry.objects.all(), id, "registry")
    return list(Indicator.objects.filter(registry=registry))


# ---------------------------------------------------------------- roll-up


@router.get("/indicators/{id}/values", response={200: list[ValueOut], **problem_responses(400, 404)})
def indicator_values(request: HttpRequest, id: str, filters: Query[ValuesQuery]) -> list[dict]:
    """Values per year and unit. Without `unit`, every unit at every level; hospital rows roll up to HF, RHF and
    the nation through the organisation tree."""
    indicator = get_or_404(Indicator.objects.all(), id, "indicator")
    tree = Tree.load()
    if filters.unit is not None and filters.unit not in tree.level:
        msg = f"No organisation with number {filters.unit}."
        raise ActionRefused(msg, {"unit": [msg]})
    years = unit_values([indicator], year=filters.year, tree=tree).get(indicator.pk, {})
    rows = []
    for year in sorted(years):
        units = years[year]
        wanted = [filters.unit] if filters.unit is not None else sorted(units, key=lambda o: (_depth(tree, o), o))
        for orgnr in wanted:
            if orgnr in units:
                rows.append(_value_row(units[orgnr]))
    return rows


def _depth(tree: Tree, orgnr: int) -> int:
    return len(tree.ancestors(orgnr))


def _value_row(row: UnitValue) -> dict:
    return {
        "year": row.year,
        "orgnr": row.orgnr,
        "unit_level": row.unit_level,
        "numerator": None if row.suppressed else float(row.numerator),
        "denominator": float(row.denominator),
        "value": as_number(row.value),
        "level": str(row.attainment) if row.attainment else None,
        "suppressed": row.suppressed,
        "coverage": as_number(row.coverage),
        "low_coverage": row.low_coverage,
    }
