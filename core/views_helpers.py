"""Shared bits for views: turning domain errors into messages and building the action forms."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from django.utils.translation import gettext as _

from core.exceptions import ActionRefused, DomainError, InvalidTransition, NotPermitted
from core.labels import COMMENT_REQUIRED, DANGEROUS, action_label

AMOUNT_ACTIONS = {
    "recommend": ("proposed_amount_nok", _("Proposed amount (NOK)")),
    "grant": ("granted_amount_nok", _("Granted amount (NOK)")),
}


def action_forms(
    names: list[str], url: str, errors: dict | None = None, values: dict | None = None, amounts: dict | None = None
) -> list[dict[str, Any]]:
    errors = errors or {}
    values = values or {}
    forms = []
    for name in names:
        amount_field, amount_label = AMOUNT_ACTIONS.get(name, (None, None))
        forms.append(
            {
                "name": name,
                "label": action_label(name),
                "url": url,
                "comment_required": name in COMMENT_REQUIRED,
                "danger": name in DANGEROUS,
                "amount_field": amount_field,
                "amount_label": amount_label,
                "amount_value": values.get("amount") if values.get("action") == name else (amounts or {}).get(name),
                "comment_value": values.get("comment") if values.get("action") == name else "",
                "errors": errors.get(name, {}),
                "open": name in errors,
            }
        )
    return forms


def report_error(request: HttpRequest, exc: DomainError) -> None:
    """Show a refused action as a message. Not being allowed is a 403 page, not a message."""
    if isinstance(exc, NotPermitted):
        raise PermissionDenied(exc.message) from exc
    if isinstance(exc, InvalidTransition):
        messages.error(
            request,
            _("This could not be done: %(reason)s Reload the page to see the current state.") % {"reason": exc.message},
        )
    elif isinstance(exc, ActionRefused):
        details = [f"{m}" for msgs in exc.errors.values() for m in msgs if m != exc.message]
        text = exc.message + (" " + " ".join(dict.fromkeys(details)) if details else "")
        messages.error(request, text)


def run_action(request: HttpRequest, actions: dict[str, Any], obj: Any) -> None:
    """Fire the posted action (`action`, `comment`) through its service and report the outcome as a message."""
    name = request.POST.get("action", "")
    service = actions.get(name)
    if service is None:
        messages.error(request, _("Unknown action."))
        return
    try:
        service(obj, by=request.user, comment=request.POST.get("comment", ""))
    except DomainError as exc:
        report_error(request, exc)
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": action_label(name)})
