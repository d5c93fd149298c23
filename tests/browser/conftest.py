"""Playwright driving Debian's chromium (never a downloaded browser) against pytest-django's live server.

Without chromium the browser tests fail under CI (CI=true) and skip locally, saying why.
"""

import os
import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

# Debian's flags for a quiet headless chromium in a container. Playwright starts every launch with a fresh
# temporary profile (it refuses --user-data-dir in args; that is what launch_persistent_context is for).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
CSP_OR_JS_PROBLEM = re.compile(r"Content Security Policy|Refused to", re.IGNORECASE)


def chromium_executable() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in {"1", "true", "yes"}:
        pytest.fail(f"{reason} (CI=true: the browser tests must run; .ci/run installs Debian's chromium)")
    pytest.skip(f"{reason}; install it with `apt-get install chromium` to run the browser tests")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    executable = chromium_executable()
    if executable is None:
        _unavailable("Debian chromium (/usr/bin/chromium) is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover - it is pinned in requirements-dev.txt
        _unavailable("the playwright package is not installed")
    # Playwright's sync API runs an event loop in this thread; the database calls the tests make between
    # browser steps are ordinary synchronous calls, so Django's async-context guard must stand aside.
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
            yield browser
            browser.close()


@dataclass
class BrowserLog:
    """Console errors, CSP violations and uncaught exceptions seen by a page."""

    csp: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def console(self, message: object) -> None:
        text = message.text
        if CSP_OR_JS_PROBLEM.search(text):
            self.csp.append(text)
        elif message.type == "error":
            if text.startswith("htmx:sendAbort") and self.errors and self.errors[-1].startswith("htmx:afterRequest"):
                # htmx logs an aborted request as two errors. The browser aborts a request still in flight when the
                # page navigates (Save clicked while a baseline table loads): not an application error.
                self.errors.pop()
                return
            self.errors.append(text)

    def page_error(self, error: object) -> None:
        self.errors.append(str(error))


@pytest.fixture
def browser_log() -> BrowserLog:
    return BrowserLog()


def _open_page(browser: object, live_server: object, browser_log: BrowserLog, **options: object) -> Iterator[object]:
    context = browser.new_context(
        base_url=live_server.url,
        locale="en",
        viewport={"width": 1280, "height": 900},
        timezone_id="Europe/Oslo",
        **options,
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.on("console", browser_log.console)
    page.on("pageerror", browser_log.page_error)
    yield page
    context.close()


@pytest.fixture
def page(browser: object, live_server: object, browser_log: BrowserLog) -> Iterator[object]:
    """A fresh English-speaking browser context with the live server as base URL."""
    yield from _open_page(browser, live_server, browser_log)


@pytest.fixture
def axe_page(browser: object, live_server: object, browser_log: BrowserLog) -> Iterator[object]:
    """Like `page`, but the context ignores our Content-Security-Policy, and only so that axe-core can be injected
    (Playwright's add_script_tag inserts an inline script, which the strict CSP rightly refuses). Everything else
    runs under the CSP in `page`: use this one for nothing but the accessibility audit."""
    yield from _open_page(browser, live_server, browser_log, bypass_csp=True)
