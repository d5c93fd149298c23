"""What the read endpoints return, field by field, and the changes an applicant makes to a draft."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest

from audit.services import record
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ExpertGroupMemberFactory,
    IndicatorFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db


def test_the_secretariat_finds_a_user_by_email_with_roles_registries_and_committees(api):
    registry = RegistryFactory()
    user = member_of(registry, email="kari@example.no", full_name="Kari Nordmann")
    ExpertGroupMemberFactory(user=user, group__scheme=SchemeFactory())
    UserFactory(email="ola@example.no")

    response = api(UserFactory(is_secretariat=True)).get("/users", email="KARI@example.no")

    assert response.json() == [
        {
            "id": user.pk,
            "email": "kari@example.no",
            "full_name": "Kari Nordmann",
            "roles": ["applicant", "reviewer"],
            "registries": [registry.pk],
            "committees": ["data_quality"],
        }
    ]


def test_schemes_come_with_their_default_criteria(api):
    SchemeFactory(default_max_amount_nok=Decimal("100000"))

    response = api(UserFactory()).get("/schemes")

    assert response.json() == [
        {
            "code": "data_quality",
            "name": "Data quality",
            "decision_body": "IRA",
            "max_amount_nok": "100000.00",
            "criteria": [
                {"id": "methodology", "name": "Metode", "weight": 2.0},
                {"id": "feasibility", "name": "Gjennomførbarhet", "weight": 1.0},
                {"id": "value", "name": "Nytte", "weight": 1.0},
            ],
            "final_report_sections": ["summary", "results"],
        }
    ]


def test_a_call_is_read_with_its_criteria_state_and_transitions(api):
    call = CallFactory(
        title="Datakvalitet 2026",
        year=2026,
        budget_nok=Decimal("500000"),
        max_amount_nok=None,
        state="open",
        opens_at=datetime(2026, 6, 1, 8, tzinfo=UTC),
        closes_at=datetime(2026, 9, 1, 22, tzinfo=UTC),
    )

    response = api(UserFactory(is_secretariat=True)).get(f"/calls/{call.pk}")

    assert response.json() == {
        "id": call.pk,
        "scheme": "data_quality",
        "title": "Datakvalitet 2026",
        "description": "",
        "year": 2026,
        "budget_nok": "500000.00",
        "max_amount_nok": None,
        "opens_at": "2026-06-01T08:00:00Z",
        "closes_at": "2026-09-01T22:00:00Z",
        "state": "open",
        "available_transitions": ["close"],
        "criteria": [
            {"id": "methodology", "name": "Metode", "weight": 2.0},
            {"id": "feasibility", "name": "Gjennomførbarhet", "weight": 1.0},
            {"id": "value", "name": "Nytte", "weight": 1.0},
        ],
    }


def test_a_call_can_be_created_with_its_own_criteria(api):
    SchemeFactory()

    response = api(UserFactory(is_secretariat=True)).post(
        "/calls",
        {
            "scheme": "data_quality",
            "title": "Regional",
            "year": 2026,
            "budget_nok": 3100000,
            "opens_at": "2026-01-01T00:00:00",
            "closes_at": "2026-03-01T00:00:00",
            "criteria": [{"id": "impact", "name": "Effekt", "weight": "3"}, {"name": "Brukermedvirkning"}],
        },
    )

    assert response.status_code == 201
    body = response.json()
    assert (body["max_amount_nok"], body["opens_at"]) == (None, "2025-12-31T23:00:00Z")
    assert body["criteria"] == [
        {"id": "impact", "name": "Effekt", "weight": 3.0},
        {"id": "c2", "name": "Brukermedvirkning", "weight": 1.0},
    ]


def test_calls_are_filtered_and_drafts_are_hidden_from_applicants(api):
    open_2026 = CallFactory(year=2026)
    CallFactory(year=2025)
    CallFactory(year=2026, state="draft")

    response = api(UserFactory()).get("/calls", year=2026)

    assert [c["id"] for c in response.json()] == [open_2026.pk]


def test_applications_are_filtered_by_call_state_and_registry(api):
    registry = RegistryFactory()
    wanted = ApplicationFactory(registry=registry, state="submitted")
    ApplicationFactory(registry=registry, call=wanted.call, state="in_review")
    ApplicationFactory(call=wanted.call, state="submitted")
    ApplicationFactory(registry=registry, state="submitted")

    response = api(UserFactory(is_secretariat=True)).get(
        "/applications", call=wanted.call_id, state="submitted", registry=registry.pk
    )

    assert [a["id"] for a in response.json()] == [wanted.pk]


def test_an_application_reads_with_state_transitions_history_and_amounts(api):
    applicant = member_of(RegistryFactory(), email="soker@register.no")
    app = ApplicationFactory(registry=applicant.memberships.get().registry, state="draft")
    record(app, "grants.application.create", actor=applicant, target="draft")
    record(app, "reviews.conflict.declare", actor=UserFactory(), data={})  # not part of the lifecycle

    body = api(applicant).get(f"/applications/{app.pk}").json()

    assert {
        k: body[k]
        for k in (
            "state",
            "available_transitions",
            "granted_amount_nok",
            "requested_amount_nok",
            "project",
            "budget_lines",
            "milestones",
        )
    } == {
        "state": "draft",
        "available_transitions": ["submit", "withdraw"],
        "granted_amount_nok": None,
        "requested_amount_nok": "90000.00",
        "project": None,
        "budget_lines": [{"category": "salary", "year": 2027, "amount_nok": "90000.00", "description": ""}],
        "milestones": [{"title": "Datauttrekk", "due_date": "2027-06-30"}],
    }
    assert [(h["transition"], h["source"], h["target"], h["by"]) for h in body["history"]] == [
        ("create", None, "draft", "soker@register.no")
    ]


def test_the_applicant_patches_a_draft_and_only_what_was_sent_changes(api):
    indicator = IndicatorFactory()
    app = ApplicationFactory(registry=indicator.registry)
    client = api(member_of(indicator.registry))

    response = client.patch(
        f"/applications/{app.pk}",
        {
            "title": "Ny tittel",
            "requested_amount_nok": "85000",
            "budget_lines": [
                {"category": "salary", "year": 2027, "amount_nok": "60000"},
                {"category": "travel", "year": 2027, "amount_nok": "25000", "description": "Fagmøte"},
            ],
            "indicators": [{"indicator": indicator.pk, "baseline_value": 0.22, "target_value": 0.15}],
        },
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["title"], body["summary"], body["requested_amount_nok"]) == (
        "Ny tittel",
        "Bedre datakvalitet.",
        "85000.00",
    )
    assert [(b["category"], b["amount_nok"]) for b in body["budget_lines"]] == [
        ("salary", "60000.00"),
        ("travel", "25000.00"),
    ]
    assert body["indicators"] == [
        {
            "indicator": indicator.pk,
            "baseline_value": 0.22,
            "baseline_year": None,
            "target_kind": "value",
            "target_value": 0.15,
            "target_level": None,
            "target_rule": None,
            "target_label": "0.15 or lower",
            "target_date": None,
        }
    ]
    assert body["milestones"] == [{"title": "Datauttrekk", "due_date": "2027-06-30"}]


def test_an_applicant_sees_their_own_profile(api):
    user = UserFactory(email="me@example.no", full_name="Meg")

    response = api(user).get("/users/me")

    assert response.json() == {
        "id": user.pk,
        "email": "me@example.no",
        "full_name": "Meg",
        "roles": [],
        "registries": [],
        "committees": [],
    }


def test_applications_can_be_paged_newest_first(api):
    registry = RegistryFactory()
    apps = ApplicationFactory.create_batch(5, registry=registry)
    client = api(member_of(registry))

    response = client.get("/applications", limit=2, offset=1)

    assert [a["id"] for a in response.json()] == [apps[3].pk, apps[2].pk]
