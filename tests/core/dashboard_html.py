"""Read the dashboard's tables back from its HTML: caption → rows of cells, each cell its text, followed by
" <href>" when it is a link (the href unescaped, as a browser follows it)."""

import re
from html.parser import HTMLParser


class _Tables(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self._caption: list[str] | None = None
        self._rows: list[list[str]] | None = None
        self._cell: list[str] | None = None
        self._href: str | None = None

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self._rows = []
        elif tag == "caption":
            self._caption = []
        elif tag == "tr" and self._rows is not None:
            self._rows.append([])
        elif tag in ("td", "th") and self._rows:
            self._cell, self._href = [], None
        elif tag == "a" and self._cell is not None:
            self._href = dict(attrs).get("href")

    def handle_endtag(self, tag):
        if tag == "caption" and self._caption is not None:
            self._name = " ".join("".join(self._caption).split())
            self._caption = None
        elif tag in ("td", "th") and self._cell is not None and self._rows:
            text = " ".join("".join(self._cell).split())
            self._rows[-1].append(f"{text} <{self._href}>" if self._href else text)
            self._cell = None
        elif tag == "table" and self._rows is not None:
            self.tables[getattr(self, "_name", "")] = self._rows
            self._rows, self._name = None, ""

    def handle_data(self, data):
        if self._caption is not None:
            self._caption.append(data)
        elif self._cell is not None:
            self._cell.append(data)


def tables(html: str) -> dict[str, list[list[str]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def captions(html: str) -> list[str]:
    return [" ".join(c.split()) for c in re.findall(r"<caption[^>]*>(.*?)</caption>", html, re.S)]
