"""Importing SKDE's indicator files from the web: the upload, its progress and the validation report.

The secretariat imports for everyone; a registry member imports their own registry's indicator data. The import
itself runs in the background (`registries.tasks.run_indicator_import`); the import's page polls its status.
"""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.rules import is_secretariat, registry_ids
from core.access import visible_import
from core.exceptions import ActionRefused, NotPermitted

from . import importers as imp
from .enums import ImportState
from .forms import IndicatorUploadForm
from .models import IndicatorImport, Registry
from .rules import can_import_indicators
from .selectors import imports_visible_to
from .services import live_progress, start_import

KIND_LABELS = {
    imp.DEFINITIONS: gettext_lazy("Indicator definitions"),
    imp.TREE: gettext_lazy("Organisation tree"),
    imp.TREE_WIDE: gettext_lazy("Organisation tree (one row per hospital)"),
    imp.ALIASES: gettext_lazy("Indicator aliases"),
    imp.AGGREGATED: gettext_lazy("Aggregated values"),
    imp.EVENTS: gettext_lazy("Event rows"),
}


@login_required
def import_list(request: HttpRequest) -> HttpResponse:
    if not can_import_indicators(request.user):
        raise PermissionDenied
    page = Paginator(imports_visible_to(request.user), 50).get_page(request.GET.get("page"))
    rows = [(job, KIND_LABELS.get(job.kind, job.kind)) for job in page.object_list]
    return render(request, "registries/import_list.html", {"page": page, "rows": rows})


@login_required
def import_new(request: HttpRequest) -> HttpResponse:
    user = request.user
    if not can_import_indicators(user):
        raise PermissionDenied
    registries = None if is_secretariat(user) else Registry.objects.filter(pk__in=registry_ids(user))
    data, files = (request.POST, request.FILES) if request.method == "POST" else (None, None)
    chosen = request.GET.get("registry", "")
    initial = {"registry": chosen} if registries is not None and chosen.isdigit() else {}
    form = IndicatorUploadForm(data, files, registries=registries, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            job = start_import(
                form.cleaned_data["file"],
                by=user,
                registry=form.cleaned_data.get("registry"),
                dry_run=form.cleaned_data["dry_run"],
            )
        except NotPermitted as exc:
            raise PermissionDenied(exc.message) from exc
        except ActionRefused as exc:
            for field, messages in exc.errors.items():
                for message in messages:
                    form.add_error(field if field in form.fields else None, message)
        else:
            return _to_import(request, job)
    return render(request, "registries/import_new.html", {"form": form, "restricted": registries is not None})


def _to_import(request: HttpRequest, job: IndicatorImport) -> HttpResponse:
    """htmx posted the upload (to show its progress): it follows HX-Redirect; a plain form post gets a 302."""
    url = reverse("registries:import_detail", args=[job.pk])
    if request.headers.get("HX-Request"):
        return HttpResponse(headers={"HX-Redirect": url})
    return redirect(url)


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = visible_import(request.user, pk)
    return render(request, "registries/import_detail.html", _report(job))


@login_required
def import_status(request: HttpRequest, pk: int) -> HttpResponse:
    """The status partial that the import's page polls while the import is queued or running."""
    job = visible_import(request.user, pk)
    return render(request, "registries/_import_status.html", _report(job))


def _report(job: IndicatorImport) -> dict[str, Any]:
    files = [{**f, "kind_label": KIND_LABELS.get(f["kind"], f["kind"])} for f in (job.summary or {}).get("files", [])]
    job.progress, stage = live_progress(job)
    return {"job": job, "stage": _stage(job, stage), "problems": _problems(job), "files": files}


def _stage(job: IndicatorImport, stage: str) -> str:
    """The import's stage in the reader's language (the import reports it in English, for the log)."""
    if job.state == ImportState.QUEUED:
        return _("Waiting for the import to start")
    if stage.startswith("reading "):
        return _("Reading %(file)s") % {"file": stage.removeprefix("reading ")}
    if stage.startswith(("checking and saving ", "checked ")):
        name = stage.removeprefix("checking and saving ").removeprefix("checked ")
        return _("Checking and saving %(file)s") % {"file": name}
    if stage.startswith("saving values of "):
        return _("Saving the values of %(file)s") % {"file": stage.removeprefix("saving values of ")}
    if stage.startswith("saving "):
        name, _sep, delivery = stage.removeprefix("saving ").rpartition(": ")
        return _("Saving %(file)s: %(delivery)s") % {"file": name, "delivery": delivery}
    if stage == "done":
        return _("Done")
    return _("Starting")


def _problems(job: IndicatorImport) -> list[dict[str, Any]]:
    """Stored as "LINE: message"; line 0 concerns the whole file."""
    rows = []
    for text in job.problems or []:
        line, sep, message = text.partition(": ")
        if sep and line.isdigit():
            rows.append({"line": int(line), "message": message})
        else:
            rows.append({"line": 0, "message": text})
    return rows
