"""The annual summary: what was applied for, granted, completed and achieved in a year, and since the first year.

`summary(year)` reads the figures in a constant number of queries (each table is one aggregated query, whatever the
number of applications) and returns plain tables of typed values. The same tables become the web page, the PDF
(weasyprint, with SVG charts), the XLSX (one sheet per table, typed cells) and the CSV (one table per file).

Which year an application belongs to is the year of its call; a project is completed in the year it was closed.
Amounts not stated (historical grants from the 2021 report) are counted but not added, and each table says how many.
"""

import csv
import hashlib
import io
import json
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.db.models.functions import ExtractYear
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook

from core.listing import EXPORT_TYPES
from grants.enums import ApplicationState
from grants.models import Application
from grants.selectors import handed_in
from projects.enums import ProjectState
from projects.models import Project
from registries.enums import Region
from registries.models import Registry, RegistryYear

from .exports import defuse
from .selectors import paid_total

# Bump when the documents' layout changes: cached files made by an older layout are then made again.
LAYOUT_VERSION = "1"
FORMATS = ("pdf", "xlsx", "csv")
ZERO = Decimal("0.00")
GRANTED = ApplicationState.GRANTED


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    kind: str = "text"  # text | int | money | percent


@dataclass
class Table:
    key: str
    title: str
    columns: list[Column]
    rows: list[list[Any]]
    total: list[Any] | None = None  # the totals row, same columns (text columns: a label or "")
    note: str = ""

    @property
    def cells(self) -> list[list[tuple[Any, str]]]:
        """The rows as (value, kind) pairs, for templates."""
        kinds = [c.kind for c in self.columns]
        return [list(zip(row, kinds, strict=True)) for row in self.rows]

    @property
    def total_cells(self) -> list[tuple[Any, str]]:
        return list(zip(self.total, [c.kind for c in self.columns], strict=True)) if self.total else []

    def as_dicts(self) -> list[dict[str, Any]]:
        return [dict(zip([c.key for c in self.columns], row, strict=True)) for row in self.rows]


@dataclass
class Summary:
    year: int
    first_year: int
    tables: list[Table] = field(default_factory=list)
    # (year, scheme name) → amount granted: the funding chart
    funding: dict[tuple[int, str], Decimal] = field(default_factory=dict)

    def table(self, key: str) -> Table:
        return next(t for t in self.tables if t.key == key)

    @property
    def keys(self) -> list[str]:
        return [t.key for t in self.tables]

    def digest(self, *parts: str) -> str:
        """What the documents are made of: the figures, the layout version and the given parts (format, table,
        language). Equal digests give equal documents, so a cached file stays valid while the digest does."""
        data = [self.year, self.first_year, LAYOUT_VERSION, list(parts)]
        data += [[t.key, t.title, [c.label for c in t.columns], t.rows, t.total, t.note] for t in self.tables]
        text = json.dumps(data, default=str, ensure_ascii=False, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()


def _sum(values: Sequence[Decimal | None]) -> Decimal:
    return sum((v for v in values if v is not None), ZERO)


def _not_stated(count: int) -> str:
    if not count:
        return ""
    return _("The amount is not stated for %(n)s of these grants; they are counted but not added.") % {"n": count}


# ---------------------------------------------------------------- the tables


def _applications(year: int) -> Table:
    """One row per application handed in to the year's calls (the detail behind the other tables)."""
    rows = (
        Application.objects.filter(handed_in(), call__year=year)
        .order_by("call__scheme__name", "call__title", "registry__short_name", "id")
        .values_list(
            "call__scheme__name",
            "call__title",
            "registry__short_name",
            "title",
            "state",
            "requested_amount_nok",
            "granted_amount_nok",
        )
    )
    return Table(
        key="applications",
        title=_("Applications"),
        columns=[
            Column("scheme", _("Scheme")),
            Column("call", _("Call")),
            Column("registry", _("Registry")),
            Column("title", _("Title")),
            Column("state", _("State")),
            Column("requested_amount_nok", _("Requested (NOK)"), "money"),
            Column("granted_amount_nok", _("Granted (NOK)"), "money"),
        ],
        rows=[list(r) for r in rows],
    )


def _received(year: int) -> Table:
    """Applications received and granted per scheme and region."""
    granted = Q(state=GRANTED)
    rows = (
        Application.objects.filter(handed_in(), call__year=year)
        .values("call__scheme__name", "registry__region")
        .annotate(
            received=Count("id"),
            granted=Count("id", filter=granted),
            requested=Sum("requested_amount_nok"),
            granted_nok=Sum("granted_amount_nok", filter=granted),
        )
        .order_by("call__scheme__name", "registry__region")
    )
    regions = dict(Region.choices)
    table_rows = [
        [
            r["call__scheme__name"],
            str(regions.get(r["registry__region"], r["registry__region"])),
            r["received"],
            r["granted"],
            r["requested"] or ZERO,
            r["granted_nok"] or ZERO,
        ]
        for r in rows
    ]
    total = [_("Total"), "", sum(r[2] for r in table_rows), sum(r[3] for r in table_rows)]
    total += [_sum([r[4] for r in table_rows]), _sum([r[5] for r in table_rows])]
    return Table(
        key="received",
        title=_("Applications received and granted, per scheme and region"),
        columns=[
            Column("scheme", _("Scheme")),
            Column("region", _("Region")),
            Column("received", _("Received"), "int"),
            Column("granted", _("Granted"), "int"),
            Column("requested_nok", _("Requested (NOK)"), "money"),
            Column("granted_nok", _("Granted (NOK)"), "money"),
        ],
        rows=table_rows,
        total=total,
    )


def _grants(year: int) -> list[Table]:
    """Every grant of the year with its registry, title and amount: one table per scheme, with its total (as the
    report prints them)."""
    rows = (
        Application.objects.filter(call__year=year, state=GRANTED)
        .order_by("call__scheme__name", "registry__name", "id")
        .values_list(
            "call__scheme__code",
            "call__scheme__name",
            "registry__name",
            "registry__region",
            "title",
            "granted_amount_nok",
        )
    )
    regions = dict(Region.choices)
    by_scheme: dict[tuple[str, str], list[list[Any]]] = defaultdict(list)
    for code, scheme, registry, region, title, amount in rows:
        by_scheme[(code, scheme)].append([registry, str(regions.get(region, region)), title, amount])
    tables = []
    for (code, scheme), items in by_scheme.items():
        amounts = [r[3] for r in items]
        tables.append(
            Table(
                key=f"grants-{code}",
                title=_("Grants: %(scheme)s") % {"scheme": scheme},
                columns=[
                    Column("registry", _("Registry")),
                    Column("region", _("Region")),
                    Column("title", _("Project")),
                    Column("amount_nok", _("Amount (NOK)"), "money"),
                ],
                rows=items,
                total=[_("Total"), "", "", _sum(amounts)],
                note=_not_stated(sum(a is None for a in amounts)),
            )
        )
    return tables


def _completed(year: int) -> Table:
    """Projects closed in the year, with what was paid and the outcome on their target indicators (frozen in the
    final report, measured now where nothing was frozen)."""
    from projects.outcomes import frozen, outcomes_for_projects, prefetched

    projects = list(
        prefetched(
            Project.objects.filter(state=ProjectState.CLOSED, closed_at__year=year)
            .select_related("registry", "application__call__scheme", "final_report")
            .annotate(paid=paid_total())
            .order_by("application__call__scheme__name", "registry__name", "title", "pk")
        )
    )
    kept = {p.pk: frozen(getattr(p, "final_report", None)) for p in projects}
    live = outcomes_for_projects([p for p in projects if kept[p.pk] is None]) if projects else {}
    rows = []
    for p in projects:
        outcomes = kept[p.pk] or live.get(p.pk, [])
        evaluated = sum(o.target_reached is not None for o in outcomes)
        reached = sum(o.target_reached is True for o in outcomes)
        rows.append(
            [
                p.registry.name,
                p.title,
                p.application.call.scheme.name,
                p.application.call.year,
                p.application.granted_amount_nok,  # None: not stated (the project holds 0.00 in its place)
                p.paid,
                evaluated,
                reached,
                _outcome_text(len(outcomes), evaluated, reached),
            ]
        )
    return Table(
        key="completed",
        title=_("Projects completed"),
        columns=[
            Column("registry", _("Registry")),
            Column("title", _("Project")),
            Column("scheme", _("Scheme")),
            Column("grant_year", _("Grant year"), "int"),
            Column("granted_nok", _("Granted (NOK)"), "money"),
            Column("paid_nok", _("Paid (NOK)"), "money"),
            Column("indicators_evaluated", _("Indicators evaluated"), "int"),
            Column("targets_reached", _("Targets reached"), "int"),
            Column("outcome", _("Outcome")),
        ],
        rows=rows,
        note=_not_stated(sum(r[4] is None for r in rows)),
        total=[
            _("Total"),
            "",
            "",
            None,
            _sum([r[4] for r in rows]),
            _sum([r[5] for r in rows]),
            sum(r[6] for r in rows),
            sum(r[7] for r in rows),
            "",
        ],
    )


def _outcome_text(targets: int, evaluated: int, reached: int) -> str:
    if not targets:
        return _("No target indicator")
    if not evaluated:
        return _("Not measurable yet")
    return _("Target reached on %(reached)s of %(evaluated)s indicators") % {"reached": reached, "evaluated": evaluated}


def _cumulative(year: int) -> tuple[Table, int, dict[tuple[int, str], Decimal]]:
    """Per year from the first year with applications to `year`: received, granted, amount granted, completed, and
    the running totals."""
    granted = Q(state=GRANTED)
    per_year_scheme = (
        Application.objects.filter(handed_in(), call__year__lte=year)
        .values("call__year", "call__scheme__name")
        .annotate(
            received=Count("id"),
            granted=Count("id", filter=granted),
            granted_nok=Sum("granted_amount_nok", filter=granted),
        )
        .order_by("call__year", "call__scheme__name")
    )
    received: dict[int, int] = defaultdict(int)
    granted_n: dict[int, int] = defaultdict(int)
    granted_nok: dict[int, Decimal] = defaultdict(lambda: ZERO)
    funding: dict[tuple[int, str], Decimal] = {}
    for r in per_year_scheme:
        y = r["call__year"]
        received[y] += r["received"]
        granted_n[y] += r["granted"]
        granted_nok[y] += r["granted_nok"] or ZERO
        funding[(y, r["call__scheme__name"])] = r["granted_nok"] or ZERO
    completed = dict(
        Project.objects.filter(state=ProjectState.CLOSED, closed_at__isnull=False)
        .annotate(closed_year=ExtractYear("closed_at"))
        .filter(closed_year__lte=year)
        .values("closed_year")
        .annotate(n=Count("id"))
        .values_list("closed_year", "n")
    )
    years = set(received) | set(completed)
    first = min(years) if years else year
    rows = []
    run_granted, run_nok, run_completed = 0, ZERO, 0
    for y in range(first, year + 1):
        run_granted += granted_n[y]
        run_nok += granted_nok[y]
        run_completed += completed.get(y, 0)
        rows.append([y, received[y], granted_n[y], granted_nok[y], completed.get(y, 0)])
        rows[-1] += [run_granted, run_nok, run_completed]
    table = Table(
        key="cumulative",
        title=_("Since %(first)s, year by year") % {"first": first},
        columns=[
            Column("year", _("Year"), "int"),
            Column("received", _("Received"), "int"),
            Column("granted", _("Granted"), "int"),
            Column("granted_nok", _("Granted (NOK)"), "money"),
            Column("completed", _("Completed"), "int"),
            Column("granted_cumulative", _("Granted, cumulative"), "int"),
            Column("granted_nok_cumulative", _("Granted (NOK), cumulative"), "money"),
            Column("completed_cumulative", _("Completed, cumulative"), "int"),
        ],
        rows=rows,
    )
    return table, first, funding


def _registries(year: int) -> Table:
    """Every registry with its region, and its stage and coverage as last assessed in or before `year`."""
    latest: dict[int, RegistryYear] = {}
    for ry in RegistryYear.objects.filter(year__lte=year).order_by("registry_id", "year"):
        latest[ry.registry_id] = ry
    regions = dict(Region.choices)
    rows = []
    for r in Registry.objects.order_by("region", "name").only("pk", "name", "short_name", "region"):
        assessed = latest.get(r.pk)
        rows.append(
            [
                r.name,
                r.short_name,
                str(regions.get(r.region, r.region)),
                assessed.year if assessed else None,
                assessed.stage if assessed else "",
                assessed.coverage_percent if assessed else None,
            ]
        )
    return Table(
        key="registries",
        title=_("Registries"),
        columns=[
            Column("registry", _("Registry")),
            Column("short_name", _("Short name")),
            Column("region", _("Region")),
            Column("assessed", _("Assessed"), "int"),
            Column("stage", _("Stage")),
            Column("coverage_percent", _("Coverage (%)"), "percent"),
        ],
        rows=rows,
    )


def summary(year: int) -> Summary:
    """The year's summary (about ten queries, whatever the number of rows)."""
    cumulative, first, funding = _cumulative(year)
    tables = [_received(year), *_grants(year), _completed(year), cumulative, _registries(year), _applications(year)]
    return Summary(year=year, first_year=first, tables=tables, funding=funding)


# ---------------------------------------------------------------- the files


def _csv_value(value: Any, kind: str) -> Any:
    if value is None:
        return ""
    if kind in ("money", "percent"):
        return f"{Decimal(value):.2f}" if kind == "money" else f"{Decimal(value):f}"
    return defuse(value) if isinstance(value, str) else value


def to_csv(table: Table) -> bytes:
    """One table: a header of column keys (stable for integrators), amounts as plain decimals ("85000.00"), text
    defused against formula injection. The totals row is left out: a CSV is data to sum, not a printed table."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_csv_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
    return buffer.getvalue().encode("utf-8")


XLSX_FORMATS = {"money": "#,##0.00", "percent": "0.0", "int": "0"}


def _sheet_title(title: str, used: set[str]) -> str:
    base = "".join("-" if ch in "[]:*?/\\" else ch for ch in title)[:31]
    name, n = base, 2
    while name.lower() in used:
        suffix = f" ({n})"
        name, n = base[: 31 - len(suffix)] + suffix, n + 1
    used.add(name.lower())
    return name


def _xlsx_value(value: Any, kind: str) -> Any:
    if value is None or value == "":
        return None
    if kind in ("money", "percent"):
        return float(value)
    return defuse(value) if isinstance(value, str) else value


def to_xlsx(result: Summary, progress: Callable[[int], None] = lambda pct: None) -> bytes:
    """One sheet per table, headed by the column labels; numbers as numbers (money with two decimals), text as text
    (defused: openpyxl would store a str starting with "=" as a formula), the totals row in bold."""
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    bold = Font(bold=True)
    for n, table in enumerate(result.tables, start=1):
        sheet = book.create_sheet(_sheet_title(table.title, used))
        sheet.append([c.label for c in table.columns])
        for cell in sheet[1]:
            cell.font = bold
        rows = [*table.rows, *([table.total] if table.total else [])]
        for row in rows:
            sheet.append([_xlsx_value(v, c.kind) for v, c in zip(row, table.columns, strict=True)])
            for i, c in enumerate(table.columns, start=1):
                if c.kind in XLSX_FORMATS:
                    sheet.cell(sheet.max_row, i).number_format = XLSX_FORMATS[c.kind]
        if table.total:
            for cell in sheet[sheet.max_row]:
                cell.font = bold
        if table.note:
            sheet.append([])
            sheet.append([defuse(table.note)])
        sheet.freeze_panes = "A2"
        for i, c in enumerate(table.columns, start=1):
            sheet.column_dimensions[sheet.cell(1, i).column_letter].width = 40 if c.kind == "text" else 16
        progress(10 + 80 * n // len(result.tables))
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def to_pdf(result: Summary, progress: Callable[[int], None] = lambda pct: None) -> bytes:
    from django.template.loader import render_to_string

    from core.pdf import PDF_STYLESHEETS, render_pdf
    from projects.selectors import chart_data_uri

    from .annual_charts import funding_chart, region_chart

    charts = [
        {"src": chart_data_uri(funding_chart(result)), "alt": _("Amount granted per year and scheme")},
        {"src": chart_data_uri(region_chart(result.table("received"))), "alt": _("Applications received and granted")},
    ]
    progress(40)
    html = render_to_string("pdf/annual_summary.html", {"summary": result, "charts": charts})
    progress(60)
    return render_pdf(html, stylesheets=PDF_STYLESHEETS)


CONTENT_TYPES = {**EXPORT_TYPES, "pdf": "application/pdf"}
FORMAT_LABELS = {"pdf": gettext_lazy("PDF"), "xlsx": gettext_lazy("Spreadsheet (XLSX)"), "csv": gettext_lazy("CSV")}


def render(result: Summary, fmt: str, table: str = "", progress: Callable[[int], None] = lambda pct: None) -> bytes:
    if fmt == "csv":
        return to_csv(result.table(table or "applications"))
    if fmt == "xlsx":
        return to_xlsx(result, progress)
    return to_pdf(result, progress)


def download_name(year: int, fmt: str, table: str = "") -> str:
    suffix = f"-{table}" if fmt == "csv" and table and table != "applications" else ""
    return f"annual-summary-{year}{suffix}.{fmt}"
