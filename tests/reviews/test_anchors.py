"""Scale anchors: the secretariat describes steps of the 1-7 scale per criterion on the scheme and the call; new
calls copy the scheme's; the review form shows them beside the score fields (tests/reviews/test_phases.py)."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from grants.forms import AnchorsField
from grants.models import Call, Scheme
from tests.factories import CallFactory, SchemeFactory, UserFactory

from .conflict_cases import web

pytestmark = pytest.mark.django_db

ANCHORS_TEXT = "1: Ingen metode\n4: Rimelig, med svakheter\n\n7: Fremragende"
ANCHORS = {"1": "Ingen metode", "4": "Rimelig, med svakheter", "7": "Fremragende"}


def _scheme_form(**criterion):
    return {
        "code": "regional_west",
        "name": "Såkornmidlar",
        "decision_body": "Helse Vest",
        "is_active": "on",
        "criteria-TOTAL_FORMS": "1",
        "criteria-INITIAL_FORMS": "0",
        "criteria-0-id": "method",
        "criteria-0-name": "Metode",
        "criteria-0-weight": "2",
        **{f"criteria-0-{k}": v for k, v in criterion.items()},
        "sections-TOTAL_FORMS": "0",
        "sections-INITIAL_FORMS": "0",
    }


def test_the_scheme_form_saves_description_and_anchors_and_shows_them_again():
    client = web(UserFactory(is_secretariat=True))

    created = client.post(
        reverse("grants:scheme_create"), _scheme_form(description="Er metoden egnet?", anchors=ANCHORS_TEXT)
    )
    scheme = Scheme.objects.get(code="regional_west")
    edit = client.get(reverse("grants:scheme_edit", args=[scheme.pk]))

    assert created.status_code == 302
    assert list(scheme.criteria.values_list("description", "anchors")) == [("Er metoden egnet?", ANCHORS)]
    assert "1: Ingen metode\n4: Rimelig, med svakheter\n7: Fremragende</textarea>" in edit.content.decode()


@pytest.mark.parametrize(
    ("typed", "error"),
    [
        ("8: For høyt", "Write each anchor as a step from 1 to 7, a colon and its description: “8: For høyt”."),
        ("Ingen kolon", "Write each anchor as a step from 1 to 7, a colon and its description: “Ingen kolon”."),
        ("3:", "Write each anchor as a step from 1 to 7, a colon and its description: “3:”."),
        ("2: En\n2: To", "Step 2 is described twice."),
    ],
)
def test_a_malformed_anchor_is_refused_at_its_field(typed, error):
    client = web(UserFactory(is_secretariat=True))

    response = client.post(reverse("grants:scheme_create"), _scheme_form(anchors=typed))

    assert response.context["criteria"].forms[0].errors == {"anchors": [error]}
    assert Scheme.objects.filter(code="regional_west").exists() is False


def test_a_new_call_copies_the_schemes_anchors_and_a_draft_call_edits_them():
    scheme = SchemeFactory()
    scheme.criteria.filter(code="methodology").update(description="Egnet metode?", anchors=ANCHORS)
    client = web(UserFactory(is_secretariat=True))
    now = timezone.now()
    call_form = {
        "scheme": scheme.pk,
        "title": "Datakvalitet 2027",
        "year": "2027",
        "budget_nok": "500000",
        "opens_at": now.strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M"),
        "criteria_source": "scheme",
        "criteria-TOTAL_FORMS": "0",
        "criteria-INITIAL_FORMS": "0",
    }

    client.post(reverse("grants:call_create"), call_form)
    call = Call.objects.get(title="Datakvalitet 2027")
    copied = call.criteria.get(code="methodology")
    edit = {
        **call_form,
        "criteria-TOTAL_FORMS": "1",
        "criteria-0-id": "methodology",
        "criteria-0-name": "Metode",
        "criteria-0-weight": "1",
        "criteria-0-description": "Ny beskrivelse",
        "criteria-0-anchors": "7: Best",
    }
    client.post(reverse("grants:call_edit", args=[call.pk]), edit)

    assert (copied.description, copied.anchors) == ("Egnet metode?", ANCHORS)
    assert list(call.criteria.values_list("code", "description", "anchors")) == [
        ("methodology", "Ny beskrivelse", {"7": "Best"})
    ]


def test_an_open_calls_criteria_and_anchors_stay_as_they_were():
    call = CallFactory(state="open")
    call.criteria.update(anchors={"4": "Middels"})

    page = web(UserFactory(is_secretariat=True)).get(reverse("grants:call_edit", args=[call.pk]))

    assert "Criteria can only be changed while the call is a draft." in page.content.decode()


def test_the_field_reads_and_writes_the_lines():
    field = AnchorsField()

    assert field.clean(" 7 : Best \n1:Dårlig") == {"7": "Best", "1": "Dårlig"}
    assert field.prepare_value({"7": "Best", "1": "Dårlig"}) == "1: Dårlig\n7: Best"
    assert field.clean("") == {}
