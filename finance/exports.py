"""The payment list for the accounts as CSV or XLSX: typed cells, and no text that a spreadsheet would run."""

import csv
import io
from collections.abc import Iterable
from typing import Any

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
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(headers())
    for row in rows(payments):
        writer.writerow(
            "" if v is None else (f"{v:.2f}" if i == 7 else (v.isoformat() if i in (8, 9) else v))
            for i, v in enumerate(row)
        )
    return buffer.getvalue().encode("utf-8")


def as_xlsx(payments: Iterable[Payment]) -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = _("Payments")[:31]
    sheet.append(headers())
    for row in rows(payments):
        sheet.append(row)
        last = sheet.max_row
        sheet.cell(last, 8).number_format = "#,##0.00"
        for column in (9, 10):
            sheet.cell(last, column).number_format = "yyyy-mm-dd"
    # Text cells are stored as text (never parsed as formulas): openpyxl writes a str starting with "=" as a
    # formula, so defuse() above has already given those a leading apostrophe.
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
