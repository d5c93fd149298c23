"""The main lists' filters, search and sort, read from a GET query.

One frozen value per request; anything invalid in the query is dropped silently (a link someone edited by hand
gets the unfiltered list, never an error). The query names are a convention other pages link with: scheme (code),
call (id), year (the call's year), region, registry (id), state, q (search words), sort (a key, "-key" for
descending) and page.
"""

import io
import re
from dataclasses import dataclass, fields
from functools import reduce
from operator import or_
from typing import Any, Self
from urllib.parse import urlencode

from django.core.paginator import Page
from django.db.models import F, Q, QuerySet
from django.db.models.expressions import OrderBy
from django.http import FileResponse

from registries.enums import Region

SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,50}$")
MAX_SEARCH = 200  # characters
MAX_WORDS = 8  # every word adds an OR over the search fields; more would only slow the query
YEARS = range(2000, 2101)


@dataclass(frozen=True)
class ListSpec:
    """What one list may be filtered, searched and sorted by, as ORM paths from its model."""

    filters: dict[str, str]  # query name (scheme, call, year, region, registry, state) -> lookup path
    search: tuple[str, ...]  # text fields, each matched with icontains
    sorts: dict[str, str]  # sort key -> field path
    default_order: tuple[str | OrderBy, ...]  # ends with the pk, like every sort
    states: tuple[str, ...]


@dataclass(frozen=True)
class ListFilters:
    scheme: str = ""
    call: int | None = None
    year: int | None = None
    region: str = ""
    registry: int | None = None
    state: str = ""
    q: str = ""
    sort: str = ""

    @classmethod
    def from_query(cls, query: Any, spec: ListSpec) -> Self:
        def text(name: str) -> str:
            return str(query.get(name, "") or "").strip()

        year = _int(text("year"))
        sort = text("sort")
        return cls(
            scheme=text("scheme") if SLUG.match(text("scheme")) else "",
            call=_int(text("call")),
            year=year if year in YEARS else None,
            region=text("region") if text("region") in Region.values else "",
            registry=_int(text("registry")),
            state=text("state") if text("state") in spec.states else "",
            q=" ".join(text("q")[:MAX_SEARCH].split()),
            sort=sort if sort.removeprefix("-") in spec.sorts else "",
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        """The non-empty filters (and `changes`, such as a page or another sort) for a link."""
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {name: str(value) for name, value in values.items() if value not in ("", None)}

    def urlencode(self, **changes: Any) -> str:
        return urlencode(self.as_query(**changes))

    @property
    def words(self) -> list[str]:
        return self.q.split()[:MAX_WORDS]

    def without_search(self) -> dict[str, str]:
        """The filters without the search words (typed text stays out of the audit trail)."""
        return {k: v for k, v in self.as_query().items() if k != "q"}


def _int(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def apply(qs: QuerySet[Any], filters: ListFilters, spec: ListSpec) -> QuerySet[Any]:
    """Filter, search (every word in some field) and sort."""
    for name, path in spec.filters.items():
        value = getattr(filters, name)
        if value not in ("", None):
            qs = qs.filter(**{path: value})
    for word in filters.words:
        qs = qs.filter(reduce(or_, (Q(**{f"{path}__icontains": word}) for path in spec.search)))
    return qs.order_by(*ordering(filters.sort, spec))


def ordering(sort: str, spec: ListSpec) -> list[str | OrderBy]:
    key = sort.removeprefix("-")
    if key not in spec.sorts:
        return list(spec.default_order)
    field = F(spec.sorts[key])
    # Empty values last in both directions (SQLite and PostgreSQL disagree by default); the pk keeps pages stable.
    return [field.desc(nulls_last=True) if sort.startswith("-") else field.asc(nulls_last=True), "pk"]


@dataclass(frozen=True)
class Column:
    label: str
    key: str  # the sort key; "" for a column that is not sortable
    css: str = ""
    query: str = ""  # the link that sorts by this column (or turns its order around)
    aria_sort: str = ""  # "ascending" or "descending" on the column the list is sorted by


def columns(filters: ListFilters, spec: list[tuple[str, str, str]]) -> list[Column]:
    """The table's headers from (label, sort key, css class): each sortable one links to its sort, keeping the
    filters; a second click turns the order around."""
    out = []
    for label, key, css in spec:
        if not key:
            out.append(Column(label, key, css))
            continue
        aria = {key: "ascending", f"-{key}": "descending"}.get(filters.sort, "")
        target = f"-{key}" if filters.sort == key else key
        out.append(Column(label, key, css, filters.urlencode(sort=target), aria))
    return out


def page_links(filters: ListFilters, page: Page) -> dict[str, str]:
    """The previous and next pages' queries, keeping the filters and the sort."""
    links = {}
    if page.has_previous():
        links["previous"] = filters.urlencode(page=page.previous_page_number())
    if page.has_next():
        links["next"] = filters.urlencode(page=page.next_page_number())
    return links


def filter_options(visible: QuerySet[Any], spec: ListSpec) -> dict[str, Any]:
    """The choices of the filter form, drawn from what this user may see in this list (four queries)."""
    from grants.models import Call, Scheme
    from registries.models import Registry

    paths = spec.filters
    years = visible.order_by().values_list(paths["year"], flat=True).distinct()
    return {
        "schemes": Scheme.objects.filter(code__in=visible.values(paths["scheme"])).order_by("name"),
        "calls": Call.objects.filter(pk__in=visible.values(paths["call"])).order_by("-year", "title"),
        "years": sorted(set(years), reverse=True),
        "regions": Region.choices,
        "registries": Registry.objects.filter(pk__in=visible.values(paths["registry"])).order_by("name"),
    }


# ---------------------------------------------------------------- exports of a list

EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def export_response(content: bytes, name: str, fmt: str) -> FileResponse:
    response = FileResponse(
        io.BytesIO(content), as_attachment=True, filename=f"{name}.{fmt}", content_type=EXPORT_TYPES[fmt]
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


def record_export(user: Any, action: str, filters: ListFilters, fmt: str, rows: int) -> None:
    """Downloads are audited like document reads; on the user who exported, with the filters but not the typed
    search words (the audit trail holds no free text)."""
    from audit.services import record

    data = {"format": fmt, "rows": rows, "filters": filters.without_search(), "searched": bool(filters.q)}
    record(user, action, actor=user, data=data)
