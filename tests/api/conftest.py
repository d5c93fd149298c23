from typing import Any

import pytest

from tests.factories import api_token_for

from .helpers import ApiClient


@pytest.fixture
def api():
    """api(user) → a client that sends that user's bearer token; api(None) sends none."""

    def make(user: Any = None, *, authorization: str | None = None) -> ApiClient:
        if user is not None:
            authorization = f"Bearer {api_token_for(user)}"
        return ApiClient(authorization)

    return make
