"""The recommendation (innstilling) on the web: the live preview, sending it, and the frozen versions' PDFs."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from audit.services import record
from core.access import visible_call
from core.exceptions import ActionRefused, DomainError
from core.views_helpers import report_error
from grants.models import Call
from grants.selectors import applications_visible_to, calls_visible_to

from . import recommendation as rec
from .models import RecommendationVersion


class SendForm(forms.Form):
    summary = forms.CharField(
        label=gettext_lazy("Summary for the decision body"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("The group's overall view of the call: shown above the ranked list in the PDF."),
    )


def _context(request: HttpRequest, call: Call, form: SendForm | None = None) -> dict[str, Any]:
    user = request.user
    preview = rec.can_preview_recommendation(user, call)
    rows = rec.recommendation_rows(call, viewer=user) if preview else []
    versions = list(call.recommendations.select_related("sent_by"))
    can_send = rec.can_send_recommendation(user, call)
    if form is None and can_send:
        form = SendForm(initial={"summary": versions[0].summary if versions else ""})
    return {
        "call": call,
        "preview": preview,
        "rows": rows,
        "totals": rec.totals(rows, call.budget_nok),
        "openable": set(applications_visible_to(user, call.applications.all()).values_list("pk", flat=True)),
        "versions": [(v, rec.can_download_recommendation(user, v)) for v in versions],
        "can_send": can_send,
        "form": form,
    }


@login_required
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    if not rec.can_view_recommendation(request.user, call):
        raise PermissionDenied
    return render(request, "reviews/recommendation.html", _context(request, call))


@login_required
@require_POST
def send(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    if not rec.can_send_recommendation(request.user, call):
        raise PermissionDenied
    form = SendForm(request.POST)
    if form.is_valid():
        try:
            version = rec.send_recommendation(call, by=request.user, summary=form.cleaned_data["summary"])
        except ActionRefused as exc:
            form.add_error(None, exc.message)
            for msgs in exc.errors.values():
                for message in msgs:
                    if message != exc.message:
                        form.add_error(None, message)
        except DomainError as exc:
            report_error(request, exc)
            return redirect("recommendations:detail", call.pk)
        else:
            messages.success(
                request,
                _("Version %(n)s was sent to the decision body; its PDF is being made.") % {"n": version.version},
            )
            return redirect("recommendations:detail", call.pk)
    return render(request, "reviews/recommendation.html", _context(request, call, form), status=400)


@login_required
def pdf(request: HttpRequest, pk: int) -> FileResponse:
    version = get_object_or_404(
        RecommendationVersion.objects.select_related("call"), pk=pk, call__in=calls_visible_to(request.user)
    )
    if not rec.can_download_recommendation(request.user, version):
        raise PermissionDenied
    if not version.pdf:
        raise Http404(_("The PDF is not ready yet."))
    record(version, "reviews.recommendationversion.download", actor=request.user)
    response = FileResponse(
        version.pdf.open("rb"), as_attachment=True, filename=rec.download_name(version), content_type="application/pdf"
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
