"""Formula injection: text that users type (titles, a registry's names, a payment reference, an audit comment)
starting with =, +, -, @, a tab or a carriage return reaches every CSV and XLSX export neutralised: with a leading
apostrophe in the CSV, and as a string cell (never a formula) in the XLSX. The exports are the matrix's rows with a
csv or xlsx target, and the API's annual summary in both formats, all fetched as the secretariat (who sees all)."""

import csv
import io
import re
from typing import Any

import pytest
from openpyxl import load_workbook

from audit.services import record
from finance.models import Payment
from grants.models import Application, Call
from projects.models import Project
from registries.models import Registry
from tests.access.api_matrix import API_MATRIX, API_PREFIX
from tests.access.web_matrix import WEB_MATRIX
from tests.access.world import World, api_client, build_world, web_client

from .support import web_url

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
PAYLOADS = {
    "submitted": "+1+2",
    "in_review": "-1+2",
    "recommended": "@SUM(1+2)",
    "granted": "\t=1+2",
    "project": "\r=1+2",
    "call": '=HYPERLINK("https://evil.example","x")',
    "registry_short": "@evil",
    "registry_name": "-2+3",
    "reference": "+cmd|' /C calc'!A0",
    "comment": "=cmd|' /C calc'!A0",
    "comment_2": "=1+2",
}

WEB_EXPORTS = [row for row in WEB_MATRIX if row[2] in ("fmt_csv", "fmt_xlsx")]
API_EXPORTS = [
    path.replace("format=csv", f"format={fmt}")
    for _m, _route, path, _body, _s in API_MATRIX
    if "format=csv" in path
    for fmt in ("csv", "xlsx")
]


def _hostile(world: World) -> None:
    ids = world.ids
    for key in ("submitted", "in_review", "recommended", "granted"):
        Application.objects.filter(pk=ids[key]).update(title=PAYLOADS[key])
    Project.objects.filter(pk=ids["project"]).update(title=PAYLOADS["project"])
    Call.objects.filter(pk=ids["call"]).update(title=PAYLOADS["call"])
    Registry.objects.filter(pk=ids["registry_a"]).update(
        short_name=PAYLOADS["registry_short"], name=PAYLOADS["registry_name"]
    )
    Payment.objects.filter(pk=ids["payment_due"]).update(reference=PAYLOADS["reference"])
    application = Application.objects.get(pk=ids["in_review"])
    for key in ("comment", "comment_2"):
        record(application, "grants.application.comment", actor=world.users["applicant"], comment=PAYLOADS[key])


def _content(response: Any) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def _cells(content: bytes) -> list[tuple[Any, str]]:
    """(value, kind) of every cell: kind "f" for an XLSX formula, "s" for text, "n" for anything else."""
    if content.startswith(b"PK"):
        book = load_workbook(io.BytesIO(content))
        return [
            (cell.value, "f" if cell.data_type == "f" else "s" if isinstance(cell.value, str) else "n")
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if cell.value is not None
        ]
    text = content.decode("utf-8-sig")
    return [(value, "s") for row in csv.reader(io.StringIO(text, newline="")) for value in row]


def _dangerous(value: Any, kind: str) -> bool:
    if kind == "f":
        return True
    return kind == "s" and value.startswith(FORMULA_STARTS) and not NUMBER.match(value)


@pytest.mark.django_db
def test_every_export_neutralises_formulas_in_user_text():
    world = build_world()
    _hostile(world)
    web, api = web_client(world, "secretariat"), api_client(world, "secretariat")
    exports = {f"{row[0]} {row[2]}": web.get(web_url(row, world.ids)) for row in WEB_EXPORTS}
    exports |= {path: api.get(API_PREFIX + path) for path in API_EXPORTS}

    wrong, seen = [], set()
    for name, response in exports.items():
        if response.status_code != 200:
            wrong.append(f"{name}: {response.status_code}")
            continue
        cells = _cells(_content(response))
        wrong += [f"{name}: {value!r} ({kind})" for value, kind in cells if _dangerous(value, kind)]
        seen |= {value for value, kind in cells if kind == "s"}

    never_exported = [p for p in PAYLOADS.values() if "'" + p not in seen]
    assert (wrong, never_exported) == ([], [])


def test_the_exports_are_found():
    """Guard: the rows above are the product's exports (a new one with a csv/xlsx row is picked up by itself)."""
    assert ({row[0] for row in WEB_EXPORTS}, API_EXPORTS) >= (
        {"grants:application_export", "projects:project_export", "finance:payment_export"},
        ["/reports/annual?year=2026&format=csv", "/reports/annual?year=2026&format=xlsx"],
    )
