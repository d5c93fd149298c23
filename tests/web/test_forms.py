"""Bad input on the web gets field-level messages and changes nothing that was stored; nothing typed is lost."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.models import Application, Call, Scheme
from tests.factories import ApplicationFactory, CallFactory, RegistryFactory, SchemeFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db

MGMT = {
    "criteria-TOTAL_FORMS": "0",
    "criteria-INITIAL_FORMS": "0",
    "criteria-MIN_NUM_FORMS": "1",
    "criteria-MAX_NUM_FORMS": "1000",
}


def _edit_form(**overrides):
    data = {
        "title": "Tittel",
        "summary": "S",
        "aims": "A",
        "requested_amount_nok": "90000",
        "start_date": "2027-01-01",
        "end_date": "2027-12-31",
        "budget-TOTAL_FORMS": "1",
        "budget-INITIAL_FORMS": "0",
        "budget-0-category": "salary",
        "budget-0-year": "2027",
        "budget-0-amount_nok": "90000",
        "milestones-TOTAL_FORMS": "1",
        "milestones-INITIAL_FORMS": "0",
        "milestones-0-title": "M1",
        "milestones-0-due_date": "2027-06-30",
        "indicators-TOTAL_FORMS": "0",
        "indicators-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return data


def test_call_create_with_bad_input_names_each_field_and_stores_nothing(client):
    client.force_login(UserFactory(is_secretariat=True))
    scheme = SchemeFactory()
    now = timezone.now()
    response = client.post(
        reverse("grants:call_create"),
        {
            "scheme": scheme.pk,
            "title": "",
            "year": "2027",
            "budget_nok": "100000",
            "max_amount_nok": "200000",
            "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
            "closes_at": (now - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
            "criteria_source": "scheme",
            **MGMT,
        },
    )
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["title"] == ["This field is required."]
    assert errors["closes_at"] == ["The deadline must be after the opening time."]
    assert errors["max_amount_nok"] == ["The cap per application cannot be larger than the budget."]
    assert Call.objects.count() == 0


def test_invalid_edit_keeps_what_was_typed_and_leaves_saved_fields_alone(client):
    app = ApplicationFactory()
    client.force_login(member_of(app.registry))

    response = client.post(
        reverse("grants:application_edit", args=[app.pk]),
        _edit_form(summary="Ny tekst", requested_amount_nok="nitti tusen"),
    )

    assert response.status_code == 200
    assert response.context["form"].errors["requested_amount_nok"] == ["Enter a number."]
    app.refresh_from_db()
    assert (app.summary, app.requested_amount_nok) == ("Bedre datakvalitet.", Decimal("90000.00"))
    assert app.draft_data["summary"] == ["Ny tekst"]
    page = client.get(reverse("grants:application_edit", args=[app.pk])).content.decode()
    assert "Ny tekst" in page and 'value="nitti tusen"' in page


def test_autosave_saves_valid_input(client):
    app = ApplicationFactory()
    client.force_login(member_of(app.registry))

    response = client.post(reverse("grants:application_autosave", args=[app.pk]), _edit_form(summary="Autolagret"))

    assert response.status_code == 200
    assert "Saved" in response.content.decode()
    app.refresh_from_db()
    assert (app.summary, app.draft_data) == ("Autolagret", {})


def test_autosave_keeps_invalid_input_as_draft(client):
    app = ApplicationFactory()
    client.force_login(member_of(app.registry))

    response = client.post(
        reverse("grants:application_autosave", args=[app.pk]), _edit_form(end_date="2026-01-01", summary="Halvferdig")
    )

    assert "Draft kept" in response.content.decode()
    app.refresh_from_db()
    assert app.summary == "Bedre datakvalitet."
    assert app.draft_data["end_date"] == ["2026-01-01"]


def test_budget_line_outside_the_period_is_refused_at_the_row(client):
    app = ApplicationFactory()
    client.force_login(member_of(app.registry))

    response = client.post(reverse("grants:application_edit", args=[app.pk]), _edit_form(**{"budget-0-year": "2030"}))

    assert response.status_code == 200
    assert response.context["budget"].forms[0].errors["year"] == [
        "The year must fall within the project period (2027–2027)."
    ]
    assert list(app.budget_lines.values_list("year", flat=True)) == [2027]


def test_submit_after_deadline_is_refused_with_the_deadline_in_the_message(client):
    call = CallFactory(closes_at=timezone.now() - timedelta(minutes=1), opens_at=timezone.now() - timedelta(days=9))
    app = ApplicationFactory(call=call)
    client.force_login(member_of(app.registry))

    response = client.post(reverse("grants:application_transition", args=[app.pk]), {"action": "submit"}, follow=True)

    text = [str(m) for m in response.context["messages"]]
    assert len(text) == 1 and text[0].startswith("The deadline for this call was ")
    app.refresh_from_db()
    assert app.state == "draft"


def test_grant_above_request_shows_the_field_error_and_changes_nothing(client):
    app = ApplicationFactory(state="recommended")
    client.force_login(UserFactory(is_decider=True))

    response = client.post(
        reverse("grants:application_transition", args=[app.pk]), {"action": "grant", "granted_amount_nok": "95000"}
    )

    assert response.status_code == 400
    grant_form = next(a for a in response.context["actions"] if a["name"] == "grant")
    assert grant_form["errors"] == {"amount": ["The granted amount cannot be more than the requested 90,000.00 NOK."]}
    app.refresh_from_db()
    assert (app.state, app.granted_amount_nok) == ("recommended", None)


def test_wrong_state_transition_gives_a_clear_message(client):
    app = ApplicationFactory(state="submitted")
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(
        reverse("grants:application_transition", args=[app.pk]), {"action": "complete_assessment"}, follow=True
    )

    assert [str(m) for m in response.context["messages"]] == [
        "This could not be done: “Complete the assessment” is not possible while the state is “Submitted”. "
        "Reload the page to see the current state."
    ]


def test_request_changes_without_reason_is_refused_at_the_comment(client):
    app = ApplicationFactory(state="submitted")
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(reverse("grants:application_transition", args=[app.pk]), {"action": "request_changes"})

    assert response.status_code == 400
    form = next(a for a in response.context["actions"] if a["name"] == "request_changes")
    assert form["errors"] == {"comment": ["Say what the applicant must change."]}


def test_new_application_for_a_registry_one_does_not_belong_to_is_refused(client):
    call = CallFactory()
    mine, other = RegistryFactory(), RegistryFactory()
    client.force_login(member_of(mine))

    response = client.post(reverse("grants:application_new", args=[call.pk]), {"registry": other.pk, "title": "X"})

    assert response.status_code == 200
    assert response.context["form"].errors["registry"] == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert Application.objects.count() == 0


def test_secretariat_defines_a_new_scheme_without_code(client):
    client.force_login(UserFactory(is_secretariat=True))
    data = {
        "code": "regional_west",
        "name": "Såkornmidlar",
        "name_en": "Seed funding",
        "decision_body": "Helse Vest",
        "default_max_amount_nok": "225000",
        "is_active": "on",
        "expert_group_name": "Faggruppe Vest",
        "criteria-TOTAL_FORMS": "2",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-id": "method",
        "criteria-0-name": "Metode",
        "criteria-0-weight": "2",
        "criteria-1-id": "user",
        "criteria-1-name": "Brukermedvirkning",
        "criteria-1-weight": "1",
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "0",
        "sections-0-key": "results",
        "sections-0-title": "Resultater",
    }

    response = client.post(reverse("grants:scheme_create"), data)

    assert response.status_code == 302
    scheme = Scheme.objects.get(code="regional_west")
    assert [(c.code, c.weight) for c in scheme.criteria.all()] == [
        ("method", Decimal("2.00")),
        ("user", Decimal("1.00")),
    ]
    assert scheme.final_report_sections == [{"key": "results", "title": "Resultater", "title_en": ""}]
    assert scheme.expert_group.name == "Faggruppe Vest"


def test_scheme_with_a_taken_code_is_refused(client):
    SchemeFactory(code="data_quality")
    client.force_login(UserFactory(is_secretariat=True))
    data = {
        "code": "data_quality",
        "name": "X",
        "decision_body": "Y",
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-id": "a",
        "criteria-0-name": "A",
        "criteria-0-weight": "1",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }

    response = client.post(reverse("grants:scheme_create"), data)

    assert response.status_code == 200
    assert response.context["form"].errors["code"] == ["Scheme with this Code already exists."]
    assert Scheme.objects.count() == 1


def test_applicant_timeline_does_not_reveal_who_reviews(client):
    from reviews.services import assign_reviewer
    from tests.factories import reviewer_for

    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme, full_name="Rita Fagfelle")
    secretariat = UserFactory(is_secretariat=True)
    assign_reviewer(app, by=secretariat, reviewer=reviewer)

    client.force_login(member_of(app.registry))
    applicant_page = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()
    client.force_login(secretariat)
    secretariat_page = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()

    assert "Rita Fagfelle" not in applicant_page
    assert "Reviewer assigned: Rita Fagfelle" in secretariat_page


def test_final_report_autosaves_while_typing(client):
    from tests.factories import ProjectFactory

    project = ProjectFactory(state="active")
    client.force_login(member_of(project.registry))

    response = client.post(
        reverse("projects:final_report_edit", args=[project.pk]),
        {"section_summary": "Halvveis"},
        HTTP_HX_REQUEST="true",
    )

    assert "Saved" in response.content.decode()
    project.final_report.refresh_from_db()
    assert project.final_report.sections == {"summary": "Halvveis", "results": ""}


def test_participants_and_team_are_saved_and_make_a_named_reviewer_conflicted(client):
    from core.exceptions import ActionRefused
    from reviews.services import assign_reviewer
    from tests.factories import OrganisationFactory, reviewer_for

    app = ApplicationFactory()
    partner = RegistryFactory(name="Partnerregisteret")
    unit = OrganisationFactory(level="hf", name="Helse Testby HF")
    colleague = reviewer_for(app.call.scheme, email="kollega@example.no")
    client.force_login(member_of(app.registry))

    response = client.post(
        reverse("grants:application_edit", args=[app.pk]),
        _edit_form(
            participating_registries=[partner.pk], participating_units=[unit.pk], team_emails="Kollega@example.no"
        ),
    )

    assert response.status_code == 302
    assert (list(app.participating_registries.all()), list(app.participating_units.all()), list(app.team.all())) == (
        [partner],
        [unit],
        [colleague],
    )
    Application.objects.filter(pk=app.pk).update(state="in_review")
    app.refresh_from_db()
    with pytest.raises(ActionRefused):
        assign_reviewer(app, by=UserFactory(is_secretariat=True), reviewer=colleague)


def test_an_unknown_team_email_is_refused_and_changes_nothing(client):
    app = ApplicationFactory()
    client.force_login(member_of(app.registry))

    response = client.post(
        reverse("grants:application_edit", args=[app.pk]), _edit_form(team_emails="ukjent@example.no")
    )

    assert response.context["form"].errors["team_emails"] == [
        "No user is registered with ukjent@example.no; ask the secretariat to add them first."
    ]
    assert app.team.count() == 0


def _scheme_post(**extra):
    return {
        "code": "regional_north",
        "name": "Nordmidler",
        "decision_body": "Helse Nord",
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "0",
        "criteria-MIN_NUM_FORMS": "1",
        "criteria-MAX_NUM_FORMS": "1000",
        "criteria-0-id": "a",
        "criteria-0-name": "A",
        "criteria-0-weight": "1",
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
        **extra,
    }


def test_a_scheme_sets_its_follow_up_and_payment_plan(client):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(
        reverse("grants:scheme_create"),
        _scheme_post(
            progress_report_months="4",
            final_report_months="2",
            agreement_template="Midlene skal brukes som avtalt.",
            payment_plan="agreement 0,4\nmilestone 0.3\n\nfinal_report 0.3",
        ),
    )

    assert response.status_code == 302
    scheme = Scheme.objects.get(code="regional_north")
    assert (scheme.progress_report_months, scheme.final_report_months, scheme.agreement_template) == (
        4,
        2,
        "Midlene skal brukes som avtalt.",
    )
    assert scheme.payment_plan == [
        {"trigger": "agreement", "share": "0.4"},
        {"trigger": "milestone", "share": "0.3"},
        {"trigger": "final_report", "share": "0.3"},
    ]
    edit = client.get(reverse("grants:scheme_edit", args=[scheme.pk]))
    assert edit.context["form"].initial["payment_plan"] == "agreement 0.4\nmilestone 0.3\nfinal_report 0.3"


def test_a_payment_plan_whose_shares_do_not_add_up_is_refused_on_its_field(client):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(
        reverse("grants:scheme_create"), _scheme_post(payment_plan="agreement 0.5\nfinal_report 0.4")
    )

    assert response.status_code == 200
    assert list(response.context["form"].errors) == ["payment_plan"]
    assert not Scheme.objects.filter(code="regional_north").exists()


def test_a_payment_plan_line_without_a_share_names_the_line(client):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(reverse("grants:scheme_create"), _scheme_post(payment_plan="agreement"))

    assert response.context["form"].errors["payment_plan"] == [
        "Line 1: write the trigger and the share, e.g. “agreement 0.5”."
    ]
