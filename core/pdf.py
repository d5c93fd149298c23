"""PDF rendering with WeasyPrint that fetches nothing but data: URLs.

User text ends up in our PDFs; an <img src="file:///etc/passwd">, a stylesheet on another host or a link to an
attachment must not make the server read a file or call out. So the fetcher refuses every URL that is not data:,
follows no redirects, and remembers what it refused (for the tests and the log).
"""

from typing import Any

from weasyprint import HTML
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


def render_pdf(html: str, *, fetcher: DataOnlyFetcher | None = None) -> bytes:
    """Render our own, escaped HTML to PDF bytes."""
    return HTML(string=html, url_fetcher=fetcher or DataOnlyFetcher()).write_pdf()
