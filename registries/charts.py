"""An indicator over the years as an SVG chart: the same string on the web page (as an <img>) and in PDFs.

matplotlib's object API only (a Figure of its own, no pyplot and its global state), so charts drawn at the same time
in several threads do not mix. The output is byte-for-byte the same for the same input: a fixed hash salt for the
SVG's ids and no date in its metadata. Text stays text (svg.fonttype "none"), so a PDF carries the title as text
and the page's language is the chart's language (the caller passes translated labels).
"""

import io
import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, cast

import matplotlib
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, MaxNLocator

from .enums import Direction

# Green, yellow and red of the goal-attainment bands (SKDE's viewer), pale so the lines stay readable.
BAND_COLOURS = {"high": "#dff2e4", "moderate": "#fff1c2", "low": "#fbdcd8"}
NATION_COLOUR = "#222222"
UNIT_COLOURS = ["#1f5fa8", "#c2410c", "#6b21a8", "#0f766e", "#a16207", "#be185d", "#4d7c0f", "#334155"]
RC: dict[str, Any] = {
    "svg.hashsalt": "registry-grants",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
}


@dataclass(frozen=True)
class Series:
    label: str
    points: Mapping[int, Decimal | None]  # year → value as shown (None when suppressed or missing: omitted)
    nation: bool = False


@dataclass(frozen=True)
class Labels:
    """The chart's words, already in the reader's language."""

    title: str
    target: str
    high: str
    moderate: str
    low: str
    year: str = ""


def is_percent(measure_unit: str) -> bool:
    return measure_unit in ("%", "andel")


def _tick_formatter(percent: bool) -> FuncFormatter:
    from django.utils.formats import number_format

    def label(value: float, _pos: Any) -> str:
        if percent:
            return f"{number_format(round(value * 100, 1), decimal_pos=0, use_l10n=True)} %"
        return number_format(round(value, 3), use_l10n=True)

    return FuncFormatter(label)


def _point(value: Decimal | None) -> float:
    return math.nan if value is None else float(value)


def _limits(values: Sequence[float], percent: bool) -> tuple[float, float]:
    low, high = (min(values), max(values)) if values else (0.0, 1.0)
    pad = (high - low) * 0.15 or (abs(high) * 0.1 or 0.1)
    low, high = low - pad, high + pad
    if percent:
        low, high = max(low, 0.0), min(high, 1.0)
    return (low, high) if high > low else (low - 0.1, high + 0.1)


def _bands(ax: Any, green: float, yellow: float, higher: bool, top: float, bottom: float, labels: Labels) -> list:
    if higher:
        spans = [("high", green, top), ("moderate", yellow, green), ("low", bottom, yellow)]
    else:
        spans = [("high", bottom, green), ("moderate", green, yellow), ("low", yellow, top)]
    names = {"high": labels.high, "moderate": labels.moderate, "low": labels.low}
    handles = []
    for level, start, stop in spans:
        if stop > start:
            ax.axhspan(start, stop, color=BAND_COLOURS[level], zorder=0, linewidth=0, gid=f"band-{level}")
            handles.append(Patch(facecolor=BAND_COLOURS[level], label=names[level]))
    return handles


def indicator_chart(
    series: Sequence[Series],
    *,
    labels: Labels,
    measure_unit: str = "",
    green: Decimal | None = None,
    yellow: Decimal | None = None,
    direction: int | None = None,
    target: Decimal | None = None,
) -> str:
    """The SVG of `series` over the years, with goal-attainment bands (when the indicator has thresholds and a
    direction) and the target as a dashed line."""
    percent = is_percent(measure_unit)
    shown = [float(v) for s in series for v in s.points.values() if v is not None]
    marks = [float(v) for v in (green, yellow, target) if v is not None]
    bottom, top = _limits(shown + marks, percent)
    with matplotlib.rc_context(cast(Any, RC)):
        figure = Figure(figsize=(7.2, 3.6))
        ax = figure.add_subplot()
        handles: list = []
        # Every year of the chart on every line, a gap (NaN) where a value is suppressed or missing: the line
        # breaks there instead of drawing a trend through a value nobody may see.
        years = sorted({y for s in series for y in s.points})
        for index, s in enumerate(series):
            colour = NATION_COLOUR if s.nation else UNIT_COLOURS[index % len(UNIT_COLOURS)]
            (line,) = ax.plot(
                years,
                [_point(s.points.get(y)) for y in years],
                marker="o",
                color=colour,
                linestyle="--" if s.nation else "-",
                linewidth=2,
                label=textwrap.shorten(s.label, 40, placeholder="…"),
                gid=f"series-{index}",
            )
            handles.append(line)
        if target is not None:
            handles.append(
                ax.axhline(float(target), color="#111111", linestyle=":", linewidth=1.5, label=labels.target)
            )
        if green is not None and direction is not None:
            higher = direction == Direction.HIGHER_IS_BETTER
            handles += _bands(
                ax, float(green), float(yellow if yellow is not None else green), higher, top, bottom, labels
            )
        ax.set_ylim(bottom, top)
        ax.yaxis.set_major_formatter(_tick_formatter(percent))
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_title("\n".join(textwrap.wrap(labels.title, 90)), loc="left", fontsize=10)
        if labels.year:
            ax.set_xlabel(labels.year)
        ax.grid(axis="y", color="#cccccc", linewidth=0.5)
        ax.spines[["top", "right"]].set_visible(False)
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        figure.subplots_adjust(left=0.09, right=0.68, top=0.88, bottom=0.14)
        return to_svg(figure)


def to_svg(figure: Figure) -> str:
    """The figure as SVG text with no date in its metadata. Call it inside `matplotlib.rc_context(RC)`: the SVG
    writer reads the hash salt and the font type from there."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def unit_chart(
    indicator: Any,
    values: Mapping[int, Mapping[int, Any]],
    units: Sequence[tuple[int, str]],
    *,
    target: Decimal | None = None,
    title: str = "",
) -> str:
    """`indicator` for `units` ((orgnr, name), the nation included as orgnr 1) from `values` (year → orgnr →
    UnitValue, registries.selectors.unit_values): suppressed values are left out, as everywhere."""
    from django.utils.translation import gettext as _

    from .enums import Level
    from .selectors import NATION

    series = [
        Series(
            label=str(name),
            points={year: row[orgnr].value for year, row in values.items() if orgnr in row},
            nation=orgnr == NATION,
        )
        for orgnr, name in units
    ]
    labels = Labels(
        title=title or indicator.title,
        target=_("Target"),
        high=str(Level.HIGH.label),
        moderate=str(Level.MODERATE.label),
        low=str(Level.LOW.label),
        year=_("Year"),
    )
    return indicator_chart(
        series,
        labels=labels,
        measure_unit=indicator.measure_unit,
        green=indicator.level_green,
        yellow=indicator.level_yellow,
        direction=indicator.direction,
        target=target,
    )
