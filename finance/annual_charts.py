"""The annual summary's charts as SVG, drawn by the statistics page's chart functions (grants.charts)."""

from typing import Any

from django.utils.translation import gettext as _
from matplotlib.ticker import FuncFormatter

from grants.charts import bar_chart, nok_ticks

from .annual import Summary, Table


def funding_chart(result: Summary) -> str:
    """Amount granted per year (first year to the summary's year, each year shown), one bar per scheme."""
    years = range(result.first_year, result.year + 1)
    schemes = sorted({scheme for _year, scheme in result.funding})
    series = [(s, {y: result.funding.get((y, s), 0) for y in years}) for s in schemes]
    return bar_chart(_("Amount granted per year and scheme (NOK)"), series, formatter=FuncFormatter(nok_ticks))


def _count(value: float, _pos: Any) -> str:
    """Whole numbers only: a tick between two counts gets no label."""
    return str(int(value)) if value == int(value) else ""


def region_chart(received: Table) -> str:
    """Applications received and granted per region (all schemes together)."""
    regions: dict[str, list[int]] = {}
    for _scheme, region, n_received, n_granted, *_rest in received.rows:
        counts = regions.setdefault(region, [0, 0])
        counts[0] += n_received
        counts[1] += n_granted
    series: list[tuple[str, Any]] = [
        (_("Received"), {r: c[0] for r, c in regions.items()}),
        (_("Granted"), {r: c[1] for r, c in regions.items()}),
    ]
    return bar_chart(_("Applications per region"), series, formatter=FuncFormatter(_count), xlabel="")
