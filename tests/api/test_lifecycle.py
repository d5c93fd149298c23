"""One call from creation to a closed project, entirely through the API, as the right role at every step."""

from datetime import timedelta

import pytest
from django.utils import timezone

from audit.models import AuditEntry
from registries.models import IndicatorValue
from tests.factories import (
    IndicatorFactory,
    OrganisationFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


def _steps(history):
    return [(h["transition"], h["source"], h["target"], h["by"], h["comment"]) for h in history]


def test_a_call_runs_from_creation_to_a_closed_project_through_the_api(api):
    # Arrange: the people and the registry's indicator with a national value
    scheme = SchemeFactory()
    registry = RegistryFactory()
    indicator = IndicatorFactory(registry=registry)
    nation = OrganisationFactory(orgnr=1, name="Nasjonalt", level="nation")
    IndicatorValue.objects.create(indicator=indicator, organisation=nation, year=2025, numerator=20, denominator=100)
    secretariat_user = UserFactory(is_secretariat=True, email="sekretariat@skde.no")
    applicant_user = member_of(registry, email="soker@register.no")
    reviewer_user = reviewer_for(scheme, email="fagekspert@example.no")
    decider_user = UserFactory(is_decider=True, email="ira@helse.no")
    secretariat, applicant, reviewer, decider = (
        api(u) for u in (secretariat_user, applicant_user, reviewer_user, decider_user)
    )
    now = timezone.now()

    # The secretariat creates the call (criteria default to the scheme's) and opens it
    r = secretariat.post(
        "/calls",
        {
            "scheme": "data_quality",
            "title": "Datakvalitet 2026",
            "year": 2026,
            "budget_nok": "500000",
            "max_amount_nok": "100000.00",
            "opens_at": (now - timedelta(days=1)).isoformat(),
            "closes_at": (now + timedelta(days=30)).isoformat(),
        },
    )
    assert r.status_code == 201, r.content
    call = r.json()
    assert (call["state"], call["budget_nok"], call["max_amount_nok"]) == ("draft", "500000.00", "100000.00")
    assert call["criteria"] == [
        {"id": "methodology", "name": "Metode", "weight": 2.0},
        {"id": "feasibility", "name": "Gjennomførbarhet", "weight": 1.0},
        {"id": "value", "name": "Nytte", "weight": 1.0},
    ]
    r = secretariat.post(f"/calls/{call['id']}/transitions/open", {"comment": "Utlyst"})
    assert (r.status_code, r.json()["state"]) == (200, "open")

    # The applicant drafts and submits
    r = applicant.post(
        "/applications",
        {
            "call": call["id"],
            "registry": registry.pk,
            "title": "Bedre dekningsgrad",
            "summary": "Vi validerer mot NPR.",
            "aims": "Dekningsgrad over 80 %.",
            "requested_amount_nok": "92300.00",
            "start_date": "2027-01-01",
            "end_date": "2027-12-31",
            "budget_lines": [{"category": "salary", "year": 2027, "amount_nok": "92300"}],
            "indicators": [
                {
                    "indicator": indicator.pk,
                    "baseline_value": "0.22",
                    "baseline_year": 2025,
                    "target_value": "0.15",
                    "target_date": "2027-12-31",
                }
            ],
            "milestones": [{"title": "Datauttrekk", "due_date": "2027-06-30"}],
        },
    )
    assert r.status_code == 201, r.content
    application = r.json()
    app_id = application["id"]
    assert (application["state"], application["available_transitions"]) == ("draft", ["submit", "withdraw"])
    assert application["budget_lines"] == [
        {"category": "salary", "year": 2027, "amount_nok": "92300.00", "description": ""}
    ]
    r = applicant.post(f"/applications/{app_id}/transitions/submit")
    assert (r.status_code, r.json().get("state")) == (200, "submitted"), r.content

    # The secretariat sends it to review and assigns the reviewer
    r = secretariat.post(f"/applications/{app_id}/transitions/send_to_review", {"comment": "Komplett"})
    assert r.json()["state"] == "in_review"
    r = secretariat.post(f"/applications/{app_id}/reviewers", {"user": reviewer_user.pk})
    assert (r.status_code, r.json()["user"]) == (201, reviewer_user.pk)

    # The reviewer scores and submits
    r = reviewer.put(
        f"/applications/{app_id}/reviews/mine",
        {"scores": {"methodology": 6, "feasibility": 4, "value": 5}, "comment": "Solid metode."},
    )
    assert (r.status_code, r.json()["state"], r.json()["weighted_score"]) == (200, "draft", 5.25)
    r = reviewer.post(f"/applications/{app_id}/reviews/mine/submit")
    assert (r.status_code, r.json()["state"]) == (200, "submitted")

    # The secretariat completes the assessment and recommends; the ranking shows it within budget
    r = secretariat.post(f"/applications/{app_id}/transitions/complete_assessment")
    assert r.json()["state"] == "assessed"
    r = secretariat.post(
        f"/applications/{app_id}/transitions/recommend",
        {"proposed_amount_nok": "90000", "comment": "Anbefales med redusert budsjett."},
    )
    assert (r.json()["state"], r.json()["proposed_amount_nok"]) == ("recommended", "90000.00")
    r = secretariat.get(f"/calls/{call['id']}/ranking")
    assert r.json() == [
        {
            "application": app_id,
            "title": "Bedre dekningsgrad",
            "registry": registry.pk,
            "state": "recommended",
            "rank": 1,
            "reviews": 1,
            "weighted_mean": 5.25,
            "median": 5.25,
            "spread": 0.0,
            "disagreement": False,
            "normalised_score": 0.0,
            "consensus_score": None,
            "first_time": True,
            "requested_amount_nok": "92300.00",
            "proposed_amount_nok": "90000.00",
            "cumulative_nok": "90000.00",
            "within_budget": True,
        }
    ]

    # The decider grants
    r = decider.post(f"/applications/{app_id}/transitions/grant", {"granted_amount_nok": "90000.00"})
    assert r.status_code == 200, r.content
    application = r.json()
    assert (application["state"], application["granted_amount_nok"]) == ("granted", "90000.00")
    project_id = application["project"]

    # The applicant accepts the agreement; the first payment falls due
    r = applicant.post(f"/projects/{project_id}/transitions/accept_agreement")
    assert r.status_code == 200, r.content
    project = r.json()
    assert project["state"] == "active"
    assert [(p["amount_nok"], p["trigger"], p["state"]) for p in project["payments"]] == [
        ("45000.00", "agreement", "due"),
        ("45000.00", "final_report", "scheduled"),
    ]
    assert project["indicators"] == [
        {
            "indicator": indicator.pk,
            "title": indicator.title,
            "baseline_value": 0.22,
            "baseline_year": 2025,
            "target_value": 0.15,
            "target_date": "2027-12-31",
            "latest_value": 0.2,
            "latest_year": 2025,
            "level": "moderate",
        }
    ]
    milestone_id = project["milestones"][0]["id"]

    # Milestone reported by the applicant, approved by the secretariat
    r = applicant.post(f"/projects/{project_id}/milestones/{milestone_id}/report", {"text": "Uttrekk levert."})
    assert (r.status_code, r.json()["state"]) == (200, "reported")
    r = secretariat.post(f"/projects/{project_id}/milestones/{milestone_id}/transitions/approve")
    assert (r.status_code, r.json()["state"]) == (200, "approved")

    # Final report written and submitted by the applicant, approved by the secretariat
    r = applicant.put(f"/projects/{project_id}/final_report", {"sections": {"summary": "Ferdig.", "results": "88 %."}})
    assert (r.status_code, r.json()["missing_sections"], r.json()["required_sections"]) == (
        200,
        [],
        ["summary", "results"],
    )
    r = applicant.post(f"/projects/{project_id}/transitions/submit_final_report")
    assert r.json()["state"] == "final_report_submitted"
    r = secretariat.post(f"/projects/{project_id}/transitions/approve_final_report", {"comment": "Godkjent."})

    # Assert: the project is closed, and both histories tell exactly what happened, by whom
    assert (r.status_code, r.json()["state"]) == (200, "closed")
    assert _steps(r.json()["history"]) == [
        ("create", None, "agreement_pending", "ira@helse.no", ""),
        ("accept_agreement", "agreement_pending", "active", "soker@register.no", ""),
        ("submit_final_report", "active", "final_report_submitted", "soker@register.no", ""),
        ("approve_final_report", "final_report_submitted", "closed", "sekretariat@skde.no", "Godkjent."),
    ]
    application = applicant.get(f"/applications/{app_id}").json()
    assert _steps(application["history"]) == [
        ("create", None, "draft", "soker@register.no", ""),
        ("submit", "draft", "submitted", "soker@register.no", ""),
        ("send_to_review", "submitted", "in_review", "sekretariat@skde.no", "Komplett"),
        ("complete_assessment", "in_review", "assessed", "sekretariat@skde.no", ""),
        ("recommend", "assessed", "recommended", "sekretariat@skde.no", "Anbefales med redusert budsjett."),
        ("grant", "recommended", "granted", "ira@helse.no", ""),
    ]
    assert application["available_transitions"] == []
    assert AuditEntry.objects.filter(action="reviews.assignment.create").count() == 1
    assert [p["state"] for p in r.json()["payments"]] == ["due", "due"]
