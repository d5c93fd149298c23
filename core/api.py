"""Shared pieces of HTTP API v1: bearer-token auth, RFC 9457 problems, money, transition bodies, history.

Every error leaves the API as `application/problem+json` with `status`, `title` and `detail`; validation problems
add `errors`, mapping each field (nested fields as dotted paths, e.g. `budget_lines.0.amount_nok`) to messages.
"""

import json
import logging
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from http import HTTPStatus
from typing import Annotated, Any

import pydantic
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer
from pydantic import AfterValidator, ConfigDict, PlainSerializer, WithJsonSchema

from accounts.models import ApiToken
from audit.models import AuditEntry
from audit.services import READ
from core.exceptions import ActionRefused, InvalidTransition, NotPermitted
from core.workflow import available_transitions

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
# A token's last_used_at is written at most this often, so reads do not turn into a write per request.
TOUCH_INTERVAL = timedelta(minutes=1)


# ---------------------------------------------------------------- authentication


class TokenAuth(HttpBearer):
    """`Authorization: Bearer <token>`; only the token's SHA-256 is stored (accounts.ApiToken)."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token:
            return None
        now = timezone.now()
        found = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=ApiToken.hash(token), revoked_at__isnull=True, user__is_active=True)
            .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
            .first()
        )
        if found is None:
            return None
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_INTERVAL:
            ApiToken.objects.filter(pk=found.pk).update(last_used_at=now)
        request.user = found.user
        return found.user


# ---------------------------------------------------------------- problems (RFC 9457)


def problem(status: int, detail: str, errors: dict[str, list[str]] | None = None, **headers: str) -> HttpResponse:
    body: dict[str, Any] = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": detail,
    }
    if errors:
        body["errors"] = errors
    response = HttpResponse(json.dumps(body, cls=DjangoJSONEncoder), status=status, content_type=PROBLEM_JSON)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def field_path(loc: Sequence[Any]) -> str:
    """ninja's ("body", "payload", "budget_lines", 0, "amount_nok") → "budget_lines.0.amount_nok"."""
    parts = list(loc)
    if parts and parts[0] in {"body", "query", "path", "header", "cookie", "form", "file"}:
        source = parts.pop(0)
        # A body schema parameter adds its own name; query and path parameters are named by it.
        if source == "body" and parts and parts[0] == "payload":
            parts.pop(0)
    return ".".join(str(p) for p in parts) or "body"


def _message(error: dict[str, Any]) -> str:
    msg = str(error.get("msg", ""))
    return msg.removeprefix("Value error, ")


def validation_errors(raw: Iterable[dict[str, Any]]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = defaultdict(list)
    for error in raw:
        errors[field_path(error.get("loc", ()))].append(_message(error))
    return dict(errors)


def _on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = validation_errors(exc.errors)
    return problem(400, "The request has invalid fields.", errors)


def _on_pydantic_error(request: HttpRequest, exc: pydantic.ValidationError) -> HttpResponse:
    return problem(400, "The request has invalid fields.", validation_errors(exc.errors(include_url=False)))


def _on_refused(request: HttpRequest, exc: ActionRefused) -> HttpResponse:
    return problem(400, exc.message, exc.errors)


def _on_not_permitted(request: HttpRequest, exc: NotPermitted) -> HttpResponse:
    return problem(403, exc.message)


def _on_permission_denied(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return problem(403, str(exc) or "You are not allowed to do this.")


def _on_invalid_transition(request: HttpRequest, exc: InvalidTransition) -> HttpResponse:
    return problem(409, exc.message)


def _on_not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    detail = str(exc) if isinstance(exc, Http404) and str(exc) else "Not found."
    return problem(404, detail)


def _on_authentication(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problem(
        401,
        "Send a valid, unrevoked API token as “Authorization: Bearer <token>”.",
        WWW_Authenticate='Bearer realm="api"',
    )


def _on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problem(exc.status_code, exc.message)


def _on_unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return problem(500, "Something went wrong on our side; the error has been logged.")


def install_problem_handlers(api: Any) -> None:
    api.add_exception_handler(ValidationError, _on_validation_error)
    api.add_exception_handler(pydantic.ValidationError, _on_pydantic_error)
    api.add_exception_handler(ActionRefused, _on_refused)
    api.add_exception_handler(NotPermitted, _on_not_permitted)
    api.add_exception_handler(PermissionDenied, _on_permission_denied)
    api.add_exception_handler(InvalidTransition, _on_invalid_transition)
    api.add_exception_handler(Http404, _on_not_found)
    api.add_exception_handler(ObjectDoesNotExist, _on_not_found)
    api.add_exception_handler(AuthenticationError, _on_authentication)
    api.add_exception_handler(HttpError, _on_http_error)
    api.add_exception_handler(Exception, _on_unexpected)


PROBLEM_RESPONSES = {400, 401, 403, 404, 409}


# ---------------------------------------------------------------- lookups


def get_or_404[M: models.Model](qs: models.QuerySet[M], pk: Any, what: str) -> M:
    """The object if this user may know it exists; otherwise 404, the same as for an id that does not exist."""
    out_of_range = isinstance(pk, int) and not 0 < pk <= MAX_ID
    obj = None if out_of_range else qs.filter(pk=pk).first()
    if obj is None:
        raise Http404(f"No {what} with id {pk}.")
    return obj


def unknown_action(name: str, actions: Iterable[str], what: str) -> Http404:
    """An unknown transition name is a 404: the transition resource does not exist (documented in the API)."""
    return Http404(f"{what} has no transition “{name}”; the transitions are: {', '.join(actions)}.")


# ---------------------------------------------------------------- types


def _money(value: Decimal) -> str:
    return f"{value.quantize(Decimal('0.01')):f}"


def _aware(value: datetime) -> datetime:
    return timezone.make_aware(value) if timezone.is_naive(value) else value


MAX_ID = 2**63 - 1
# An id in a body or query: a database key, so no overflow reaches the database.
Id = Annotated[int, pydantic.Field(ge=1, le=MAX_ID)]
# Money in: a decimal in NOK ("85000.00" or 85000), at most 10 digits before and 2 after the point.
Money = Annotated[Decimal, pydantic.Field(max_digits=12, decimal_places=2, allow_inf_nan=False)]
# Money out: always a decimal string with two places, "85000.00".
MoneyOut = Annotated[
    Decimal,
    PlainSerializer(_money, return_type=str),
    WithJsonSchema({"type": "string", "format": "decimal", "examples": ["85000.00"]}),
]
# Timestamps without an offset are read in the server's time zone (Europe/Oslo).
AwareDatetime = Annotated[datetime, AfterValidator(_aware)]


def as_number(value: Decimal | None, places: int | None = None) -> float | None:
    if value is None:
        return None
    if places is not None:
        value = value.quantize(Decimal(1).scaleb(-places))
    return float(value)


class InputSchema(Schema):
    """Request bodies: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class PageQuery(Schema):
    """Optional paging of a list, in its documented order; without `limit`, the whole list."""

    limit: int | None = pydantic.Field(None, ge=1, le=1000)
    offset: int = pydantic.Field(0, ge=0)

    def apply[M: models.Model](self, qs: models.QuerySet[M]) -> models.QuerySet[M]:
        if self.limit is None:
            return qs[self.offset :] if self.offset else qs
        return qs[self.offset : self.offset + self.limit]


class TransitionIn(InputSchema):
    comment: str = ""


class HistoryOut(Schema):
    transition: str
    source: str | None
    target: str | None
    by: str | None = Field(description="Email of the user who did it; null for the system.")
    at: datetime
    comment: str


class ProblemOut(Schema):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    errors: dict[str, list[str]] | None = None


def problem_responses(*codes: int) -> dict[int, type[ProblemOut]]:
    return dict.fromkeys(codes, ProblemOut)


# ---------------------------------------------------------------- workflow: history and transitions, batched


def histories(objs: Sequence[models.Model]) -> dict[int, list[dict[str, Any]]]:
    """The lifecycle entries of many objects of one model in one query (creation and transitions only).

    Other entries recorded on the object (e.g. reviewer assignments and declared conflicts on an application) are
    left out: they would tell an applicant who reviews them.
    """
    result: dict[int, list[dict[str, Any]]] = {obj.pk: [] for obj in objs}
    if not objs:
        return result
    meta = objs[0]._meta
    entries = (
        AuditEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(type(objs[0])),
            object_id__in=list(result),
            action__startswith=f"{meta.app_label}.{meta.model_name}.",
        )
        .exclude(action__endswith=READ)
        .select_related("actor")
    )
    for entry in entries:
        result[entry.object_id].append(
            {
                "transition": entry.transition,
                "source": entry.source or None,
                "target": entry.target or None,
                "by": entry.actor.email if entry.actor else None,
                "at": entry.at,
                "comment": entry.comment,
            }
        )
    return result


def with_workflow[M: models.Model](objs: Sequence[M], user: Any, *, history: bool = True) -> Sequence[M]:
    """Attach `available_transitions` (for this user) and `history` to each object, without a query per row."""
    entries = histories(objs) if history else {}
    for obj in objs:
        obj.available_transitions = available_transitions(obj, user)  # type: ignore[attr-defined]
        if history:
            obj.history = entries[obj.pk]  # type: ignore[attr-defined]
    return objs
