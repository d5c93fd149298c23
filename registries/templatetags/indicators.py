"""How indicator values read on every page: shares as percentages, suppressed values as "fewer than N", the
goal-attainment badge and the low-coverage mark."""

from decimal import Decimal
from typing import Any

from django import template
from django.template.loader import render_to_string
from django.utils.formats import number_format
from django.utils.safestring import SafeString

register = template.Library()


@register.filter
def indicator_number(value: Decimal | None, indicator: Any) -> str:
    """0.1534 of a "%" indicator → "15,3 %"; other units keep the number with up to three decimals."""
    if value is None:
        return "–"
    if getattr(indicator, "measure_unit", "") in ("%", "andel"):
        return f"{number_format(Decimal(value) * 100, decimal_pos=1, use_l10n=True)} %"
    return number_format(Decimal(value).quantize(Decimal("0.001")).normalize(), use_l10n=True)


@register.simple_tag
def unit_value(row: Any, indicator: Any) -> SafeString:
    """A UnitValue (registries.selectors) as shown: the value or "fewer than N", the level, the coverage mark."""
    return render_to_string("registries/unit_value.html", {"row": row, "indicator": indicator})


@register.filter
def percent(value: Decimal | None) -> str:
    """A share as a percentage with one decimal: 0.587 → "58,7 %"."""
    if value is None:
        return "–"
    return f"{number_format(Decimal(value) * 100, decimal_pos=1, use_l10n=True)} %"
