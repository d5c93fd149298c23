import json
from typing import Any

import pytest
from django.test import Client

from tests.factories import api_token_for

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


@pytest.fixture
def api():
    """api(user) → a client that sends that user's bearer token; api(None) sends none."""

    def make(user: Any = None, *, authorization: str | None = None) -> ApiClient:
        if user is not None:
            authorization = f"Bearer {api_token_for(user)}"
        return ApiClient(authorization)

    return make


def problem(response: Any) -> dict[str, Any]:
    assert response["Content-Type"] == "application/problem+json", response.content
    return response.json()
