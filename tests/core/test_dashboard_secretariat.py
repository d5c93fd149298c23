"""The secretariat's dashboard: applications per call and state, money per scheme and year, what is overdue and
the projects at risk, each figure linking to the list behind it; the same number of queries for 1 and 30 rows."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.models import ApplicationIndicator
from projects.models import ProgressReport
from registries.models import IndicatorValue
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    RegistryFactory,
    ReviewFactory,
    SchemeFactory,
    UserFactory,
    member_of,
)

from .dashboard_html import captions, tables

pytestmark = pytest.mark.django_db
D = Decimal
TODAY = timezone.localdate()
APPS = reverse("grants:application_list")


def _page(client, user=None):
    client.force_login(user or UserFactory(is_secretariat=True))
    return client.get(reverse("dashboard")).content.decode()


# ---------------------------------------------------------------- applications per call and state


def test_applications_per_call_count_what_was_handed_in_with_links_to_the_filtered_list(client):
    open_call = CallFactory(title="Åpen", year=TODAY.year)
    last_year = CallFactory(title="Fjorårets", year=TODAY.year - 1, state="decided")
    old = CallFactory(title="Gammel", year=TODAY.year - 3, state="decided")
    CallFactory(title="Utkast", year=TODAY.year, state="draft")  # neither open nor with applications: no row
    for state in ["submitted", "submitted", "in_review", "draft"]:
        ApplicationFactory(call=open_call, state=state)
    ApplicationFactory(call=open_call, state="withdrawn")  # withdrawn before it was submitted: never handed in
    ApplicationFactory(call=last_year, state="withdrawn", submitted_at=timezone.now())
    ApplicationFactory(call=old, state="granted")

    table = tables(_page(client))["Applications per call and state"]

    o, y = open_call.pk, last_year.pk
    assert table[0] == [
        *["Call", "Submitted", "Changes requested", "Ineligible", "In review", "Assessed", "Recommended"],
        *["Not recommended", "Granted", "Rejected", "Withdrawn", "Total"],
    ]
    assert table[1:] == [
        [
            f"Åpen <{reverse('grants:call_detail', args=[o])}>",
            *[f"2 <{APPS}?call={o}&state=submitted>", "0", "0", f"1 <{APPS}?call={o}&state=in_review>"],
            *["0", "0", "0", "0", "0", "0", f"3 <{APPS}?call={o}>"],
        ],
        [
            f"Fjorårets <{reverse('grants:call_detail', args=[y])}>",
            *["0", "0", "0", "0", "0", "0", "0", "0", "0", f"1 <{APPS}?call={y}&state=withdrawn>"],
            f"1 <{APPS}?call={y}>",
        ],
        [
            "All calls, every year",
            *[f"2 <{APPS}?state=submitted>", "0", "0", f"1 <{APPS}?state=in_review>", "0", "0", "0"],
            *[f"1 <{APPS}?state=granted>", "0", f"1 <{APPS}?state=withdrawn>", f"5 <{APPS}>"],
        ],
    ]


# ---------------------------------------------------------------- money per scheme and year


def test_the_budget_per_scheme_and_year_adds_calls_recommendations_grants_and_payments(client):
    dq = SchemeFactory()
    qi = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring", name_en="Quality improvement")
    this_year = CallFactory(scheme=dq, year=2026, budget_nok=D("500000"))
    CallFactory(scheme=dq, year=2026, budget_nok=D("250000.40"), state="closed")
    qi_call = CallFactory(scheme=qi, year=2025, budget_nok=D("1000000"))
    ApplicationFactory(call=this_year, state="recommended", proposed_amount_nok=D("70000"))
    ApplicationFactory(call=this_year, state="recommended", proposed_amount_nok=D("30000"))
    ApplicationFactory(call=this_year, state="not_recommended")
    granted = ApplicationFactory(call=qi_call, state="granted", granted_amount_nok=D("90000"))
    project = ProjectFactory(application=granted, state="active")  # two payments of 45,000
    project.payments.filter(pk=project.payments.order_by("pk").first().pk).update(state="paid")

    table = tables(_page(client))["Budget per scheme and year (NOK)"]

    calls, payments = reverse("grants:call_list"), reverse("finance:payment_list")
    assert table == [
        ["Scheme", "Year", "Available", "Recommended", "Granted", "Paid"],
        [
            "Data quality",
            "2026",
            f"750,000 <{calls}?scheme=data_quality&year=2026>",  # 750,000.40 in whole kroner
            f"100,000 <{APPS}?scheme=data_quality&year=2026&state=recommended>",
            f"0 <{APPS}?scheme=data_quality&year=2026&state=granted>",
            f"0 <{payments}?scheme=data_quality&year=2026&state=paid>",
        ],
        [
            "Quality improvement",
            "2025",
            f"1,000,000 <{calls}?scheme=quality_improvement&year=2025>",
            f"0 <{APPS}?scheme=quality_improvement&year=2025&state=recommended>",
            f"90,000 <{APPS}?scheme=quality_improvement&year=2025&state=granted>",
            f"45,000 <{payments}?scheme=quality_improvement&year=2025&state=paid>",
        ],
    ]


# ---------------------------------------------------------------- overdue


def _active(title, **kwargs):
    return ProjectFactory(application__title=title, application__registry__short_name="NNRR", state="active", **kwargs)


def _report(project, number, due, state="due"):
    return ProgressReport.objects.create(
        project=project,
        number=number,
        period_start=due - timedelta(days=200),
        period_end=due - timedelta(days=30),
        due_date=due,
        state=state,
    )


def test_overdue_progress_reports_final_reports_and_reviews_link_to_the_objects(client):
    late = _active("Sen rapport")
    report = _report(late, 2, TODAY - timedelta(days=10))
    _report(late, 3, TODAY + timedelta(days=10))  # not yet due
    _report(late, 1, TODAY - timedelta(days=40), state="submitted")  # handed in
    _report(ProjectFactory(state="terminated"), 1, TODAY - timedelta(days=5))  # the project has ended
    final = _active("Sluttrapport mangler", final_report_due=TODAY - timedelta(days=5))
    _active("I rute", final_report_due=TODAY)  # due today: not overdue
    ProjectFactory(state="final_report_submitted", final_report_due=TODAY - timedelta(days=5))  # handed in
    waiting = AssignmentFactory(
        application__title="Venter på vurdering", application__registry__short_name="NKR", deadline=TODAY - timedelta(3)
    )
    waiting.reviewer.full_name = "Rita Reviewer"
    waiting.reviewer.save()
    ReviewFactory(application=waiting.application, reviewer=waiting.reviewer, state="draft")  # a draft is not in
    done = AssignmentFactory(deadline=TODAY - timedelta(days=3))
    ReviewFactory(application=done.application, reviewer=done.reviewer, state="submitted")
    AssignmentFactory(deadline=TODAY - timedelta(days=3), application__state="assessed")  # review is over

    found = tables(_page(client))
    day = lambda d: d.strftime("%Y-%m-%d")  # noqa: E731

    assert found["Overdue progress reports"] == [
        ["Project", "Registry", "Report", "Due", "Days overdue"],
        [
            f"Sen rapport <{reverse('projects:progress_report', args=[late.pk, report.pk])}>",
            "NNRR",
            "Progress report 2",
            day(TODAY - timedelta(days=10)),
            "10",
        ],
    ]
    assert found["Overdue final reports"] == [
        ["Project", "Registry", "Report", "Due", "Days overdue"],
        [
            f"Sluttrapport mangler <{reverse('projects:project_detail', args=[final.pk])}>",
            "NNRR",
            "Final report",
            day(TODAY - timedelta(days=5)),
            "5",
        ],
    ]
    assert found["Overdue reviews"] == [
        ["Application", "Registry", "Reviewer", "Due", "Days overdue"],
        [
            f"Venter på vurdering <{reverse('grants:application_detail', args=[waiting.application.pk])}>",
            "NKR",
            "Rita Reviewer",
            day(TODAY - timedelta(days=3)),
            "3",
        ],
    ]


# ---------------------------------------------------------------- projects at risk


@pytest.fixture
def units():
    nation = OrganisationFactory(orgnr=1, name="Norge", level="nation")
    return (
        nation,
        OrganisationFactory(name="Sykehus A", parent=nation),
        OrganisationFactory(name="Sykehus B", parent=nation),
    )


def _indicator(units, ind_id, direction, before, after):
    """The funded units A and B deliver `before` of 100 in 2021 and `after` of 100 in 2023 (half each)."""
    nation, a, b = units
    indicator = IndicatorFactory(id=ind_id, title=f"Indikator {ind_id}", direction=direction, measure_unit="%")
    rows = [
        (year, org, num, den)
        for year, n in ((2021, before), (2023, after))
        for org, num, den in ((a, n // 2, 50), (b, n // 2, 50), (nation, 500, 1000))
    ]
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator=indicator, organisation=org, year=year, numerator=D(num), denominator=D(den))
        for year, org, num, den in rows
    )
    return indicator


def _funded(units, indicator, title, state="active"):
    application = ApplicationFactory(
        title=title,
        state="granted",
        granted_amount_nok=D("90000"),
        start_date=date(2022, 1, 1),
        end_date=date(2023, 12, 31),
    )
    application.participating_units.set(units[1:])
    ApplicationIndicator.objects.create(
        application=application,
        indicator=indicator,
        baseline_year=2021,
        target_value=D("0.6"),
        target_date=date(2023, 12, 31),
    )
    return ProjectFactory(application=application, state=state)


def test_projects_at_risk_late_milestones_and_indicators_moving_the_wrong_way(client, units):
    worse = _indicator(units, "hofte48", direction=1, before=40, after=30)  # higher is better, and it fell
    fewer = _indicator(units, "reop", direction=0, before=40, after=30)  # lower is better, and it fell
    bad = _funded(units, worse, "Går feil vei")
    _funded(units, fewer, "Går riktig vei")
    _funded(units, worse, "Avsluttet", state="closed")  # not active: not at risk
    milestone = MilestoneFactory(project=bad, title="Datauttrekk", due_date=TODAY - timedelta(days=7))
    MilestoneFactory(project=bad, title="Reported", due_date=TODAY - timedelta(days=7), state="reported")
    MilestoneFactory(project=bad, title="Framtidig", due_date=TODAY + timedelta(days=7))

    found = tables(_page(client))

    link = f"Går feil vei <{reverse('projects:project_detail', args=[bad.pk])}>"
    registry = str(bad.registry)
    assert found["Overdue milestones"] == [
        ["Project", "Registry", "Milestone", "Due", "Days overdue"],
        [link, registry, "Datauttrekk", milestone.due_date.strftime("%Y-%m-%d"), "7"],
    ]
    assert found["Target indicators moving the wrong way"] == [
        ["Project", "Registry", "Indicator", "Baseline", "Latest", "Change"],
        [link, registry, "Indikator hofte48", "40.0 % (2021)", "30.0 % (2023)", "−10.0 percentage points"],
    ]


# ---------------------------------------------------------------- who sees it


def test_only_the_secretariat_sees_the_portfolio(client):
    ApplicationFactory(title="Fremmed søknad", state="submitted")
    registry = RegistryFactory()

    html = _page(client, member_of(registry))

    secretariat_only = [
        "Applications per call and state",
        "Budget per scheme and year (NOK)",
        "Overdue progress reports",
        "Overdue reviews",
        "Target indicators moving the wrong way",
    ]
    assert [c for c in captions(html) if c in secretariat_only] == []
    assert "Fremmed søknad" not in html


# ---------------------------------------------------------------- queries


def _portfolio(n, units, indicator):
    """n of every row the secretariat's dashboard shows: calls with applications, projects with a paid payment, a
    late milestone, an overdue progress report and final report and a target indicator moving the wrong way, and
    overdue review assignments."""
    for i in range(n):
        call = CallFactory(year=TODAY.year - i % 2)
        ApplicationFactory(
            call=call, state=["submitted", "recommended", "in_review"][i % 3], proposed_amount_nok=D(1000)
        )
        project = _funded(units, indicator, f"Prosjekt {i}")
        project.final_report_due = TODAY - timedelta(days=1)
        project.save()
        project.payments.update(state="paid")
        MilestoneFactory(project=project, due_date=TODAY - timedelta(days=2))
        _report(project, 1, TODAY - timedelta(days=3))
        AssignmentFactory(deadline=TODAY - timedelta(days=4))


def _queries(client):
    client.get(reverse("dashboard"))  # sessions and caches warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("dashboard"))
    assert response.status_code == 200
    return len(captured), response.content.decode()


@pytest.mark.parametrize("n", [1, 30])
def test_the_secretariats_dashboard_needs_the_same_queries_for_1_and_30_rows(client, units, n):
    _portfolio(n, units, _indicator(units, "hofte48", direction=1, before=40, after=30))
    client.force_login(UserFactory(is_secretariat=True))

    count, html = _queries(client)

    wrong_way = tables(html)["Target indicators moving the wrong way"]
    assert (count, len(wrong_way) - 1) == (SECRETARIAT_QUERIES, min(n, 20))


SECRETARIAT_QUERIES = 27
