"""Payments on the web: the secretariat's list with its exports, payment actions, and recording returned funds."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core import listing
from core.access import require_secretariat, visible_project
from core.exceptions import DomainError
from core.labels import action_label
from core.views_helpers import report_error

from . import exports, selectors, services
from .enums import PaymentState
from .models import Payment

PAGE_SIZE = 100


@login_required
def payment_list(request: HttpRequest) -> HttpResponse:
    require_secretariat(request.user)
    filters = selectors.PaymentFilters.from_query(request.GET)
    qs = selectors.payments(filters)
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = selectors.with_actions(list(page.object_list), request.user)
    by_state, total = selectors.totals_by_state(qs)
    ctx = {
        "page": page,
        "filters": filters,
        "query": filters.urlencode(),
        "pages": listing.page_links(filters, page),
        "columns": listing.columns(filters, PAYMENT_COLUMNS),
        "states": PaymentState.choices,
        **listing.filter_options(Payment.objects.all(), selectors.PAYMENT_LIST),
        "by_state": by_state,
        "total": total,
        "next": request.get_full_path(),
    }
    return render(request, "finance/payment_list.html", ctx)


PAYMENT_COLUMNS = [
    (gettext_lazy("Project"), "project", ""),
    (gettext_lazy("Registry"), "registry", ""),
    (gettext_lazy("Scheme and year"), "year", ""),
    (gettext_lazy("Trigger"), "trigger", ""),
    (gettext_lazy("Amount (NOK)"), "amount", "num"),
    (gettext_lazy("State"), "state", ""),
    (gettext_lazy("Paid"), "paid", ""),
    (gettext_lazy("Actions"), "", ""),
]


@login_required
def payment_export(request: HttpRequest, fmt: str) -> FileResponse:
    """The filtered, sorted list (all pages) for the accounts."""
    require_secretariat(request.user)
    if fmt not in listing.EXPORT_TYPES:
        raise Http404
    filters = selectors.PaymentFilters.from_query(request.GET)
    payments = list(selectors.payments(filters))
    listing.record_export(request.user, "finance.payment.export", filters, fmt, len(payments))
    content = exports.as_csv(payments) if fmt == "csv" else exports.as_xlsx(payments)
    return listing.export_response(content, "payments", fmt)


def _back(request: HttpRequest, default: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return default


@login_required
@require_POST
def payment_transition(request: HttpRequest, pk: int) -> HttpResponse:
    """approve, pay (reference and payment date), cancel (reason); the secretariat."""
    payment = get_object_or_404(Payment.objects.select_related("project"), pk=pk)
    visible_project(request.user, payment.project_id)  # 404 for whoever may not know the project
    require_secretariat(request.user)
    name = request.POST.get("action", "")
    action = services.PAYMENT_ACTIONS.get(name)
    if action is None:
        messages.error(request, _("Unknown action."))
        return redirect(_back(request, reverse("finance:payment_list")))
    comment = request.POST.get("comment", "")
    try:
        if name == "pay":
            services.mark_paid(
                payment,
                by=request.user,
                reference=request.POST.get("reference", ""),
                paid_on=request.POST.get("paid_on", ""),
                comment=comment,
            )
        else:
            action(payment, by=request.user, comment=comment)
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": action_label(name)})
    return redirect(_back(request, reverse("finance:payment_list")))


@login_required
@require_POST
def funds_return(request: HttpRequest, pk: int) -> HttpResponse:
    """Record the unspent funds the registry has paid back (secretariat)."""
    project = visible_project(request.user, pk)
    require_secretariat(request.user)
    try:
        services.record_funds_return(
            project,
            by=request.user,
            amount_nok=request.POST.get("amount_nok", ""),
            returned_on=request.POST.get("returned_on", ""),
            reference=request.POST.get("reference", ""),
        )
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("The returned funds are recorded."))
    return redirect("projects:project_detail", pk)
