"""The decision meeting and the decision letters on the web."""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.rules import is_decider
from audit.services import record
from core.access import visible_application, visible_call
from core.exceptions import ActionRefused, DomainError
from core.views_helpers import report_error

from . import decisions
from .enums import ApplicationState, DecisionOutcome
from .forms import DateInput
from .models import Application, Call, DecisionLetter, DecisionMeeting
from .selectors import calls_visible_to

# ---------------------------------------------------------------- forms


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=gettext_lazy("Meeting date"), widget=DateInput())
    body = forms.CharField(label=gettext_lazy("Decision body"), max_length=200)
    attendees = forms.CharField(
        label=gettext_lazy("Attendees"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy("Names and roles of those who took part."),
    )
    minutes = forms.CharField(label=gettext_lazy("Minutes"), required=False, widget=forms.Textarea(attrs={"rows": 5}))
    recommendation: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Recommendation acted on"),
        queryset=None,
        required=False,
        empty_label=gettext_lazy("None"),
    )
    decided_by: forms.ModelChoiceField = forms.ModelChoiceField(
        label=gettext_lazy("Recorded on behalf of"),
        queryset=None,
        help_text=gettext_lazy(
            "The decider who chaired or signed the meeting. The decisions are recorded in their name, and they are "
            "told by email."
        ),
    )

    def __init__(self, *args: Any, call: Call, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        versions = call.recommendations.all()
        field = self.fields["recommendation"]
        field.queryset = versions  # type: ignore[attr-defined]
        field.label_from_instance = lambda v: _("Version %(n)s") % {"n": v.version}  # type: ignore[attr-defined]
        field.initial = versions.first()
        self.fields["body"].initial = call.scheme.decision_body
        if is_decider(user):
            del self.fields["decided_by"]
        else:
            self.fields["decided_by"].queryset = decisions.deciders()  # type: ignore[attr-defined]


class DecisionForm(forms.Form):
    outcome = forms.ChoiceField(
        label=gettext_lazy("Decision"),
        required=False,
        choices=[("", gettext_lazy("No decision at this meeting")), *DecisionOutcome.choices],
    )
    amount_nok = forms.DecimalField(
        label=gettext_lazy("Granted amount (NOK)"),
        required=False,
        widget=forms.TextInput(attrs={"inputmode": "decimal"}),
        max_digits=12,
        decimal_places=2,
        localize=True,
    )
    conditions = forms.CharField(
        label=gettext_lazy("Conditions of the grant"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    comment = forms.CharField(
        label=gettext_lazy("Note"),
        required=False,
        max_length=2000,
        help_text=gettext_lazy("Required when the amount is above the call's cap: the reason for the exception."),
    )


# Where a service's field error about one decision is shown in that decision's form.
DECISION_FIELDS = {"granted_amount_nok": "amount_nok", "comment": "comment", "conditions": "conditions"}


def _decision_forms(applications: list[Application], data: Any = None) -> list[tuple[Application, DecisionForm]]:
    rows = []
    for application in applications:
        initial = {
            "outcome": DecisionOutcome.GRANT
            if application.state == ApplicationState.RECOMMENDED
            else DecisionOutcome.REJECT,
            "amount_nok": application.proposed_amount_nok,
        }
        rows.append((application, DecisionForm(data, prefix=f"d{application.pk}", initial=initial)))
    return rows


def _inputs(rows: list[tuple[Application, DecisionForm]]) -> list[decisions.DecisionInput]:
    return [
        decisions.DecisionInput(
            application_id=application.pk,
            outcome=form.cleaned_data["outcome"],
            amount_nok=form.cleaned_data["amount_nok"],
            conditions=form.cleaned_data["conditions"],
            comment=form.cleaned_data["comment"],
        )
        for application, form in rows
        if form.cleaned_data["outcome"]
    ]


def _show_errors(form: MeetingForm, rows: list[tuple[Application, DecisionForm]], exc: ActionRefused) -> None:
    by_pk = {str(application.pk): decision_form for application, decision_form in rows}
    form.add_error(None, exc.message)
    for key, msgs in exc.errors.items():
        parts = key.split(".")
        if parts[0] == "decisions" and len(parts) == 3 and parts[1] in by_pk:
            by_pk[parts[1]].add_error(DECISION_FIELDS.get(parts[2], "outcome"), msgs)
        elif key in form.fields:
            form.add_error(key, msgs)
        else:
            others = [m for m in msgs if m != exc.message]
            if others:
                form.add_error(None, others)


# ---------------------------------------------------------------- views


def _meeting_page(request: HttpRequest, call: Call, form: MeetingForm, rows: list, status: int = 200) -> HttpResponse:
    ctx = {
        "call": call,
        "form": form,
        "rows": rows,
        "meetings": call.decision_meetings.all(),
    }
    return render(request, "grants/decision_meeting.html", ctx, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def meeting(request: HttpRequest, pk: int) -> HttpResponse:
    """The form that records a meeting of the decision body, and the meetings already recorded for the call."""
    call = visible_call(request.user, pk)
    if not decisions.can_record_decisions(request.user, call):
        raise PermissionDenied
    applications = list(decisions.awaiting_decision(call))
    if request.method != "POST":
        form = MeetingForm(call=call, user=request.user)
        return _meeting_page(request, call, form, _decision_forms(applications))
    form = MeetingForm(request.POST, call=call, user=request.user)
    rows = _decision_forms(applications, request.POST)
    if form.is_valid() and all(f.is_valid() for _a, f in rows):
        data = form.cleaned_data
        try:
            recorded = decisions.record_decision_meeting(
                call,
                by=request.user,
                held_on=data["held_on"],
                body=data["body"],
                attendees=data["attendees"],
                minutes=data["minutes"],
                recommendation=data["recommendation"],
                decisions=_inputs(rows),
                decided_by=data.get("decided_by"),
            )
        except ActionRefused as exc:
            _show_errors(form, rows, exc)
        except DomainError as exc:
            report_error(request, exc)
            return redirect("decisions:meeting", call.pk)
        else:
            messages.success(request, _("The meeting is recorded; the decision letters are being made and sent."))
            return redirect("decisions:meeting_detail", recorded.pk)
    return _meeting_page(request, call, form, rows, status=400)


@login_required
def meeting_detail(request: HttpRequest, pk: int) -> HttpResponse:
    recorded = get_object_or_404(
        DecisionMeeting.objects.select_related("call__scheme", "recommendation", "recorded_by"),
        pk=pk,
        call__in=calls_visible_to(request.user),
    )
    if not decisions.can_view_meeting(request.user, recorded):
        raise PermissionDenied
    rows = recorded.decisions.select_related("application__registry", "application__letter")
    return render(request, "grants/decision_meeting_detail.html", {"meeting": recorded, "decisions": rows})


@login_required
def letter_pdf(request: HttpRequest, pk: int) -> FileResponse:
    application = visible_application(request.user, pk)
    if not decisions.can_view_decision(request.user, application):
        raise PermissionDenied
    letter = DecisionLetter.objects.filter(application=application).first()
    if letter is None or not letter.pdf:
        raise Http404(_("There is no decision letter yet."))
    record(letter, "grants.decisionletter.download", actor=request.user)
    response = FileResponse(
        letter.pdf.open("rb"),
        as_attachment=True,
        filename=decisions.letter_download_name(application),
        content_type="application/pdf",
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
