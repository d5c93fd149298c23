"""More bad input on the web: each gets a clear message and stores nothing."""

import pytest
from django.urls import reverse

from reviews.models import Assignment, Conflict, Review
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MilestoneFactory,
    ProjectFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


def _messages(response):
    return [str(m) for m in response.context["messages"]]


def test_call_edit_with_a_cap_above_the_budget_is_refused(client):
    call = CallFactory(state="draft")
    client.force_login(UserFactory(is_secretariat=True))
    data = {
        "scheme": call.scheme_id,
        "title": call.title,
        "year": call.year,
        "budget_nok": "50000",
        "max_amount_nok": "100000",
        "opens_at": call.opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": call.closes_at.strftime("%Y-%m-%dT%H:%M"),
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "1",
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-id": "m",
        "criteria-0-name": "Metode",
        "criteria-0-weight": "1",
    }

    response = client.post(reverse("grants:call_edit", args=[call.pk]), data)

    assert response.context["form"].errors == {
        "max_amount_nok": ["The cap per application cannot be larger than the budget."]
    }
    call.refresh_from_db()
    assert (call.budget_nok, [c.code for c in call.criteria.all()]) == (500000, ["methodology", "feasibility", "value"])


def test_criterion_with_zero_weight_is_refused_at_the_row(client):
    call = CallFactory(state="draft")
    client.force_login(UserFactory(is_secretariat=True))
    data = {
        "scheme": call.scheme_id,
        "title": call.title,
        "year": call.year,
        "budget_nok": "500000",
        "max_amount_nok": "",
        "opens_at": call.opens_at.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": call.closes_at.strftime("%Y-%m-%dT%H:%M"),
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "1",
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-id": "m",
        "criteria-0-name": "Metode",
        "criteria-0-weight": "0",
    }

    response = client.post(reverse("grants:call_edit", args=[call.pk]), data)

    assert response.context["formset"].forms[0].errors == {
        "weight": ["Ensure this value is greater than or equal to 0.01."]
    }
    assert call.criteria.count() == 3


def test_empty_progress_report_is_refused(client):
    milestone = MilestoneFactory()
    client.force_login(member_of(milestone.project.registry))

    response = client.post(
        reverse("projects:milestone_report", args=[milestone.project.pk, milestone.pk]), {"text": "  "}, follow=True
    )

    assert _messages(response) == ["Write the progress report."]
    milestone.refresh_from_db()
    assert (milestone.state, milestone.report_text) == ("planned", "")


def test_score_outside_the_scale_is_refused_and_nothing_is_saved(client):
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme)
    Assignment.objects.create(application=app, reviewer=reviewer)
    client.force_login(reviewer)

    response = client.post(
        reverse("reviews:save_review", args=[app.pk]),
        {"score_methodology": "9", "score_feasibility": "5", "score_value": "4", "comment": "x"},
        follow=True,
    )

    assert _messages(response) == ["Enter a whole number from 1 to 7."]
    assert Review.objects.count() == 0


def test_submitting_a_review_with_a_missing_score_is_refused(client):
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme)
    Assignment.objects.create(application=app, reviewer=reviewer)
    client.force_login(reviewer)

    response = client.post(
        reverse("reviews:save_review", args=[app.pk]),
        {"score_methodology": "6", "score_feasibility": "", "score_value": "4", "submit": "1"},
        follow=True,
    )

    assert _messages(response)[0].startswith("Score every criterion before you submit.")
    assert Review.objects.get().state == "draft"


def test_conflict_without_a_reason_is_refused(client):
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme)
    Assignment.objects.create(application=app, reviewer=reviewer)
    client.force_login(reviewer)

    response = client.post(reverse("reviews:declare_conflict", args=[app.pk]), {"reason": ""}, follow=True)

    assert _messages(response) == ["Give the reason for the conflict of interest."]
    assert Conflict.objects.count() == 0


def test_assigning_a_member_of_the_applicant_registry_is_refused(client):
    app = ApplicationFactory(state="in_review")
    insider = reviewer_for(app.call.scheme, full_name="Ina Innside")
    insider.memberships.create(registry=app.registry)
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(reverse("reviews:assign", args=[app.pk]), {"user": insider.pk}, follow=True)

    assert _messages(response) == [f"Ina Innside is a member of {app.registry} and so has a conflict of interest."]
    assert Assignment.objects.count() == 0


def test_assigning_nobody_is_refused(client):
    app = ApplicationFactory(state="in_review")
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(reverse("reviews:assign", args=[app.pk]), {"user": ""}, follow=True)

    assert _messages(response) == ["Choose a reviewer from the expert group."]


def test_final_report_cannot_be_submitted_with_empty_sections_and_keeps_the_text(client):
    project = ProjectFactory(state="active")
    client.force_login(member_of(project.registry))

    response = client.post(
        reverse("projects:final_report_edit", args=[project.pk]),
        {"section_summary": "Noe", "section_results": "", "submit": "1"},
        follow=True,
    )

    assert _messages(response)[0].startswith("Every required section needs text before you submit; missing: results.")
    project.refresh_from_db()
    assert project.state == "active"
    assert project.final_report.sections == {"summary": "Noe", "results": ""}


def test_secretariat_sees_a_conflicted_review_flagged_as_not_counted(client):
    from tests.factories import ReviewFactory

    app = ApplicationFactory(state="in_review")
    insider = reviewer_for(app.call.scheme, full_name="Ina Innside")
    ReviewFactory(application=app, reviewer=insider, state="submitted")
    insider.memberships.create(registry=app.registry)
    client.force_login(UserFactory(is_secretariat=True))

    response = client.get(reverse("grants:application_detail", args=[app.pk]))

    [row] = response.context["review_rows"]
    assert (row["review"].reviewer, row["conflicted"]) == (insider, True)
    assert "conflict of interest: not counted" in response.content.decode()
