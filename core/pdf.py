"""PDF rendering with WeasyPrint that fetches nothing but data: URLs.

User text ends up in our PDFs; an <img src="file:///etc/passwd">, a stylesheet on another host or a link to an
attachment must not make the server read a file or call out. So the fetcher refuses every URL that is not data:,
follows no redirects, and remembers what it refused (for the tests and the log). Styles come from our own static
files, which `render_pdf` reads from disk and hands to the renderer: no URL is involved.
"""

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher


class DataOnlyFetcher(URLFetcher):
    def __init__(self) -> None:
        super().__init__(timeout=5, allowed_protocols={"data"}, allow_redirects=False, fail_on_errors=False)
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Any = None) -> Any:
        if not url.lower().startswith("data:"):
            self.refused.append(url)
            raise ValueError(f"Only data: URLs may be fetched, not {url[:100]}")
        return super().fetch(url, headers)


def static_text(path: str) -> str:
    """One of our own static files, read from disk (never fetched by URL)."""
    from django.contrib.staticfiles import finders

    found = finders.find(path)
    if not found:
        raise FileNotFoundError(path)
    return Path(found).read_text(encoding="utf-8")


def render_pdf(html: str, *, fetcher: DataOnlyFetcher | None = None, stylesheets: Sequence[str] = ()) -> bytes:
    """Render our own, escaped HTML to PDF bytes, styled by our static `stylesheets` (paths like "css/pdf.css")."""
    fetcher = fetcher or DataOnlyFetcher()
    css = [CSS(string=static_text(path), url_fetcher=fetcher) for path in stylesheets]
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=css)


PDF_STYLESHEETS = ("css/pdf.css",)


def render_pdf_template(
    template_name: str, context: dict[str, Any], *, fetcher: DataOnlyFetcher | None = None, language: str = ""
) -> bytes:
    """Render one of our templates (autoescaped: user text stays text) to PDF, in `language` (default: the site's).

    Documents go to the decision body and to applicants, so they are written in the site's language, not the
    language of whoever happened to trigger the worker.
    """
    from django.conf import settings
    from django.template.loader import render_to_string
    from django.utils import translation

    with translation.override(language or settings.LANGUAGE_CODE):
        html = render_to_string(template_name, context)
    return render_pdf(html, fetcher=fetcher, stylesheets=PDF_STYLESHEETS)
