"""How a project's outcome reads: changes with a sign, in percentage points for percent indicators."""

from decimal import Decimal
from typing import Any

from django import template
from django.utils.formats import number_format
from django.utils.translation import gettext as _

from registries.charts import is_percent

register = template.Library()


@register.filter
def change(value: Decimal | None, indicator: Any) -> str:
    """0.25 of a "%" indicator → "+25,0 percentage points"; other units → "+0,25"."""
    if value is None:
        return "–"
    sign = "+" if value > 0 else ("−" if value < 0 else "±")
    if is_percent(getattr(indicator, "measure_unit", "")):
        points = number_format(abs(value) * 100, decimal_pos=1, use_l10n=True)
        return f"{sign}{points} {_('percentage points')}"
    return sign + number_format(abs(value).quantize(Decimal("0.001")).normalize(), use_l10n=True)
