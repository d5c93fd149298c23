"""The statistics page's charts as SVG, drawn like registries.charts: matplotlib's object API (a Figure of its own,
no pyplot), its rcParams (fixed hash salt, text as text) and its SVG writer (no date), so the same figures give the
same bytes. The numbers of every chart are also in a table on the page; the chart is the picture of that table."""

import math
import textwrap
from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any, cast

import matplotlib
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from registries.charts import RC, UNIT_COLOURS, _tick_formatter, to_svg

from .statistics import DaysToDecision, FundingRow, TargetRow

# year → value; a missing year is a gap (no bar, a break in the line).
Points = Mapping[int, Decimal | float | None]


def nok_ticks(value: float, _pos: Any) -> str:
    return number_format(round(value), decimal_pos=0, use_l10n=True, force_grouping=True)


def _figure(title: str) -> tuple[Figure, Any]:
    figure = Figure(figsize=(7.2, 3.6))
    ax = figure.add_subplot()
    ax.set_title("\n".join(textwrap.wrap(title, 90)), loc="left", fontsize=10)
    ax.grid(axis="y", color="#cccccc", linewidth=0.5)
    ax.set_axisbelow(True)
    ax.spines[["top", "right"]].set_visible(False)
    return figure, ax


def _finish(figure: Figure, ax: Any, *, legend: bool, xlabel: str) -> str:
    ax.set_xlabel(xlabel)
    if legend:
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1), frameon=False, fontsize=8)
        figure.subplots_adjust(left=0.12, right=0.72, top=0.88, bottom=0.14)
    else:
        figure.subplots_adjust(left=0.12, right=0.97, top=0.88, bottom=0.14)
    return to_svg(figure)


def bar_chart(
    title: str,
    series: Sequence[tuple[str, Points]],
    *,
    formatter: FuncFormatter,
    top: float | None = None,
    xlabel: str | None = None,
) -> str:
    """Bars per year (or per any other sortable category: then give the `xlabel`), one bar per series side by side
    (a grouped bar chart when there are several)."""
    years = sorted({y for _label, points in series for y, v in points.items() if v is not None})
    width = 0.8 / max(len(series), 1)
    with matplotlib.rc_context(cast(Any, RC)):
        figure, ax = _figure(title)
        for index, (label, points) in enumerate(series):
            shown = [(i, float(points[y])) for i, y in enumerate(years) if points.get(y) is not None]  # type: ignore[arg-type]
            offset = (index - (len(series) - 1) / 2) * width
            ax.bar(
                [i + offset for i, _v in shown],
                [v for _i, v in shown],
                width=width,
                color=UNIT_COLOURS[index % len(UNIT_COLOURS)],
                label=textwrap.shorten(label, 40, placeholder="…"),
                gid=f"series-{index}",
            )
        ax.set_xticks(range(len(years)), [str(y) for y in years])
        ax.set_xlim(-0.6, max(len(years), 1) - 0.4)
        ax.set_ylim(0, top if top is not None else None)
        ax.yaxis.set_major_formatter(formatter)
        return _finish(figure, ax, legend=len(series) > 1, xlabel=_("Year") if xlabel is None else xlabel)


def line_chart(title: str, series: Sequence[tuple[str, Points]], *, formatter: FuncFormatter, top: float) -> str:
    """A line per series over the years, broken where a year has no value."""
    years = sorted({y for _label, points in series for y, v in points.items() if v is not None})
    with matplotlib.rc_context(cast(Any, RC)):
        figure, ax = _figure(title)
        for index, (label, points) in enumerate(series):
            value = [points.get(y) for y in years]
            ax.plot(
                years,
                [math.nan if v is None else float(v) for v in value],
                marker="o",
                linewidth=2,
                color=UNIT_COLOURS[index % len(UNIT_COLOURS)],
                label=textwrap.shorten(label, 40, placeholder="…"),
                gid=f"series-{index}",
            )
        if years:
            ax.set_xlim(years[0] - 0.5, years[-1] + 0.5)
        ax.set_ylim(0, top)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda value, _pos: str(int(value))))
        ax.yaxis.set_major_formatter(formatter)
        return _finish(figure, ax, legend=len(series) > 1, xlabel=_("Year"))


def _per_scheme(rows: Sequence[Any], value: str) -> list[tuple[str, dict[int, Any]]]:
    series: dict[int, tuple[str, dict[int, Any]]] = {}
    for row in rows:
        series.setdefault(row.scheme.pk, (row.scheme.localized_name, {}))[1][row.year] = getattr(row, value)
    return list(series.values())


def _share(value: Any) -> float | None:
    return None if value is None else float(value)


def funding_chart(rows: Sequence[FundingRow]) -> str:
    series = _per_scheme(rows, "granted_nok")
    return bar_chart(_("Granted amount per year and scheme (NOK)"), series, formatter=FuncFormatter(nok_ticks))


def success_chart(rows: Sequence[FundingRow]) -> str:
    series = [
        (label, {year: _share(rate) for year, rate in points.items()})
        for label, points in _per_scheme(rows, "success_rate")
    ]
    return line_chart(_("Success rate per year and scheme"), series, formatter=_tick_formatter(True), top=1.05)


def days_chart(days: DaysToDecision) -> str:
    series = [(_("All schemes"), {row.year: row.median for row in days.by_year})]
    return bar_chart(_("Median days from submission to decision per year"), series, formatter=FuncFormatter(nok_ticks))


def targets_chart(rows: Sequence[TargetRow]) -> str:
    series = [
        (label, {year: _share(share) for year, share in points.items()}) for label, points in _per_scheme(rows, "share")
    ]
    return bar_chart(
        _("Share of closed projects that reached their target"), series, formatter=_tick_formatter(True), top=1.05
    )
