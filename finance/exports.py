"""Lists for the accounts as CSV or XLSX (the payments here; applications and projects reuse the table writers):
typed cells, and no text that a spreadsheet would run."""

import csv
import io
from collections.abc import Iterable
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from .models import Payment

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(text: str) -> str:
    """A cell starting with = + - @ (or a tab or CR) would be run as a formula by spreadsheet programs."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def headers() -> list[str]:
    return [
        _("Payment"),
        _("Project"),
        _("Registry"),
        _("Scheme"),
        _("Year"),
        _("Trigger"),
        _("State"),
        _("Amount (NOK)"),
        _("Due date"),
        _("Payment date"),
        _("Payment reference"),
    ]


def rows(payments: Iterable[Payment]) -> list[list[Any]]:
    """Typed values: ids and years as int, amounts as Decimal, dates as date; text defused."""
    out = []
    for p in payments:
        project = p.project
        out.append(
            [
                p.pk,
                defuse(project.title),
                defuse(project.registry.short_name),
                defuse(project.application.call.scheme.code),
                project.application.call.year,
                p.trigger,
                p.state,
                p.amount_nok,
                p.due_on,
                p.paid_on,
                defuse(p.reference),
            ]
        )
    return out


def as_csv(payments: Iterable[Payment]) -> bytes:
    return table_csv(headers(), rows(payments))


def as_xlsx(payments: Iterable[Payment]) -> bytes:
    return table_xlsx(_("Payments"), headers(), rows(payments))


# ---------------------------------------------------------------- any list as a typed table


def csv_cell(value: Any) -> Any:
    """Amounts as plain decimal strings ("85000.00"), dates in ISO 8601, times in local time, nothing as empty."""
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    return value


def table_csv(header: list[str], table: Iterable[list[Any]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows([csv_cell(v) for v in row] for row in table)
    return buffer.getvalue().encode("utf-8")


def table_xlsx(title: str, header: list[str], table: Iterable[list[Any]]) -> bytes:
    """Typed cells: numbers as numbers with a thousands format, dates as dates, times as local times."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for row in table:
        # openpyxl refuses aware datetimes: the spreadsheet gets the local wall-clock time.
        values = [timezone.localtime(v).replace(tzinfo=None) if isinstance(v, datetime) else v for v in row]
        sheet.append(values)
        for column, value in enumerate(values, start=1):
            if value.__class__ in XLSX_FORMATS:
                sheet.cell(sheet.max_row, column).number_format = XLSX_FORMATS[value.__class__]
    # Text cells are stored as text (never parsed as formulas): openpyxl writes a str starting with "=" as a
    # formula, so defuse() has already given those a leading apostrophe.
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


XLSX_FORMATS = {Decimal: "#,##0.00", date: "yyyy-mm-dd", datetime: "yyyy-mm-dd hh:mm"}


def table_bytes(fmt: str, title: str, header: list[str], table: list[list[Any]]) -> bytes:
    """The table as "csv" or "xlsx"."""
    return table_csv(header, table) if fmt == "csv" else table_xlsx(title, header, table)
