"""The OpenAPI document is published and names every CONTRACT route."""

import pytest
from django.test import Client

from .helpers import CONTRACT_ROUTES

pytestmark = pytest.mark.django_db

# The CONTRACT's placeholders as the document names them.
PLACEHOLDERS = {
    "{registry}": "{id}",
    "{indicator}": "{id}",
    "{call}": "{id}",
    "{application}": "{id}",
    "{project}": "{id}",
    "{milestone}": "{mid}",
}
TRANSITIONS = ("open", "submit", "accept_agreement", "approve")


def _documented(path: str) -> str:
    for placeholder, name in PLACEHOLDERS.items():
        path = path.replace(placeholder, name)
    for transition in TRANSITIONS:
        path = path.replace(f"/transitions/{transition}", "/transitions/{name}")
    return "/api/v1" + path


def test_the_openapi_document_lists_every_contract_route_with_its_method():
    response = Client().get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.")
    listed = {(method, path) for path, operations in document["paths"].items() for method in operations}
    missing = {(method, _documented(path)) for method, path in CONTRACT_ROUTES} - listed
    assert missing == set()


def test_the_openapi_document_declares_bearer_auth_and_money_as_decimal_strings():
    document = Client().get("/api/v1/openapi.json").json()

    assert document["components"]["securitySchemes"] == {"TokenAuth": {"type": "http", "scheme": "bearer"}}
    budget = document["components"]["schemas"]["CallOut"]["properties"]["budget_nok"]
    assert (budget["type"], budget["format"]) == ("string", "decimal")


def test_the_api_root_answers_a_problem_pointing_to_the_document(client):
    response = client.get("/api/v1/")

    assert (response.status_code, response["Content-Type"]) == (404, "application/problem+json")
    assert response.json()["detail"] == "This is the API root; the resources are listed in /api/v1/openapi.json."


def test_every_operation_declares_its_problems_as_problem_json():
    document = Client().get("/api/v1/openapi.json").json()

    undeclared = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            expected = {"401"} | ({"413", "415"} if method in {"post", "put", "patch"} else set())
            if "requestBody" in operation or any(p["in"] == "query" for p in operation["parameters"]):
                expected.add("400")
            undeclared += [f"{method} {path} {status}" for status in sorted(expected - operation["responses"].keys())]
            undeclared += [
                f"{method} {path} {status} as {sorted(response['content'])}"
                for status, response in operation["responses"].items()
                if status >= "400" and list(response["content"]) != ["application/problem+json"]
            ]
    assert undeclared == []


def test_a_problem_answer_matches_its_declaration(client):
    document = client.get("/api/v1/openapi.json").json()

    response = client.get("/api/v1/calls")

    declared = document["paths"]["/api/v1/calls"]["get"]["responses"]["401"]["content"]
    assert (response.status_code, response["Content-Type"], list(declared)) == (
        401,
        "application/problem+json",
        ["application/problem+json"],
    )
    assert declared["application/problem+json"]["schema"] == {"$ref": "#/components/schemas/ProblemOut"}
