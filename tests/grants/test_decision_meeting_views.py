"""The decision meeting on the web: the form per role, a refused decision shown at its application, the record."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from grants.decisions import record_decision_meeting
from grants.models import Decision, DecisionMeeting
from tests.factories import ApplicationFactory, CallFactory, UserFactory, member_of, reviewer_for

from .test_decision_meeting import HELD_ON, UNDECIDED, decisions, states

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_meeting(time_machine):
    time_machine.move_to("2026-10-20 12:00 +02:00")


@pytest.fixture
def call():
    call = CallFactory(state="closed", title="Datakvalitet 2026", max_amount_nok=Decimal("100000.00"))
    ApplicationFactory(call=call, title="Bedre dekningsgrad", state="recommended", proposed_amount_nok=Decimal("85000"))
    ApplicationFactory(
        call=call,
        title="Validering mot pasientjournal",
        state="recommended",
        requested_amount_nok=Decimal("95000.00"),
        proposed_amount_nok=Decimal("92300.00"),
    )
    ApplicationFactory(call=call, title="Ny variabelliste", state="not_recommended")
    return call


@pytest.fixture
def decider():
    return UserFactory(is_decider=True, full_name="Ida Beslutter")


def form_data(call, **overrides) -> dict[str, str]:
    data = {
        "held_on": "2026-10-15",
        "body": "IRA",
        "attendees": "Leder og fire medlemmer.",
        "minutes": "Innstillingen ble fulgt.",
        "recommendation": "",
    }
    for application in call.applications.all():
        prefix = f"d{application.pk}"
        granted = application.state == "recommended"
        data |= {
            f"{prefix}-outcome": "grant" if granted else "reject",
            f"{prefix}-amount_nok": str(application.proposed_amount_nok or ""),
            f"{prefix}-conditions": "Sluttrapport innen 1. mars 2028."
            if application.title == "Bedre dekningsgrad"
            else "",
            f"{prefix}-comment": "",
        }
    return data | overrides


def url(call) -> str:
    return reverse("decisions:meeting", args=[call.pk])


# ---------------------------------------------------------------- the form


def test_the_form_proposes_the_recommended_outcome_and_amount_for_each_application(client, call, decider):
    first = call.applications.get(title="Bedre dekningsgrad")
    client.force_login(decider)

    response = client.get(url(call))

    forms = {a.title: (f["outcome"].value(), f["amount_nok"].value()) for a, f in response.context["rows"]}
    assert forms == {
        "Bedre dekningsgrad": ("grant", Decimal("85000.00")),
        "Ny variabelliste": ("reject", None),
        "Validering mot pasientjournal": ("grant", Decimal("92300.00")),
    }
    assert (response.context["form"]["body"].value(), "decided_by" in response.context["form"].fields) == ("IRA", False)
    assertContains(response, f'name="d{first.pk}-amount_nok"')


def test_the_secretariat_is_asked_on_whose_behalf_it_records(client, call, decider):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.get(url(call))

    choices = [label for _value, label in response.context["form"].fields["decided_by"].choices][1:]
    assert choices == [str(decider)]


def test_a_decider_records_the_meeting_on_the_web(client, call, decider):
    client.force_login(decider)

    response = client.post(url(call), form_data(call))

    meeting = DecisionMeeting.objects.get()
    assert (response.status_code, response["Location"]) == (
        302,
        reverse("decisions:meeting_detail", args=[meeting.pk]),
    )
    assert [row[1] for row in states(call)] == ["granted", "rejected", "granted"]


def test_the_secretariat_records_on_the_web_for_the_named_decider(client, call, decider):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(url(call), form_data(call, decided_by=str(decider.pk)))

    assert (response.status_code, Decision.objects.count()) == (302, 3)


def test_a_refused_decision_is_shown_at_its_application_and_nothing_is_saved(client, call, decider):
    first = call.applications.get(title="Bedre dekningsgrad")
    client.force_login(decider)

    response = client.post(url(call), form_data(call, **{f"d{first.pk}-amount_nok": "90000.01"}))

    rows = {a.title: f for a, f in response.context["rows"]}
    assert (response.status_code, rows["Bedre dekningsgrad"].errors, states(call), DecisionMeeting.objects.count()) == (
        400,
        {"amount_nok": ["“Bedre dekningsgrad”: The granted amount cannot be more than the requested 90,000.00 NOK."]},
        UNDECIDED,
        0,
    )
    assertContains(response, "The meeting was not recorded: 1 decision was refused.", status_code=400)


def test_the_secretariat_without_a_decider_gets_the_form_back(client, call):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.post(url(call), form_data(call))

    assert (response.status_code, list(response.context["form"].errors)) == (400, ["decided_by"])


@pytest.mark.parametrize("who", ["applicant", "reviewer", "stranger"])
def test_no_one_else_may_open_or_post_the_meeting_form(client, call, who):
    users = {
        "applicant": lambda: member_of(call.applications.first().registry),
        "reviewer": lambda: reviewer_for(call.scheme),
        "stranger": UserFactory,
    }
    client.force_login(users[who]())

    statuses = (client.get(url(call)).status_code, client.post(url(call), form_data(call)).status_code)

    assert (statuses, DecisionMeeting.objects.count()) == ((403, 403), 0)


def test_the_form_makes_as_many_queries_for_30_applications_as_for_1(client, decider):
    def queries(n: int) -> int:
        big = CallFactory(state="closed")
        for _ in range(n):
            ApplicationFactory(call=big, state="recommended", proposed_amount_nok=Decimal("1000"))
        client.force_login(decider)
        with CaptureQueriesContext(connection) as captured:
            client.get(url(big))
        return len(captured)

    assert queries(1) == queries(30)


# ---------------------------------------------------------------- the record


def test_the_meeting_record_lists_the_decisions_and_their_letters(client, call, decider):
    meeting = record_decision_meeting(
        call, by=decider, held_on=HELD_ON, body="IRA", attendees="Leder.", decisions=decisions(call)
    )
    client.force_login(UserFactory(is_secretariat=True))

    response = client.get(reverse("decisions:meeting_detail", args=[meeting.pk]))

    assert [(d.application.title, d.outcome) for d in response.context["decisions"]] == [
        ("Bedre dekningsgrad", "grant"),
        ("Validering mot pasientjournal", "grant"),
        ("Ny variabelliste", "reject"),
    ]
    assertContains(response, "Sluttrapport innen 1. mars 2028.")
    assertContains(response, "The letter is being made.", count=3)


@pytest.mark.parametrize(("who", "status"), [("decider", 200), ("applicant", 403), ("reviewer", 403)])
def test_the_meeting_record_is_for_the_secretariat_and_the_decision_body(client, call, decider, who, status):
    meeting = record_decision_meeting(
        call, by=decider, held_on=HELD_ON, body="IRA", attendees="Leder.", decisions=decisions(call)
    )
    users = {
        "decider": lambda: decider,
        "applicant": lambda: member_of(call.applications.first().registry),
        "reviewer": lambda: reviewer_for(call.scheme),
    }
    client.force_login(users[who]())

    response = client.get(reverse("decisions:meeting_detail", args=[meeting.pk]))

    assert response.status_code == status
    if status == 403:
        assertNotContains(response, "Leder.", status_code=403)
