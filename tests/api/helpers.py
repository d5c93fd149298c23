"""Helpers for API tests: a JSON client with a bearer token, the problem+json check, the CONTRACT routes."""

import json
from typing import Any

from django.test import Client

BASE = "/api/v1"


class ApiClient:
    """Requests to /api/v1 as one user (or with a given Authorization header), JSON in and out."""

    def __init__(self, authorization: str | None) -> None:
        headers = {"Authorization": authorization} if authorization else {}
        self.client = Client(headers=headers)

    def request(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        kwargs: dict[str, Any] = {}
        if method == "get":
            kwargs = {"data": params}
        elif body is not None:
            kwargs = {"data": json.dumps(body, default=str), "content_type": "application/json"}
        else:
            kwargs = {"data": "", "content_type": "application/json"}  # no body at all, as curl -X POST sends
        return getattr(self.client, method)(BASE + path, **kwargs)

    def get(self, path: str, **params: Any) -> Any:
        return self.request("get", path, **params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("post", path, body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("put", path, body)

    def patch(self, path: str, body: Any = None) -> Any:
        return self.request("patch", path, body)


def problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()


# Every route of CONTRACT.md "HTTP API v1" (ids are filled in by each test).
CONTRACT_ROUTES = [
    ("get", "/registries"),
    ("get", "/registries/{registry}"),
    ("get", "/registries/{registry}/indicators"),
    ("get", "/indicators/{indicator}/values"),
    ("get", "/schemes"),
    ("get", "/users"),
    ("post", "/calls"),
    ("get", "/calls"),
    ("get", "/calls/{call}"),
    ("post", "/calls/{call}/transitions/open"),
    ("post", "/applications"),
    ("patch", "/applications/{application}"),
    ("get", "/applications"),
    ("get", "/applications/{application}"),
    ("post", "/applications/{application}/transitions/submit"),
    ("post", "/applications/{application}/reviewers"),
    ("post", "/applications/{application}/conflict"),
    ("put", "/applications/{application}/reviews/mine"),
    ("post", "/applications/{application}/reviews/mine/submit"),
    ("get", "/applications/{application}/reviews"),
    ("get", "/calls/{call}/ranking"),
    ("get", "/projects"),
    ("get", "/projects/{project}"),
    ("get", "/projects/{project}/final_report"),
    ("put", "/projects/{project}/final_report"),
    ("post", "/projects/{project}/transitions/accept_agreement"),
    ("post", "/projects/{project}/milestones/{milestone}/report"),
    ("post", "/projects/{project}/milestones/{milestone}/transitions/approve"),
    ("get", "/reports/annual"),
]
