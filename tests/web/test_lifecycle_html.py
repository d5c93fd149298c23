"""One call from creation to a closed project, entirely through the HTML views, as the right role at every step."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEntry
from grants.models import Application, Call
from projects.models import Project
from tests.factories import (
    ExpertGroupFactory,
    IndicatorFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


def _post(client, url, data, expect_redirect=True):
    response = client.post(url, data)
    if expect_redirect:
        assert response.status_code == 302, response.content.decode()[:3000]
    return response


def _local(dt):
    return timezone.localtime(dt).strftime("%Y-%m-%dT%H:%M")


def test_call_to_closed_project_through_the_web(client):
    scheme = SchemeFactory()
    ExpertGroupFactory(scheme=scheme)
    registry = RegistryFactory(name="Norsk kvalitetsregister for testing", short_name="NKT")
    indicator = IndicatorFactory(registry=registry)
    secretariat = UserFactory(is_secretariat=True)
    applicant = member_of(registry)
    reviewer = reviewer_for(scheme)
    decider = UserFactory(is_decider=True)

    # Secretariat creates and opens the call with the scheme's default criteria.
    client.force_login(secretariat)
    now = timezone.now()
    _post(
        client,
        reverse("grants:call_create"),
        {
            "scheme": scheme.pk,
            "title": "Datakvalitet 2027",
            "description": "",
            "year": 2027,
            "budget_nok": "500000",
            "max_amount_nok": "100000",
            "opens_at": _local(now - timedelta(hours=1)),
            "closes_at": _local(now + timedelta(days=30)),
            "criteria_source": "scheme",
            "criteria-TOTAL_FORMS": "0",
            "criteria-INITIAL_FORMS": "0",
            "criteria-MIN_NUM_FORMS": "1",
            "criteria-MAX_NUM_FORMS": "1000",
        },
    )
    call = Call.objects.get(title="Datakvalitet 2027")
    assert [c.code for c in call.criteria.all()] == ["methodology", "feasibility", "value"]
    _post(client, reverse("grants:call_transition", args=[call.pk]), {"action": "open"})
    call.refresh_from_db()
    assert call.state == "open"

    # Applicant drafts, fills in and submits.
    client.force_login(applicant)
    _post(
        client,
        reverse("grants:application_new", args=[call.pk]),
        {"registry": registry.pk, "title": "Bedre dekningsgrad"},
    )
    app = Application.objects.get(title="Bedre dekningsgrad")
    form = {
        "title": "Bedre dekningsgrad",
        "summary": "Kort sammendrag",
        "aims": "Mål",
        "requested_amount_nok": "90000",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "budget-TOTAL_FORMS": "1",
        "budget-INITIAL_FORMS": "0",
        "budget-0-category": "salary",
        "budget-0-year": "2027",
        "budget-0-amount_nok": "90000",
        "budget-0-description": "",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "Datauttrekk",
        "milestones-0-due_date": "2027-06-30",
        "indicators-TOTAL_FORMS": "1",
        "indicators-INITIAL_FORMS": "0",
        "indicators-0-indicator": indicator.pk,
        "indicators-0-baseline_value": "0.22",
        "indicators-0-baseline_year": "2025",
        "indicators-0-target_value": "0.15",
        "indicators-0-target_date": "2027-12-31",
    }
    _post(client, reverse("grants:application_edit", args=[app.pk]), form)
    _post(client, reverse("grants:application_transition", args=[app.pk]), {"action": "submit", "comment": ""})
    app.refresh_from_db()
    assert app.state == "submitted"

    # Secretariat sends it to review and assigns the reviewer.
    client.force_login(secretariat)
    _post(client, reverse("grants:application_transition", args=[app.pk]), {"action": "send_to_review"})
    _post(client, reverse("reviews:assign", args=[app.pk]), {"user": reviewer.pk})
    assert list(app.assignments.values_list("reviewer", flat=True)) == [reviewer.pk]

    # Reviewer scores and submits.
    client.force_login(reviewer)
    _post(
        client,
        reverse("reviews:save_review", args=[app.pk]),
        {
            "score_methodology": "6",
            "score_feasibility": "5",
            "score_value": "4",
            "comment": "Solid",
            "submit": "1",
        },
    )
    assert app.reviews.get().state == "submitted"

    # Secretariat completes the assessment and records the recommendation.
    client.force_login(secretariat)
    _post(client, reverse("grants:application_transition", args=[app.pk]), {"action": "complete_assessment"})
    _post(
        client,
        reverse("grants:application_transition", args=[app.pk]),
        {"action": "recommend", "proposed_amount_nok": "85000", "comment": "Anbefales"},
    )

    # Decider grants.
    client.force_login(decider)
    _post(
        client,
        reverse("grants:application_transition", args=[app.pk]),
        {"action": "grant", "granted_amount_nok": "85000", "comment": ""},
    )
    project = Project.objects.get(application=app)
    assert project.granted_amount_nok == 85000

    # Registry accepts the agreement, reports the milestone, writes and submits the final report.
    client.force_login(applicant)
    _post(client, reverse("projects:project_transition", args=[project.pk]), {"action": "accept_agreement"})
    milestone = project.milestones.get()
    _post(client, reverse("projects:milestone_report", args=[project.pk, milestone.pk]), {"text": "Uttrekk ferdig"})
    client.force_login(secretariat)
    _post(client, reverse("projects:milestone_transition", args=[project.pk, milestone.pk]), {"action": "approve"})
    client.force_login(applicant)
    _post(
        client,
        reverse("projects:final_report_edit", args=[project.pk]),
        {"section_summary": "Vi gjorde det", "section_results": "Dekningsgrad 90 %", "submit": "1"},
    )
    client.force_login(secretariat)
    _post(client, reverse("projects:project_transition", args=[project.pk]), {"action": "approve_final_report"})

    project.refresh_from_db()
    milestone.refresh_from_db()
    app.refresh_from_db()
    assert (app.state, project.state, milestone.state) == ("granted", "closed", "approved")
    actions = list(
        AuditEntry.objects.filter(object_id=app.pk, content_type__model="application").values_list("action", flat=True)
    )
    assert actions == [
        "grants.application.create",
        "grants.application.submit",
        "grants.application.send_to_review",
        "reviews.assignment.create",
        "grants.application.complete_assessment",
        "grants.application.recommend",
        "grants.application.grant",
    ]
    # The timeline is visible on the project page.
    page = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()
    assert "Approve the final report" in page
