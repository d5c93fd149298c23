"""End to end in a real browser: an applicant drafts and submits, the secretariat sends the application to review."""

import os
import re
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from playwright.sync_api import Page, expect

from grants.models import Application
from grants.services import submit_application
from tests.factories import ApplicationFactory, CallFactory, IndicatorFactory, RegistryFactory, UserFactory, member_of

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"  # the factories' password


def verified(user):
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def world(live_server):
    registry = RegistryFactory(name="Norsk nakke- og ryggregister", short_name="NNRR")
    indicator = IndicatorFactory(registry=registry, id="nakke1", title="Bedring etter operasjon")
    call = CallFactory(title="Datakvalitet 2027")
    applicant = verified(member_of(registry, email="soker@example.no", full_name="Siri Søker"))
    secretariat = verified(UserFactory(email="sekretariat@example.no", full_name="Sam Sekretær", is_secretariat=True))
    return {
        "registry": registry,
        "indicator": indicator,
        "call": call,
        "applicant": applicant,
        "secretariat": secretariat,
    }


def log_in(page: Page, email: str) -> None:
    page.goto("/accounts/login/")
    form = page.locator("form[action='/accounts/login/']")
    form.locator("input[name=login]").fill(email)
    form.locator("input[name=password]").fill(PASSWORD)
    form.locator("[type=submit]").click()
    expect(page.locator("footer.site")).to_contain_text(f"Logged in as {email}")


def log_out(page: Page) -> None:
    page.locator("header.site").get_by_role("button", name="Log out").click()
    expect(page.locator("form[action='/accounts/login/']")).to_be_visible()


def fire_action(page: Page, name: str, label: str) -> None:
    """Open the action's <details> on the application page and press its button."""
    action = page.locator(f"details.action:has(button[name=action][value={name}])")
    action.locator("summary").click()
    action.get_by_role("button", name=label, exact=True).click()


def create_draft(page: Page, call_title: str, title: str) -> None:
    page.goto("/")
    page.get_by_role("link", name=call_title).click()
    page.get_by_role("link", name="Start an application").click()
    expect(page.locator("#id_registry option:checked")).to_have_text("NNRR")
    page.locator("#id_title").fill(title)
    page.get_by_role("button", name="Create the draft").click()
    expect(page.locator("#autosave-status")).to_have_text("This draft saves itself as you type.")


def fill_application(page: Page, indicator_id: str) -> None:
    page.locator("#id_summary").fill("Vi skal øke dekningsgraden ved å koble mot Norsk pasientregister.")
    page.locator("#id_aims").fill("Dekningsgrad over 80 % innen 2028.")
    page.locator("#id_requested_amount_nok").fill("95000")
    page.locator("#id_start_date").fill("2027-01-01")
    page.locator("#id_end_date").fill("2027-12-31")
    page.get_by_role("button", name="Add a budget line").click()
    page.locator("#id_budget-0-category").select_option("salary")
    page.locator("#id_budget-0-year").fill("2027")
    page.locator("#id_budget-0-amount_nok").fill("80000")
    page.locator("#id_budget-0-description").fill("Registerkoordinator 20 %")
    page.get_by_role("button", name="Add a budget line").click()
    page.locator("#id_budget-1-category").select_option("travel")
    page.locator("#id_budget-1-year").fill("2027")
    page.locator("#id_budget-1-amount_nok").fill("15000")
    page.get_by_role("button", name="Add a milestone").click()
    page.locator("#id_milestones-0-title").fill("Koblingen er godkjent")
    page.locator("#id_milestones-0-due_date").fill("2027-06-30")
    page.get_by_role("button", name="Add an indicator").click()
    page.locator("#id_indicators-0-indicator").select_option(indicator_id)
    page.locator("#id_indicators-0-baseline_value").fill("0.22")
    page.locator("#id_indicators-0-baseline_year").fill("2025")
    page.locator("#id_indicators-0-target_value").fill("0.15")
    page.locator("#id_indicators-0-target_date").fill("2027-12-31")


def test_applicant_submits_and_secretariat_sends_to_review(page, world, browser_log):
    # Arrange: the world fixture (an open call, a registry with one indicator, an applicant, the secretariat).

    # Act 1: the applicant drafts through the real forms.
    log_in(page, "soker@example.no")
    create_draft(page, "Datakvalitet 2027", "Bedre dekningsgrad i NNRR")
    fill_application(page, "nakke1")
    page.get_by_role("button", name="Save", exact=True).click()

    # Assert: saved, and the added rows came back from the server.
    expect(page.locator("ul.messages")).to_contain_text("Saved.")
    expect(page.locator("#id_budget-1-amount_nok")).to_have_value("15000.00")
    expect(page.locator("#id_milestones-0-title")).to_have_value("Koblingen er godkjent")
    expect(page.locator("#id_indicators-0-indicator")).to_have_value("nakke1")

    # Act 2: submit from the application page.
    page.get_by_role("link", name="View the application").click()
    expect(page.locator("#actions")).not_to_contain_text("Before you can submit")
    fire_action(page, "submit", "Submit")

    # Assert: state badge, timeline entry, and the database agrees.
    expect(page.locator("ul.messages")).to_contain_text("Done: Submit.")
    expect(page.locator("h1 .badge")).to_have_text("Submitted")
    entry = page.locator("ol.timeline li").filter(has_text="Submit").last
    expect(entry).to_contain_text("Siri Søker")
    expect(entry.locator(".badge")).to_have_text(["Draft", "Submitted"])
    application = Application.objects.get(title="Bedre dekningsgrad i NNRR")
    assert application.state == "submitted"
    assert [(b.category, str(b.amount_nok)) for b in application.budget_lines.order_by("amount_nok")] == [
        ("travel", "15000.00"),
        ("salary", "80000.00"),
    ]
    assert list(application.indicators.values_list("indicator_id", flat=True)) == ["nakke1"]

    # Act 3: the secretariat finds it on the dashboard and sends it to the expert group.
    log_out(page)
    log_in(page, "sekretariat@example.no")
    page.locator("section.card", has_text="Waiting for screening").get_by_role(
        "link", name="Bedre dekningsgrad i NNRR"
    ).click()
    fire_action(page, "send_to_review", "Send to expert review")

    # Assert
    expect(page.locator("ul.messages")).to_contain_text("Done: Send to expert review.")
    expect(page.locator("h1 .badge")).to_have_text("In review")
    entry = page.locator("ol.timeline li").filter(has_text="Send to expert review").last
    expect(entry).to_contain_text("Sam Sekretær")
    expect(entry.locator(".badge")).to_have_text(["Submitted", "In review"])
    application.refresh_from_db()
    assert application.state == "in_review"
    assert browser_log.csp == []
    assert browser_log.errors == []


def test_draft_saves_itself_while_the_applicant_types(page, world, browser_log):
    # Arrange
    log_in(page, "soker@example.no")
    create_draft(page, "Datakvalitet 2027", "Autolagret søknad")
    status = page.locator("#autosave-status")

    # Act: type, do not press Save.
    page.locator("#id_summary").press_sequentially("Tekst som ikke må gå tapt.")

    # Assert: the status says saved, and after a reload the text is still there.
    expect(status).to_have_text(re.compile(r"^Saved \d\d:\d\d:\d\d\s*$"), timeout=10_000)
    page.reload()
    expect(page.locator("#id_summary")).to_have_value("Tekst som ikke må gå tapt.")
    assert Application.objects.get(title="Autolagret søknad").summary == "Tekst som ikke må gå tapt."
    assert browser_log.csp == []
    assert browser_log.errors == []


def test_application_pages_fit_a_phone_screen(page, world, browser_log):
    # Arrange: a draft with its rows, and a submitted application with a history, seen by their applicant.
    draft = ApplicationFactory(call=world["call"], registry=world["registry"], title="Et utkast med rader")
    submitted = ApplicationFactory(
        call=world["call"], registry=world["registry"], title="En søknad med en ganske lang tittel om dekningsgrad"
    )
    submit_application(submitted, by=world["applicant"], comment="Sendt inn før fristen.")
    log_in(page, "soker@example.no")
    shots = Path(os.environ["SCREENSHOT_DIR"]) if os.environ.get("SCREENSHOT_DIR") else None

    # Act
    widths = {}
    for width in (390, 1280):
        page.set_viewport_size({"width": width, "height": 900})
        for name, url in (
            ("edit", f"/applications/{draft.pk}/edit/"),
            ("application", f"/applications/{submitted.pk}/"),
        ):
            page.goto(url)
            expect(page.locator("h1")).to_be_visible()
            widths[(name, width)] = page.evaluate("document.documentElement.scrollWidth")
            if shots:
                shots.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(shots / f"{name}-{width}.png"), full_page=True)

    # Assert: nothing forces sideways scrolling.
    assert widths == {("edit", 390): 390, ("application", 390): 390, ("edit", 1280): 1280, ("application", 1280): 1280}
    assert browser_log.csp == []
    assert browser_log.errors == []


def test_api_docs_render_from_our_own_static_files(page, browser_log):
    # Arrange: nothing; the documentation is public, like the OpenAPI document it renders.

    # Act
    page.goto("/api/v1/docs")

    # Assert: Swagger UI ran (no CDN: the strict CSP allows only our own scripts) and lists the API.
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Registry Grants API")
    expect(page.locator(".opblock-summary-path", has_text="/api/v1/applications").first).to_be_visible()
    assert browser_log.csp == []
    assert browser_log.errors == []
