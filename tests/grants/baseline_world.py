"""A small organisation tree with indicator values, for the baseline tests (grants.selectors.baselines).

nation 1 → RHF 10 → HF 20 (hospitals 31, 32) and HF 40 (hospital 41). Values of `indicator` (lower is better,
green 0.15, yellow 0.25, minimum denominator 5), delivered per hospital plus a national row:
2021: 31 = 3/10, 32 = 4/10, 41 = 1/3 (suppressed), nation = 30/100; 2020: 31 = 1/10, nation = 20/100.
Coverage (a linked indicator): 31 = 5/10 (under 60 %), 32 = 9/10 in 2021.
"""

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from registries.models import IndicatorValue
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory


@dataclass
class BaselineWorld:
    registry: Any
    indicator: Any
    coverage: Any
    nation: Any
    rhf: Any
    hf: Any
    h31: Any
    h32: Any
    hf40: Any
    h41: Any


def _value(indicator: Any, org: Any, year: int, numerator: str, denominator: str) -> None:
    IndicatorValue.objects.create(
        indicator=indicator,
        organisation=org,
        year=year,
        numerator=Decimal(numerator),
        denominator=Decimal(denominator),
    )


def build_baseline_world(registry: Any = None) -> BaselineWorld:
    registry = registry or RegistryFactory()
    nation = OrganisationFactory(orgnr=1, name="Norge", level="nation")
    rhf = OrganisationFactory(orgnr=10, name="Helse Midt", level="rhf", parent=nation)
    hf = OrganisationFactory(orgnr=20, name="HF Trøndelag", level="hf", parent=rhf)
    h31 = OrganisationFactory(orgnr=31, name="Sykehus A", parent=hf)
    h32 = OrganisationFactory(orgnr=32, name="Sykehus B", parent=hf)
    hf40 = OrganisationFactory(orgnr=40, name="HF Møre", level="hf", parent=rhf)
    h41 = OrganisationFactory(orgnr=41, name="Sykehus C", parent=hf40)
    coverage = IndicatorFactory(id="test_dg", registry=registry, level_green=None, direction=None)
    indicator = IndicatorFactory(id="test_smerte", registry=registry, coverage_indicator_id="test_dg")
    for org, year, num, den in [
        (h31, 2021, "3", "10"),
        (h32, 2021, "4", "10"),
        (h41, 2021, "1", "3"),
        (nation, 2021, "30", "100"),
        (h31, 2020, "1", "10"),
        (nation, 2020, "20", "100"),
    ]:
        _value(indicator, org, year, num, den)
    _value(coverage, h31, 2021, "5", "10")
    _value(coverage, h32, 2021, "9", "10")
    return BaselineWorld(registry, indicator, coverage, nation, rhf, hf, h31, h32, hf40, h41)
