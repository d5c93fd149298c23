"""End to end in a real browser: a registry member uploads a small CSV (htmx posts it, with the upload's progress bar)
and reads the validation report; then a good file, which is imported."""

import pytest
from playwright.sync_api import Page, expect

from registries.models import IndicatorImport, IndicatorValue
from tests.browser.test_application_flow import log_in, verified
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory, member_of

pytestmark = pytest.mark.browser

HOSPITAL = 974000001
EVENTS = '"year";"orgnr";"var";"ind_id"\n'


@pytest.fixture
def member(live_server):
    registry = RegistryFactory(name="Norsk nakke- og ryggregister", short_name="NNRR")
    OrganisationFactory(orgnr=HOSPITAL, name="Sykehuset")
    IndicatorFactory(registry=registry, id="nakke1")
    IndicatorFactory(registry=RegistryFactory(), id="annet1")
    return verified(member_of(registry, email="medlem@example.no"))


def upload(page: Page, name: str, text: str) -> None:
    page.locator("header.site nav").get_by_role("link", name="Imports").click()
    page.get_by_role("link", name="Import a file").click()
    expect(page.locator("#id_registry option:checked")).to_have_text("NNRR")
    page.locator("#id_file").set_input_files({"name": name, "mimeType": "text/csv", "buffer": text.encode()})
    page.get_by_role("button", name="Upload and import").click()


def test_a_member_uploads_a_csv_and_reads_the_report(page, member, browser_log):
    # Arrange
    log_in(page, member.email)

    # Act 0: a file of the wrong type is refused on the form, which htmx swaps in place.
    upload(page, "notater.txt", "hei")

    # Assert
    expect(page.locator("#id_file_error")).to_have_text("The file must be a .csv or .xlsx file, not “.txt”.")
    assert IndicatorImport.objects.count() == 0

    # Act 1: a file with another registry's indicator.
    upload(page, "verdier.csv", EVENTS + f'2020;{HOSPITAL};1;"nakke1"\n2020;{HOSPITAL};1;"annet1"\n')

    # Assert: the import's page, with every problem by line, and nothing stored.
    expect(page.locator("h1")).to_have_text("Import of verdier.csv")
    report = page.locator("#import-status")
    expect(report.locator("h2 .badge")).to_have_text("Refused")
    expect(report.locator("tbody td")).to_have_text(
        ["verdier.csv", "3", "indicator “annet1” belongs to another registry (1 rows)"]
    )
    assert IndicatorValue.objects.count() == 0

    # Act 2: the corrected file.
    upload(page, "riktige.csv", EVENTS + f'2020;{HOSPITAL};1;"nakke1"\n2020;{HOSPITAL};0;"nakke1"\n')

    # Assert: imported, with the per-file summary.
    expect(page.locator("h1")).to_have_text("Import of riktige.csv")
    expect(report.locator("h2 .badge")).to_have_text("Imported")
    expect(report.locator("tbody td")).to_have_text(["riktige.csv", "Event rows", "2", "1", "0", "0", "–"])
    assert list(IndicatorImport.objects.order_by("pk").values_list("original_name", "state")) == [
        ("verdier.csv", "refused"),
        ("riktige.csv", "imported"),
    ]
    assert list(IndicatorValue.objects.values_list("indicator_id", "organisation_id", "year")) == [
        ("nakke1", HOSPITAL, 2020)
    ]
    assert (browser_log.csp, browser_log.errors) == ([], [])
