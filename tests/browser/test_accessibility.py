"""Accessibility in a real browser: axe-core (WCAG 2.1 A and AA rules) on every main page for every role, and at
phone width no sideways scrolling and a visible keyboard focus.

axe-core is vendored in tests/browser/vendor (MPL-2.0, its licence beside it); it never ships to users.
"""

import os
from pathlib import Path

import pytest
from allauth.account.models import EmailAddress
from django.urls import reverse

from tests.access.world import World, build_world
from tests.browser.test_application_flow import log_in

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
BLOCKING = ("serious", "critical")
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}

# Pages everyone who is logged in sees: (URL name, the world's id that fills it or "", expected status).
COMMON = [
    ("dashboard", "", 200),
    ("grants:call_list", "", 200),
    ("grants:call_detail", "call", 200),
    ("grants:scheme_list", "", 200),
    ("grants:application_list", "", 200),
    ("projects:project_list", "", 200),
    ("registries:registry_list", "", 200),
    ("registries:registry_detail", "registry_a", 200),
    ("accounts:tokens", "", 200),
]
# Per role (the access matrix's world: tests/access/world.py): its own pages, including the 403 and 404 pages.
PAGES = {
    "anonymous": [("account_login", "", 200)],
    "applicant": [
        *COMMON,
        ("grants:application_new", "call", 200),
        ("grants:application_detail", "draft", 200),
        ("grants:application_edit", "draft", 200),
        ("grants:application_detail", "granted", 200),
        ("projects:project_detail", "project", 200),
        ("projects:final_report_edit", "project", 200),
        ("mfa_index", "", 200),
        ("registries:import_list", "", 200),
        ("registries:import_new", "", 200),
        ("registries:import_detail", "indicator_import", 200),
        ("accounts:user_list", "", 403),
        ("grants:application_detail", "missing", 404),
    ],
    "secretariat": [
        *COMMON,
        ("grants:call_create", "", 200),
        ("grants:call_edit", "call", 200),
        ("grants:scheme_create", "", 200),
        ("grants:scheme_edit", "scheme", 200),
        ("grants:application_detail", "submitted", 200),
        ("grants:application_detail", "in_review", 200),
        ("reviews:ranking", "call", 200),
        ("reviews:call_review", "call", 200),
        ("reviews:group_list", "", 200),
        ("reviews:group_detail", "scheme", 200),
        ("recommendations:detail", "call", 200),
        ("decisions:meeting", "call", 200),
        ("decisions:meeting_detail", "decision_meeting", 200),
        ("grants:application_detail", "granted", 200),
        ("projects:project_detail", "project", 200),
        ("accounts:user_list", "", 200),
        ("accounts:user_create", "", 200),
        ("accounts:user_edit", "user_applicant", 200),
        ("registries:import_list", "", 200),
        ("registries:import_new", "", 200),
    ],
    "reviewer": [
        *COMMON,
        ("grants:application_detail", "in_review", 200),
        ("reviews:ranking", "call", 200),
        ("recommendations:detail", "call", 200),
    ],
    "decider": [
        *COMMON,
        ("grants:application_detail", "recommended", 200),
        ("reviews:ranking", "call", 403),
        ("recommendations:detail", "call", 200),
        ("decisions:meeting", "call", 200),
        ("projects:project_detail", "project", 404),
    ],
}
ROLES = list(PAGES)


@pytest.fixture
def world(live_server) -> World:
    world = build_world()
    world.ids["missing"] = 0
    for user in world.users.values():
        if user is not None:
            EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return world


def urls_for(world: World, role: str) -> list[tuple[str, int]]:
    return [(reverse(name, args=[world.ids[target]] if target else []), status) for name, target, status in PAGES[role]]


def visit(page, url: str, status: int) -> None:
    response = page.goto(url)
    assert (url, response.status) == (url, status)


def expected_console_errors(world: World, role: str) -> list[str]:
    """Chromium logs every 403 and 404 response as a console error: exactly the error pages we visit on purpose."""
    reasons = {403: "403 (Forbidden)", 404: "404 (Not Found)"}
    return [
        f"Failed to load resource: the server responded with a status of {reasons[status]}"
        for _url, status in urls_for(world, role)
        if status in reasons
    ]


def screenshot(page, role: str, url: str, width: int) -> None:
    """With SCREENSHOT_DIR set, keep a full-page screenshot to look at."""
    if os.environ.get("SCREENSHOT_DIR"):
        shots = Path(os.environ["SCREENSHOT_DIR"])
        shots.mkdir(parents=True, exist_ok=True)
        name = url.strip("/").replace("/", "_") or "dashboard"
        page.screenshot(path=str(shots / f"{role}-{name}-{width}.png"), full_page=True)


def blocking_violations(page) -> list[str]:
    """Serious and critical WCAG 2.1 A/AA violations on the page as it is now, one readable line each."""
    result = page.evaluate(
        "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})", WCAG_TAGS
    )
    return [
        f"{v['id']} ({v['impact']}): {v['help']}; at {', '.join(' '.join(node['target']) for node in v['nodes'])}"
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]


@pytest.mark.parametrize("role", ROLES)
def test_every_page_has_no_serious_wcag_violation(axe_page, world, role, browser_log):
    # Arrange
    if role != "anonymous":
        log_in(axe_page, world.users[role].email)

    # Act: audit each page on a desktop and again, without reloading, on a phone (tables scroll there).
    found = []
    for url, status in urls_for(world, role):
        axe_page.set_viewport_size(DESKTOP)
        visit(axe_page, url, status)
        axe_page.add_script_tag(path=str(AXE))
        for viewport in (DESKTOP, PHONE):
            axe_page.set_viewport_size(viewport)
            found += [f"{role} {url} at {viewport['width']} px: {line}" for line in blocking_violations(axe_page)]
        axe_page.set_viewport_size(DESKTOP)
        screenshot(axe_page, role, url, DESKTOP["width"])

    # Assert
    assert found == [], "axe-core found:\n" + "\n".join(found)
    assert browser_log.errors == expected_console_errors(world, role)


FOCUS = """() => {
  const el = document.activeElement, style = getComputedStyle(el), box = el.getBoundingClientRect();
  return {tag: el.tagName.toLowerCase(), outline: style.outlineStyle, width: style.outlineWidth,
          inView: box.width > 0 && box.left >= 0 && box.right <= innerWidth && box.top >= 0};
}"""


@pytest.mark.parametrize("role", ROLES)
def test_every_page_fits_a_phone_and_shows_the_keyboard_focus(page, world, role, browser_log):
    # Arrange
    if role != "anonymous":
        log_in(page, world.users[role].email)
    page.set_viewport_size(PHONE)

    # Act: load each page, measure its width, press Tab once and look at what has the focus.
    too_wide, unfocused = [], []
    for url, status in urls_for(world, role):
        visit(page, url, status)
        width = page.evaluate("document.documentElement.scrollWidth")
        if width > PHONE["width"]:
            too_wide.append(f"{url}: {width} px")
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS)
        if focus["tag"] not in ("a", "button") or focus["outline"] == "none" or focus["width"] == "0px":
            unfocused.append(f"{url}: {focus}")
        elif not focus["inView"]:
            unfocused.append(f"{url}: the focused {focus['tag']} is off screen")
        screenshot(page, role, url, PHONE["width"])

    # Assert
    assert (too_wide, unfocused) == ([], []), f"wider than the phone: {too_wide}; focus not shown: {unfocused}"
    assert browser_log.csp == []
    assert browser_log.errors == expected_console_errors(world, role)
