"""The annual summary (CSV, XLSX, PDF) and the PDF renderer that fetches nothing but data: URLs."""

import io
from decimal import Decimal

import openpyxl
import pytest

from core.pdf import DataOnlyFetcher, render_pdf
from tests.factories import ApplicationFactory, CallFactory, RegistryFactory, SchemeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def year_2026():
    call = CallFactory(scheme=SchemeFactory(name="Datakvalitet"), title="Datakvalitet 2026", year=2026)
    ApplicationFactory(
        call=call,
        registry=RegistryFactory(short_name="NKR"),
        title="Bedre dekningsgrad",
        state="granted",
        granted_amount_nok=Decimal("85000"),
    )
    ApplicationFactory(
        call=call,
        registry=RegistryFactory(short_name="NGER"),
        title='=HYPERLINK("x")',
        state="submitted",
        requested_amount_nok=Decimal("92300.5"),
    )
    ApplicationFactory(call=call, state="draft")  # a draft is not handed in: not in the summary
    ApplicationFactory(call=CallFactory(year=2025), state="submitted")  # another year


def test_the_annual_summary_as_csv_has_one_row_per_application_of_the_years_calls(api, year_2026):
    response = api(UserFactory(is_secretariat=True)).get("/reports/annual", year=2026, format="csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="annual-summary-2026.csv"'
    assert response.content.decode().splitlines() == [
        "scheme,call,registry,title,state,requested_amount_nok,granted_amount_nok",
        'Datakvalitet,Datakvalitet 2026,NGER,"\'=HYPERLINK(""x"")",submitted,92300.50,',
        "Datakvalitet,Datakvalitet 2026,NKR,Bedre dekningsgrad,granted,90000.00,85000.00",
    ]


def test_the_annual_summary_as_xlsx_has_amounts_as_numbers_and_no_formulas(api, year_2026):
    # One sheet per table (issue 6); the applications sheet holds the rows the CSV holds, under readable headers.
    response = api(UserFactory(is_secretariat=True)).get("/reports/annual", year=2026, format="xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content))["Applications"]
    assert [[c.value for c in r] for r in sheet.iter_rows()] == [
        ["Scheme", "Call", "Registry", "Title", "State", "Requested (NOK)", "Granted (NOK)"],
        ["Datakvalitet", "Datakvalitet 2026", "NGER", '\'=HYPERLINK("x")', "submitted", 92300.5, None],
        ["Datakvalitet", "Datakvalitet 2026", "NKR", "Bedre dekningsgrad", "granted", 90000, 85000],
    ]
    assert sheet["D2"].data_type == "s"


def test_the_annual_summary_csv_gives_the_table_asked_for(api, year_2026):
    response = api(UserFactory(is_secretariat=True)).get("/reports/annual", year=2026, format="csv", table="received")

    assert response["Content-Disposition"] == 'attachment; filename="annual-summary-2026-received.csv"'
    assert response.content.decode().splitlines() == [
        "scheme,region,received,granted,requested_nok,granted_nok",
        "Datakvalitet,Northern Norway,2,1,182300.50,85000.00",
    ]


def test_an_unknown_table_is_refused_naming_the_field(api, year_2026):
    response = api(UserFactory(is_secretariat=True)).get("/reports/annual", year=2026, format="csv", table="nope")

    assert (response.status_code, response["Content-Type"]) == (400, "application/problem+json")
    assert response.json()["errors"] == {"table": ["There is no table 'nope' in the summary of 2026."]}


def test_asking_twice_serves_the_kept_file(api, year_2026):
    from finance.models import AnnualSummaryFile

    client = api(UserFactory(is_secretariat=True))
    first = client.get("/reports/annual", year=2026, format="pdf")
    second = client.get("/reports/annual", year=2026, format="pdf")

    assert first.content == second.content
    assert AnnualSummaryFile.objects.filter(status="done").count() == 1


def test_the_annual_summary_as_pdf_is_a_pdf(api, year_2026):
    response = api(UserFactory(is_secretariat=True)).get("/reports/annual", year=2026, format="pdf")

    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")


def test_the_pdf_renderer_fetches_no_file_no_external_url_and_no_attachment():
    fetcher = DataOnlyFetcher()
    html = (
        '<img src="file:///etc/passwd"><link rel="stylesheet" href="https://example.com/x.css">'
        '<img src="/media/attachments/secret.pdf">'
        '<img src="data:image/gif;base64,R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7">'
    )

    pdf = render_pdf(html, fetcher=fetcher)

    assert pdf.startswith(b"%PDF-")
    assert sorted(fetcher.refused) == ["file:///etc/passwd", "https://example.com/x.css"]
