"""The annual summary on the web (secretariat): the year's tables on a page, and its files made in the worker with a
progress bar, kept until the figures change."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from audit.services import record
from core.access import require_secretariat
from grants.models import Call

from . import annual, annual_files
from .models import AnnualSummaryFile

Status = AnnualSummaryFile.Status


def _years() -> list[int]:
    years = set(Call.objects.values_list("year", flat=True).distinct())
    return sorted(years | {timezone.localdate().year}, reverse=True)


def _year(value: str | None, years: list[int]) -> int:
    """The asked-for year when it is a year with calls (or this year), else the latest year with calls."""
    if value and value.isdigit() and int(value) in years:
        return int(value)
    return years[0]


@login_required
@require_GET
def annual_summary(request: HttpRequest) -> HttpResponse:
    require_secretariat(request.user)
    years = _years()
    year = _year(request.GET.get("year"), years)
    result = annual.summary(year)
    ctx = {
        "summary": result,
        "year": year,
        "years": years,
        "formats": annual.FORMAT_LABELS,
        "csv_tables": [(t.key, t.title) for t in result.tables],
        "kept": AnnualSummaryFile.objects.filter(year=year, status=Status.DONE).order_by("format", "table"),
    }
    return render(request, "finance/annual_summary.html", ctx)


@login_required
@require_POST
def annual_summary_request(request: HttpRequest) -> HttpResponse:
    """Ask for a file: the kept one when the figures are unchanged, else a new one from the worker."""
    require_secretariat(request.user)
    years = _years()
    year = _year(request.POST.get("year"), years)
    fmt, table = request.POST.get("format", ""), request.POST.get("table", "")
    back = f"{reverse('finance:annual_summary')}?year={year}"
    if fmt not in annual.FORMATS:
        messages.error(request, _("Format: choose PDF, XLSX or CSV."))
        return redirect(back)
    try:
        made = annual_files.request_file(year, fmt, table, by=request.user)
    except KeyError:
        messages.error(
            request, _("Table: the summary of %(year)s has no table “%(table)s”.") % {"year": year, "table": table}
        )
        return redirect(back)
    return redirect("finance:annual_summary_file", made.pk)


def _file(request: HttpRequest, pk: int) -> AnnualSummaryFile:
    require_secretariat(request.user)
    return get_object_or_404(AnnualSummaryFile, pk=pk)


@login_required
@require_GET
def annual_summary_file(request: HttpRequest, pk: int) -> HttpResponse:
    """The file's progress (a partial for the page's own polls), then its download link."""
    made = _file(request, pk)
    template = "finance/annual_summary_file.html" + ("#status" if request.headers.get("HX-Request") else "")
    return render(request, template, {"file": made, "name": annual.download_name(made.year, made.format, made.table)})


@login_required
@require_GET
def annual_summary_download(request: HttpRequest, pk: int) -> FileResponse:
    made = _file(request, pk)
    if made.status != Status.DONE or not made.file:
        raise Http404(_("The file is not ready."))
    record(made, "finance.annual_summary.download", actor=request.user, data={"format": made.format})
    response = FileResponse(
        made.file.open("rb"),
        as_attachment=True,
        filename=annual.download_name(made.year, made.format, made.table),
        content_type=annual.CONTENT_TYPES[made.format],
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
