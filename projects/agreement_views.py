"""The agreement on the web: download (generated and signed copies), accept in the app, upload a signed copy."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from audit.services import record
from core.access import visible_project
from core.exceptions import ActionRefused, DomainError
from core.views_helpers import report_error

from . import agreements, rules, services
from .enums import ProjectState
from .models import Project


class AcceptAgreementForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("Your full name"), max_length=200)
    confirm = forms.BooleanField(label=gettext_lazy("I have read the agreement and accept it for the registry"))


def agreement_section(user: Any, project: Project) -> dict[str, Any]:
    """What the project page's agreement section needs."""
    can_accept = rules.can_run_project(user, project) and project.state == ProjectState.AGREEMENT_PENDING
    return {"can_accept_agreement": can_accept, "accept_form": AcceptAgreementForm() if can_accept else None}


def _download(request: HttpRequest, project: Project, file: FieldFile, signed: bool) -> FileResponse:
    if not file:
        raise Http404(_("There is no such agreement yet."))
    record(project, "projects.project.agreement_download", actor=request.user, data={"signed": signed})
    response = FileResponse(
        file.open("rb"),
        as_attachment=True,
        filename=agreements.download_name(project, signed=signed),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
@require_GET
def agreement_pdf(request: HttpRequest, pk: int) -> FileResponse:
    project = visible_project(request.user, pk)
    return _download(request, project, project.agreement_pdf, signed=False)


@login_required
@require_GET
def signed_agreement_pdf(request: HttpRequest, pk: int) -> FileResponse:
    project = visible_project(request.user, pk)
    return _download(request, project, project.signed_agreement, signed=True)


def _accepting(request: HttpRequest, pk: int) -> Project:
    project = visible_project(request.user, pk)
    if not rules.can_run_project(request.user, project):
        raise PermissionDenied
    return project


def _field_errors(form: forms.Form) -> str:
    return " ".join(f"{form.fields[f].label}: {' '.join(errs)}" for f, errs in form.errors.items() if f in form.fields)


@login_required
@require_POST
def agreement_accept(request: HttpRequest, pk: int) -> HttpResponse:
    project = _accepting(request, pk)
    form = AcceptAgreementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("The agreement is not accepted. %(errors)s") % {"errors": _field_errors(form)})
        return redirect("projects:project_detail", pk)
    try:
        services.accept_agreement(project, by=request.user, name=form.cleaned_data["name"])
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The agreement is accepted; the project is active."))
    return redirect("projects:project_detail", pk)


@login_required
@require_POST
def agreement_upload(request: HttpRequest, pk: int) -> HttpResponse:
    project = _accepting(request, pk)
    try:
        content = agreements.check_signed_pdf(request.FILES.get("signed_agreement"))
        services.accept_agreement(project, by=request.user, signed_pdf=content)
    except ActionRefused as exc:
        messages.error(request, _("Signed agreement: %(problem)s") % {"problem": exc.message})
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The signed agreement is uploaded; the project is active."))
    return redirect("projects:project_detail", pk)
