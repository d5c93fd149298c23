"""The annual summary of 2021 on the demo data: the data-quality grants table of the source report (four grants,
362 300 NOK) in every format, parsed; and the quality-improvement grants of 2021 without amounts."""

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import transaction
from pypdf import PdfReader

from finance import annual, annual_files
from registries.demo import load_demo

pytestmark = pytest.mark.django_db

# The report's table "Tildelte midler til datakvalitetsprosjekter 2021", ordered by registry name as the summary
# orders it (the two KvaRus grants in the order the report lists them).
KVARUS = "Kvalitetsregister for behandling av skadelig bruk eller avhengighet av rusmidler"  # the registry's name
DQ_2021 = [
    (KVARUS, Decimal("90000.00")),
    (KVARUS, Decimal("95000.00")),
    ("Nasjonalt korsbåndregister", Decimal("92300.00")),
    ("Norsk hjerteinfarktregister", Decimal("85000.00")),
]
TOTAL = Decimal("362300.00")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(with_users=False, say=lambda text: None)
        transaction.set_rollback(True)


def test_the_2021_data_quality_grants_match_the_report(demo):
    table = annual.summary(2021).table("grants-data_quality")

    assert [(r[0], r[3]) for r in table.rows] == DQ_2021
    assert table.total[3] == TOTAL
    assert table.note == ""


def test_the_2021_quality_improvement_grants_are_counted_without_amounts(demo):
    result = annual.summary(2021)
    qi = result.table("grants-quality_improvement")

    assert (len(qi.rows), [r[3] for r in qi.rows], qi.total[3]) == (4, [None] * 4, Decimal("0.00"))
    assert qi.note == "The amount is not stated for 4 of these grants; they are counted but not added."
    received = {(r[0], r[1]): r[2:] for r in result.table("received").rows}
    assert sum(v[1] for v in received.values()) == 8
    assert result.table("received").total[5] == TOTAL


def test_the_2021_figures_in_the_csv(demo):
    made = annual_files.file_now(2021, "csv", "grants-data_quality")

    rows = list(csv.DictReader(io.StringIO(made.file.open("rb").read().decode())))
    assert [(r["registry"], Decimal(r["amount_nok"])) for r in rows] == DQ_2021
    assert sum(Decimal(r["amount_nok"]) for r in rows) == TOTAL


def test_the_2021_figures_in_the_xlsx(demo):
    made = annual_files.file_now(2021, "xlsx")

    sheet = openpyxl.load_workbook(made.file.open("rb"))["Grants- Datakvalitet"]
    values = [[c.value for c in row] for row in sheet.iter_rows(min_row=2)]
    assert [(v[0], Decimal(str(v[3]))) for v in values[:-1]] == DQ_2021
    assert (values[-1][0], values[-1][3]) == ("Total", 362300)
    assert all(sheet.cell(r, 4).number_format == "#,##0.00" for r in range(2, 7))


def test_the_2021_figures_in_the_pdf(demo):
    made = annual_files.file_now(2021, "pdf")

    text = " ".join(" ".join(p.extract_text().split()) for p in PdfReader(made.file.open("rb")).pages)
    assert "Grants: Datakvalitet" in text
    for registry, amount in DQ_2021:
        assert registry in text
        assert f"{amount:,.2f}" in text
    assert "Total 362,300.00" in text
