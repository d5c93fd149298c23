"""HTTP API v1 (django-ninja). Routers live in each app's api.py and are mounted here.

Every route needs `Authorization: Bearer <token>` and answers errors as application/problem+json (core.api), including
405 for a wrong method, 404 for a path that does not exist, 413 for a body that is too large and 415 for one that is
not JSON. The OpenAPI document is /api/v1/openapi.json.
"""

from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.urls import URLPattern, URLResolver, re_path
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI

from core.api import PROBLEM_JSON, TokenAuth, install_problem_handlers, problem

WRITES = {"POST", "PUT", "PATCH"}


def _body_problem(request: HttpRequest) -> HttpResponse | None:
    """413 for a body above DATA_UPLOAD_MAX_MEMORY_SIZE, 415 for a body that is not JSON."""
    if request.method not in WRITES:
        return None
    try:
        body = request.body
    except RequestDataTooBig:
        return problem(413, f"The request body is larger than {settings.DATA_UPLOAD_MAX_MEMORY_SIZE} bytes.")
    content_type = request.content_type or ""
    if body and content_type != "application/json" and not content_type.endswith("+json"):
        return problem(415, f"Send the body as application/json, not {content_type or 'without a content type'}.")
    return None


def _as_problems(view: Any) -> Any:
    @wraps(view)  # keeps csrf_exempt: ninja's views authenticate by token, not by cookie
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        refused = _body_problem(request)
        if refused is not None:
            return refused
        response = view(request, *args, **kwargs)
        if isinstance(response, HttpResponseNotAllowed):
            allow = response["Allow"]
            return problem(405, f"{request.method} is not allowed here; use {allow}.", Allow=allow)
        return response

    return wrapper


@csrf_exempt
def _not_found(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem(404, f"There is no API resource at {request.path}.")


@csrf_exempt
def _root(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
    return problem(404, "This is the API root; the resources are listed in /api/v1/openapi.json.")


# Problems every operation can answer besides those it declares itself (ninja only knows the declared ones).
PROBLEM_REF = "#/components/schemas/ProblemOut"
ANY_OPERATION = {401: "No valid, unrevoked API token."}
WITH_INPUT = {400: "Invalid input; `errors` names each field."}
WITH_BODY = {413: "The request body is too large.", 415: "The request body is not JSON."}


def _problem_response(description: str) -> dict[str, Any]:
    return {"description": description, "content": {PROBLEM_JSON: {"schema": {"$ref": PROBLEM_REF}}}}


def _document_problems(method: str, operation: dict[str, Any]) -> None:
    """Problems are application/problem+json, not application/json; and every operation declares the problems the
    API answers around the view: 401 without a token, 400 for invalid parameters or body, 413/415 for a body."""
    responses = {str(status): response for status, response in operation["responses"].items()}
    for response in responses.values():
        content = response.get("content", {})
        if content.get("application/json", {}).get("schema", {}).get("$ref") == PROBLEM_REF:
            response["content"] = {PROBLEM_JSON: content["application/json"]}
    extra = dict(ANY_OPERATION)
    if "requestBody" in operation or any(p["in"] == "query" for p in operation.get("parameters", [])):
        extra |= WITH_INPUT
    if method.upper() in WRITES:
        extra |= WITH_BODY
    for status, description in extra.items():
        responses.setdefault(str(status), _problem_response(description))
    operation["responses"] = responses


class ProblemNinjaAPI(NinjaAPI):
    def get_openapi_schema(self, *, path_prefix: str | None = None, path_params: Any = None) -> Any:
        document = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        for operations in document["paths"].values():
            for method, operation in operations.items():
                _document_problems(method, operation)
        return document

    def _get_urls(self) -> list[URLResolver | URLPattern]:
        urls = super()._get_urls()
        for pattern in urls:
            if isinstance(pattern, URLPattern):
                # ninja's root view raises Http404, which Django answers as HTML: answer a problem instead.
                view = _root if pattern.name == "api-root" else pattern.callback
                pattern.callback = _as_problems(view)
        return [*urls, re_path(r"^.*$", _not_found)]


api = ProblemNinjaAPI(
    title="Registry Grants API",
    version="1",
    description=(
        "Calls, applications, reviews and projects of the national medical quality registries' funding schemes. "
        "Authenticate with `Authorization: Bearer <token>`. Errors are application/problem+json (RFC 9457). "
        "An unknown transition name answers 404; a known transition not allowed in the current state answers 409."
    ),
    urls_namespace="api",
    auth=TokenAuth(),
)
install_problem_handlers(api)


def _mount() -> None:
    from accounts.api import router as accounts
    from finance.api import router as finance
    from grants.api import router as grants
    from projects.api import router as projects
    from projects.change_api import router as project_changes
    from registries.api import router as registries
    from registries.fhir_api import router as fhir
    from reviews.api import router as reviews
    from reviews.ranking_api import router as ranking

    for router in (registries, fhir, grants, accounts, reviews, ranking, projects, project_changes, finance):
        api.add_router("", router)


_mount()
