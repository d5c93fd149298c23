"""HTML views for calls and applications. Thin: load through an access helper, validate, call one service."""

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django import forms as dj_forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from accounts.rules import registry_ids
from audit.services import history_for, record_reads
from core import listing
from core.access import visible_application, visible_call
from core.exceptions import ActionRefused, DomainError, InvalidTransition
from core.labels import timeline
from core.listing import ListFilters, ListSpec
from core.views_helpers import action_forms, report_error, run_action
from core.workflow import available_transitions
from finance.exports import table_bytes
from projects.rules import can_view_project
from registries.models import Indicator, Organisation, Registry
from reviews import rules as review_rules

from . import exports, rules, services
from .enums import ApplicationState, CallState
from .forms import (
    ApplicationForm,
    BaselineQueryForm,
    BudgetFormSet,
    CallForm,
    CriterionFormSet,
    IndicatorFormSet,
    IndicatorRowForm,
    MilestoneFormSet,
    NewApplicationForm,
    UnitsQueryForm,
    participating_unit_choices,
    rows,
)
from .models import Application, Call, Scheme
from .selectors import APPLICATION_LIST, applications_visible_to, baselines, calls_visible_to, handed_in
from .selectors import application_list as application_list_qs

PAGE_SIZE = 50

# ---------------------------------------------------------------- calls


CALL_LIST = ListSpec(
    filters={"scheme": "scheme__code", "year": "year", "state": "state"},
    search=("title", "description"),
    sorts={},
    default_order=("-year", "-closes_at", "pk"),
    states=tuple(CallState.values),
)


@login_required
def call_list(request: HttpRequest) -> HttpResponse:
    """The calls this user may see, filtered by scheme, year and state (the dashboard's budget figures link here)."""
    visible = calls_visible_to(request.user)
    filters = ListFilters.from_query(request.GET, CALL_LIST)
    calls = listing.apply(
        visible.select_related("scheme").annotate(
            n_applications=Count("applications", filter=handed_in("applications__"))
        ),
        filters,
        CALL_LIST,
    )
    page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": filters,
        "query": filters.urlencode(),
        "pages": listing.page_links(filters, page),
        "schemes": Scheme.objects.filter(pk__in=visible.values("scheme")).order_by("name"),
        "years": sorted(set(visible.order_by().values_list("year", flat=True).distinct()), reverse=True),
        "states": CallState.choices,
        "can_create": rules.can_manage_calls(request.user),
    }
    return render(request, "grants/call_list.html", ctx)


def _criteria_from(formset: dj_forms.BaseFormSet) -> list[dict[str, Any]]:
    return [
        {
            "id": r.get("id") or "",
            "name": r["name"],
            "weight": r["weight"],
            "description": r.get("description", ""),
            "anchors": r.get("anchors") or {},
        }
        for r in rows(formset)
    ]


def _apply_errors(form: dj_forms.Form, exc: ActionRefused) -> None:
    for field, msgs in exc.errors.items():
        target = field if field in form.fields else None
        for m in msgs:
            form.add_error(target, m)
    if not exc.errors:
        form.add_error(None, exc.message)


@login_required
def call_create(request: HttpRequest) -> HttpResponse:
    if not rules.can_manage_calls(request.user):
        raise PermissionDenied
    form = CallForm(request.POST or None, initial={"year": timezone.now().year})
    formset = CriterionFormSet(request.POST or None, prefix="criteria")
    use_defaults = request.method == "POST" and request.POST.get("criteria_source", "scheme") == "scheme"
    if request.method == "POST" and form.is_valid() and (use_defaults or formset.is_valid()):
        try:
            call = services.create_call(
                by=request.user, data=form.cleaned_data, criteria=None if use_defaults else _criteria_from(formset)
            )
        except ActionRefused as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The call was created as a draft. Open it when it is ready."))
            return redirect("grants:call_detail", call.pk)
    return render(request, "grants/call_form.html", {"form": form, "formset": formset, "creating": True})


@login_required
def call_edit(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    if not rules.can_manage_calls(request.user, call):
        raise PermissionDenied
    form = CallForm(request.POST or None, instance=call)
    initial = [
        {"id": c.code, "name": c.name, "weight": c.weight, "description": c.description, "anchors": c.anchors}
        for c in call.criteria.all()
    ]
    formset = CriterionFormSet(request.POST or None, prefix="criteria", initial=initial)
    editable_criteria = call.state == "draft"
    if request.method == "POST" and form.is_valid() and (not editable_criteria or formset.is_valid()):
        data = dict(form.cleaned_data)
        try:
            services.update_call(
                call, by=request.user, data=data, criteria=_criteria_from(formset) if editable_criteria else None
            )
        except ActionRefused as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The call was saved."))
            return redirect("grants:call_detail", call.pk)
    return render(
        request,
        "grants/call_form.html",
        {"form": form, "formset": formset, "call": call, "editable_criteria": editable_criteria},
    )


@login_required
def call_detail(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    applications = (
        applications_visible_to(request.user, call.applications.all())
        .select_related("registry")
        .order_by("registry__name", "title")
    )
    my_registries = Registry.objects.filter(pk__in=registry_ids(request.user))
    ctx = {
        "call": call,
        "criteria": call.criteria.all(),
        "applications": applications,
        "can_apply": call.is_accepting() and my_registries.exists(),
        "can_edit": rules.can_manage_calls(request.user, call),
        "can_see_ranking": review_rules.can_see_ranking(request.user, call),
        "actions": action_forms(
            available_transitions(call, request.user), reverse("grants:call_transition", args=[call.pk])
        ),
        "entries": timeline(history_for(call, request.user)),
    }
    return render(request, "grants/call_detail.html", ctx)


@login_required
@require_POST
def call_transition(request: HttpRequest, pk: int) -> HttpResponse:
    call = visible_call(request.user, pk)
    run_action(request, services.CALL_ACTIONS, call)
    return redirect("grants:call_detail", call.pk)


def _action_label(name: str) -> str:
    from core.labels import action_label

    return action_label(name)


# ---------------------------------------------------------------- applications


@login_required
def application_list(request: HttpRequest) -> HttpResponse:
    filters = ListFilters.from_query(request.GET, APPLICATION_LIST)
    page = Paginator(application_list_qs(request.user, filters), PAGE_SIZE).get_page(request.GET.get("page"))
    ctx = {
        "page": page,
        "filters": filters,
        "query": filters.urlencode(),
        "pages": listing.page_links(filters, page),
        "columns": listing.columns(filters, APPLICATION_COLUMNS),
        "states": ApplicationState.choices,
        **listing.filter_options(applications_visible_to(request.user), APPLICATION_LIST),
    }
    return render(request, "grants/application_list.html", ctx)


APPLICATION_COLUMNS = [
    (gettext_lazy("Title"), "title", ""),
    (gettext_lazy("Registry"), "registry", ""),
    (gettext_lazy("Call"), "call", ""),
    (gettext_lazy("Year"), "year", "num"),
    (gettext_lazy("Requested (NOK)"), "amount", "num"),
    (gettext_lazy("Granted (NOK)"), "granted", "num"),
    (gettext_lazy("State"), "state", ""),
    (gettext_lazy("Submitted"), "submitted", ""),
]


@login_required
def application_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The filtered, sorted list (all pages) as CSV or XLSX; what the user may see, nothing more."""
    if fmt not in listing.EXPORT_TYPES:
        raise Http404
    filters = ListFilters.from_query(request.GET, APPLICATION_LIST)
    table = exports.rows(application_list_qs(request.user, filters))
    listing.record_export(request.user, "grants.application.export", filters, fmt, len(table))
    content = table_bytes(fmt, _("Applications"), exports.HEADER, table)
    return listing.export_response(content, "applications", fmt)


@login_required
def application_new(request: HttpRequest, call_pk: int) -> HttpResponse:
    call = visible_call(request.user, call_pk)
    registries = Registry.objects.filter(pk__in=registry_ids(request.user))
    if not registries.exists():
        raise PermissionDenied
    form = NewApplicationForm(request.POST or None, registries=registries)
    if request.method == "POST" and form.is_valid():
        try:
            application = services.create_application(
                by=request.user,
                call=call,
                registry=form.cleaned_data["registry"],
                data={"title": form.cleaned_data["title"]},
            )
        except ActionRefused as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Your draft is saved. It saves itself as you type."))
            return redirect("grants:application_edit", application.pk)
    return render(request, "grants/application_new.html", {"form": form, "call": call})


def _forms_for(application: Application, data: Any) -> dict[str, Any]:
    indicators = Indicator.objects.filter(registry_id=application.registry_id)
    if data is None:
        initial_budget = [
            {"category": b.category, "year": b.year, "amount_nok": b.amount_nok, "description": b.description}
            for b in application.budget_lines.all()
        ]
        initial_ind = [
            {
                "indicator": i.indicator_id,
                "baseline_value": i.baseline_value,
                "baseline_year": i.baseline_year,
                "target_kind": i.target_kind,
                "target_value": i.target_value,
                "target_level": i.target_level,
                "target_rule": i.target_rule,
                "target_date": i.target_date,
            }
            for i in application.indicators.all()
        ]
        initial_ms = [{"title": m.title, "due_date": m.due_date} for m in application.planned_milestones.all()]
    else:
        initial_budget = initial_ind = initial_ms = None
    return {
        "form": ApplicationForm(data, instance=application),
        "budget": BudgetFormSet(data, prefix="budget", initial=initial_budget),
        "indicators": IndicatorFormSet(
            data,
            prefix="indicators",
            initial=initial_ind,
            form_kwargs={
                "indicators": indicators,
                "baseline_url": reverse("grants:indicator_baseline", args=[application.pk]),
            },
        ),
        "milestones": MilestoneFormSet(data, prefix="milestones", initial=initial_ms),
    }


def _all_valid(forms: dict[str, Any]) -> bool:
    return all([f.is_valid() for f in forms.values()])  # noqa: C419 - validate every form, not just the first


def _data_from(forms: dict[str, Any]) -> dict[str, Any]:
    data = dict(forms["form"].cleaned_data)
    data["budget_lines"] = rows(forms["budget"])
    data["indicators"] = rows(forms["indicators"])
    data["milestones"] = rows(forms["milestones"])
    return data


def _raw(request: HttpRequest) -> dict[str, list[str]]:
    return {k: request.POST.getlist(k) for k in request.POST if k != "csrfmiddlewaretoken"}


def _bind_raw(raw: dict[str, list[str]]) -> Any:
    from django.http import QueryDict

    qd = QueryDict(mutable=True)
    for key, values in raw.items():
        qd.setlist(key, values)
    return qd


def _save(request: HttpRequest, application: Application, notes: list[str]) -> tuple[dict[str, Any], bool]:
    """Validate and save; on any problem keep the raw input so nothing typed is lost."""
    forms = _forms_for(application, request.POST)
    if _all_valid(forms):
        try:
            services.update_application(application, by=request.user, data=_data_from(forms), notes=notes)
            return forms, True
        except ActionRefused as exc:
            _apply_service_errors(forms, exc)
        except InvalidTransition as exc:
            # Submitted (or decided) meanwhile: show the input again with the reason, store nothing.
            forms["form"].add_error(None, exc.message)
            return forms, False
    services.keep_unsaved_input(application, by=request.user, raw=_raw(request))
    return forms, False


def _apply_service_errors(forms: dict[str, Any], exc: ActionRefused) -> None:
    prefixes = {"budget_lines": "budget", "indicators": "indicators", "milestones": "milestones"}
    for key, msgs in exc.errors.items():
        parts = key.split(".")
        if parts[0] in prefixes and len(parts) == 3 and parts[1].isdigit():
            formset = forms[prefixes[parts[0]]]
            index = int(parts[1])
            live = [f for f in formset.forms if f.cleaned_data and not f.cleaned_data.get("DELETE")]
            target = live[index] if index < len(live) else None
            for m in msgs:
                if target is not None and parts[2] in target.fields:
                    target.add_error(parts[2], m)
                else:
                    forms["form"].add_error(None, m)
        else:
            for m in msgs:
                forms["form"].add_error(key if key in forms["form"].fields else None, m)


@login_required
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_edit_application(request.user, application):
        raise PermissionDenied
    if request.method == "POST":
        notes: list[str] = []
        forms, saved = _save(request, application, notes)
        if saved:
            messages.success(request, _("Saved."))
            for note in notes:
                messages.info(request, note)
            if request.POST.get("then") == "submit":
                return redirect(reverse("grants:application_detail", args=[pk]) + "#actions")
            return redirect("grants:application_edit", pk)
        messages.warning(request, _("Your input is kept as a draft, but some fields need attention (marked below)."))
    else:
        data = _bind_raw(application.draft_data) if application.draft_data else None
        forms = _forms_for(application, data)
        if data is not None:
            _all_valid(forms)
    _attach_baselines(forms, application)
    return render(
        request,
        "grants/application_edit.html",
        {"application": application, **forms, "completeness": services.completeness_errors(application)},
    )


@login_required
@require_POST
def application_autosave(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    if not rules.can_edit_application(request.user, application):
        raise PermissionDenied
    notes: list[str] = []
    _forms, saved = _save(request, application, notes)
    ctx = {"saved": saved, "at": timezone.localtime(), "notes": notes}
    return render(request, "grants/_autosave_status.html", ctx)


def _chosen_units(form: ApplicationForm, application: Application) -> list[Organisation]:
    if form.is_bound:
        ids = [v for v in form.data.getlist("participating_units") if str(v).isdigit()]
        return list(participating_unit_choices().filter(pk__in=ids))
    return list(application.participating_units.all())


def _attach_baselines(forms: dict[str, Any], application: Application) -> None:
    """Each indicator row of the edit page shows its baseline table (so it works without JavaScript too)."""
    indicators = {i.pk: i for i in Indicator.objects.filter(registry_id=application.registry_id)}
    asked = []
    for f in forms["indicators"].forms:
        indicator = indicators.get(str(f["indicator"].value() or ""))
        year = str(f["baseline_year"].value() or "")
        if indicator is not None:
            asked.append((f, indicator, int(year) if year.isdigit() else None))
    if not asked:
        return
    found = baselines([(ind, year) for _f, ind, year in asked], _chosen_units(forms["form"], application))
    for (f, _ind, _year), baseline in zip(asked, found, strict=True):
        f.baseline = baseline


@login_required
def indicator_baseline(request: HttpRequest, pk: int) -> HttpResponse:
    """htmx partial: the baseline table of one indicator row, and the row's baseline inputs filled from the data.
    Only for those who may edit the application; to anyone else it does not exist."""
    application = visible_application(request.user, pk)
    if not rules.can_edit_application(request.user, application):
        raise Http404
    prefix = request.GET.get("prefix", "")
    prefix = prefix if re.fullmatch(r"indicators-\d+", prefix) else ""
    indicators = Indicator.objects.filter(registry_id=application.registry_id)
    query = BaselineQueryForm(request.GET, prefix=prefix or None, indicators=indicators)
    units = UnitsQueryForm(request.GET)
    ctx: dict[str, Any] = {"query": query, "units_form": units}
    if query.is_valid() and units.is_valid() and query.cleaned_data["indicator"] is not None:
        indicator = query.cleaned_data["indicator"]
        chosen = list(units.cleaned_data["participating_units"])
        baseline = baselines([(indicator, query.cleaned_data["baseline_year"])], chosen)[0]
        ctx["baseline"] = baseline
        if prefix and baseline.year is not None:
            row = IndicatorRowForm(
                prefix=prefix,
                indicators=indicators,
                baseline_url=request.path,
                initial={"baseline_year": baseline.year, "baseline_value": _plain(baseline.value)},
            )
            # The year input is replaced only when the data chose the year (not while the user is typing one).
            filled = ["baseline_year"] if query.cleaned_data["baseline_year"] is None else []
            filled += ["baseline_value"] if baseline.value is not None else []
            ctx["oob"] = [row[name].as_widget(attrs={"hx-swap-oob": "true"}) for name in filled]
    return render(request, "grants/_indicator_baseline.html", ctx)


def _plain(value: Decimal | None) -> Decimal | None:
    """0.350000 → 0.35 and 12.000000 → 12, never 1.2E+1."""
    if value is None:
        return None
    return value.quantize(Decimal(1)) if value == value.to_integral_value() else value.normalize()


@login_required
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    record_reads([application], "grants.application.view", actor=request.user)  # who read what (Normen)
    return render(request, "grants/application_detail.html", _detail_context(request, application))


def _detail_context(
    request: HttpRequest, application: Application, errors: dict | None = None, values: dict | None = None
) -> dict[str, Any]:
    user = request.user
    names = available_transitions(application, user)
    amounts = {
        "recommend": application.requested_amount_nok,
        "grant": application.proposed_amount_nok or application.requested_amount_nok,
    }
    from reviews.views import review_context

    return {
        "application": application,
        "budget_lines": application.budget_lines.all(),
        "indicators": _indicator_plan(application),
        "milestones": application.planned_milestones.all(),
        "can_edit": rules.can_edit_application(user, application),
        "is_applicant": rules.is_applicant_of(user, application),
        "actions": action_forms(
            names, reverse("grants:application_transition", args=[application.pk]), errors, values, amounts
        ),
        "completeness": services.completeness_errors(application)
        if application.state in ("draft", "changes_requested")
        else {},
        "entries": timeline(history_for(application, user)),
        "project": _visible_project(user, application),
        **review_context(request, application),
    }


def _indicator_plan(application: Application) -> list[Any]:
    """The application's indicators, each with its baseline table per participating unit and nationally."""
    rows = list(application.indicators.select_related("indicator"))
    if not rows:
        return []
    found = baselines([(r.indicator, r.baseline_year) for r in rows], list(application.participating_units.all()))
    for row, baseline in zip(rows, found, strict=True):
        row.baseline = baseline
    return rows


def _visible_project(user: Any, application: Application) -> Any:
    """The granted application's project, if this user may see it (the decision body may not)."""
    project = getattr(application, "project", None) if application.state == "granted" else None
    return project if project is not None and can_view_project(user, project) else None


@login_required
@require_POST
def application_transition(request: HttpRequest, pk: int) -> HttpResponse:
    application = visible_application(request.user, pk)
    name = request.POST.get("action", "")
    service = services.APPLICATION_ACTIONS.get(name)
    if service is None:
        messages.error(request, _("Unknown action."))
        return redirect("grants:application_detail", pk)
    comment = request.POST.get("comment", "")
    kwargs: dict[str, Any] = {"comment": comment}
    field_errors: dict[str, list[str]] = {}
    if name in ("recommend", "grant"):
        field = "proposed_amount_nok" if name == "recommend" else "granted_amount_nok"
        raw = request.POST.get(field, "").replace(" ", "").replace("\xa0", "").replace(",", ".")
        try:
            kwargs[field] = Decimal(raw) if raw else None
        except InvalidOperation:
            field_errors["amount"] = [_("Enter an amount in NOK, e.g. 85000 or 85000.50.")]
    if not field_errors:
        try:
            service(application, by=request.user, **kwargs)
        except ActionRefused as exc:
            for key, msgs in exc.errors.items():
                if key == "comment":
                    field_errors.setdefault("comment", []).extend(msgs)
                elif key.endswith("amount_nok"):
                    field_errors.setdefault("amount", []).extend(msgs)
            if not field_errors:
                report_error(request, exc)
                field_errors["comment"] = []
        except DomainError as exc:
            report_error(request, exc)
            return redirect("grants:application_detail", pk)
        else:
            messages.success(request, _("Done: %(action)s.") % {"action": _action_label(name)})
            if not _still_visible(request, pk):
                return redirect("grants:application_list")
            application = visible_application(request.user, pk)
            project = _visible_project(request.user, application) if name == "grant" else None
            if project is not None:
                return redirect("projects:project_detail", project.pk)
            return redirect("grants:application_detail", pk)
    values = {
        "action": name,
        "comment": comment,
        "amount": request.POST.get("proposed_amount_nok") or request.POST.get("granted_amount_nok"),
    }
    ctx = _detail_context(request, application, errors={name: field_errors}, values=values)
    return render(request, "grants/application_detail.html", ctx, status=400)


def _still_visible(request: HttpRequest, pk: int) -> bool:
    return applications_visible_to(request.user).filter(pk=pk).exists()


__all__ = ["Call", "HttpResponseRedirect"]


# ---------------------------------------------------------------- schemes


@login_required
def scheme_list(request: HttpRequest) -> HttpResponse:
    from .models import Scheme

    schemes = Scheme.objects.select_related("expert_group").prefetch_related("criteria").order_by("name")
    return render(
        request, "grants/scheme_list.html", {"schemes": schemes, "can_manage": rules.can_manage_calls(request.user)}
    )


@login_required
def scheme_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    from django.shortcuts import get_object_or_404

    from .forms import SchemeCriterionFormSet, SchemeForm, SectionFormSet
    from .models import Scheme

    if not rules.can_manage_calls(request.user):
        raise PermissionDenied
    scheme = get_object_or_404(Scheme, pk=pk) if pk else None
    group = getattr(scheme, "expert_group", None) if scheme else None
    form = SchemeForm(request.POST or None, instance=scheme, initial={"expert_group_name": group.name if group else ""})
    criteria = SchemeCriterionFormSet(
        request.POST or None,
        prefix="criteria",
        initial=[
            {
                "id": c.code,
                "name": c.name,
                "name_en": c.name_en,
                "weight": c.weight,
                "description": c.description,
                "anchors": c.anchors,
            }
            for c in scheme.criteria.all()
        ]
        if scheme
        else None,
    )
    sections = SectionFormSet(
        request.POST or None, prefix="sections", initial=scheme.final_report_sections if scheme else None
    )
    if request.method == "POST" and _all_valid({"f": form, "c": criteria, "s": sections}):
        data = {k: v for k, v in form.cleaned_data.items() if k != "expert_group_name"}
        try:
            saved = services.save_scheme(
                scheme,
                by=request.user,
                data=data,
                criteria=rows(criteria),
                sections=rows(sections),
                expert_group_name=form.cleaned_data["expert_group_name"],
            )
        except ActionRefused as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("The scheme “%(name)s” is saved.") % {"name": saved.name})
            return redirect("grants:scheme_list")
    return render(
        request, "grants/scheme_form.html", {"form": form, "criteria": criteria, "sections": sections, "scheme": scheme}
    )
