"""The secretariat's search of the audit trail, and its export."""

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import listing
from core.access import require_secretariat
from core.labels import STATE_LABELS, action_label
from finance.exports import table_bytes

from . import exports, selectors
from .services import record

PAGE_SIZE = 50


@login_required
@require_GET
def search(request: HttpRequest) -> HttpResponse:
    require_secretariat(request.user)
    filters = selectors.AuditFilters.from_query(request.GET)
    page = Paginator(selectors.entries(filters), PAGE_SIZE).get_page(request.GET.get("page"))
    entries = list(page.object_list)
    links = selectors.object_links(entries, request.user)
    rows = [
        {
            "entry": e,
            "label": action_label(e.action),
            "source": STATE_LABELS.get(e.source, e.source),
            "target": STATE_LABELS.get(e.target, e.target),
            "link": links.get((e.content_type_id, e.object_id), ""),
        }
        for e in entries
    ]
    pages = {}
    if page.has_previous():
        pages["previous"] = filters.urlencode(page=page.previous_page_number())
    if page.has_next():
        pages["next"] = filters.urlencode(page=page.next_page_number())
    ctx = {
        "page": page,
        "rows": rows,
        "pages": pages,
        "filters": filters,
        "query": filters.urlencode(),
        "object_types": selectors.object_types(),
    }
    return render(request, "audit/search.html", ctx)


@login_required
@require_GET
def export(request: HttpRequest, fmt: str) -> FileResponse:
    """Every entry that matches the filters (all pages); the export itself is a read, so it is in the trail too."""
    require_secretariat(request.user)
    if fmt not in listing.EXPORT_TYPES:
        raise Http404
    filters = selectors.AuditFilters.from_query(request.GET)
    table = exports.rows(selectors.entries(filters).iterator(chunk_size=2000))
    data = {"format": fmt, "rows": len(table)} | filters.for_the_trail()
    user = request.user  # logged in: login_required
    record(user, "audit.auditentry.export", actor=user, data=data)  # type: ignore[arg-type]
    content = table_bytes(fmt, _("Audit trail"), exports.header(), table)
    return listing.export_response(content, "audit-trail", fmt)
