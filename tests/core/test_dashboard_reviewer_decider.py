"""The reviewer's dashboard (their assignments only, nothing of an application they are conflicted on) and the
decider's (what awaits a decision, counts and amounts per call); the same number of queries for 1 and 30 rows."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import ApplicationFactory, AssignmentFactory, CallFactory, UserFactory, reviewer_for
from tests.reviews.conflict_cases import make_conflict

from .dashboard_html import captions, tables

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate()
APPS = reverse("grants:application_list")
PORTFOLIO = ["Applications per call and state", "Budget per scheme and year (NOK)", "Overdue reviews"]


def _html(client, user):
    client.force_login(user)
    return client.get(reverse("dashboard")).content.decode()


def _queries(client, user):
    client.force_login(user)
    client.get(reverse("dashboard"))
    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("dashboard")).content.decode()
    return len(captured), html


# ---------------------------------------------------------------- the reviewer


def test_a_conflicted_reviewer_sees_nothing_of_that_application(client):
    call = CallFactory()
    reviewer = reviewer_for(call.scheme)
    AssignmentFactory(application__call=call, application__title="Min vurdering", reviewer=reviewer)
    hidden = AssignmentFactory(
        application__call=call, application__title="Inhabil", reviewer=reviewer, deadline=TODAY - timedelta(days=1)
    )
    make_conflict("declared", hidden.application, reviewer)

    html = _html(client, reviewer)

    assert ("Min vurdering" in html, "Inhabil" in html) == (True, False)
    assert [c for c in captions(html) if c in PORTFOLIO] == []


@pytest.mark.parametrize("n", [1, 30])
def test_the_reviewers_dashboard_needs_the_same_queries_for_1_and_30_assignments(client, n):
    call = CallFactory()
    reviewer = reviewer_for(call.scheme)
    for i in range(n):
        AssignmentFactory(application__call=call, reviewer=reviewer, deadline=TODAY + timedelta(days=i))
        conflicted = AssignmentFactory(application__call=call, reviewer=reviewer)
        make_conflict("declared", conflicted.application, reviewer)

    count, html = _queries(client, reviewer)

    assert (count, html.count('<span class="muted">')) == (5, n)  # one registry name per visible assignment


# ---------------------------------------------------------------- the decider


def test_the_decider_sees_counts_and_amounts_per_call_linking_to_the_list(client):
    call = CallFactory(title="Datakvalitet 2026", budget_nok=D("500000"))
    ApplicationFactory(call=call, state="recommended", proposed_amount_nok=D("70000"))
    ApplicationFactory(call=call, state="recommended", proposed_amount_nok=D("50000.40"))
    ApplicationFactory(call=call, state="not_recommended")
    ApplicationFactory(call=call, state="in_review")  # not ready for the decision body
    ApplicationFactory(state="granted")  # decided

    html = _html(client, UserFactory(is_decider=True))

    c = call.pk
    assert tables(html)["Awaiting the decision, per call"] == [
        ["Call", "Budget (NOK)", "Recommended", "Proposed (NOK)", "Not recommended"],
        [
            f"Datakvalitet 2026 <{reverse('grants:call_detail', args=[c])}>",
            "500,000",
            f"2 <{APPS}?call={c}&state=recommended>",
            f"120,000 <{APPS}?call={c}&state=recommended>",
            f"1 <{APPS}?call={c}&state=not_recommended>",
        ],
    ]
    assert [x for x in captions(html) if x in PORTFOLIO] == []


@pytest.mark.parametrize("n", [1, 30])
def test_the_deciders_dashboard_needs_the_same_queries_for_1_and_30_rows(client, n):
    for i in range(n):
        call = CallFactory()
        ApplicationFactory(call=call, state="recommended", proposed_amount_nok=D(1000 + i))
        ApplicationFactory(call=call, state="not_recommended")

    count, html = _queries(client, UserFactory(is_decider=True))

    assert (count, len(tables(html)["Awaiting the decision, per call"]) - 1) == (DECIDER_QUERIES, n)


DECIDER_QUERIES = 5  # session, user, memberships and expert groups, per call, the applications
