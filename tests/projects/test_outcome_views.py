"""Target indicators on the project pages, the chart, the final report's outcome and PDF, and the portfolio."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEntry
from grants.models import ApplicationIndicator
from projects import services
from projects.models import FinalReport
from projects.selectors import panel_chart, target_panels
from registries.models import IndicatorValue
from tests.factories import (
    ApplicationFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    RegistryFactory,
    UserFactory,
    member_of,
)

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def units():
    nation = OrganisationFactory(orgnr=1, name="Norge", level="nation")
    return (
        nation,
        OrganisationFactory(name="Sykehus A", parent=nation),
        OrganisationFactory(name="Sykehus B", parent=nation),
    )


@pytest.fixture
def indicator(units):
    """Funded 40/100 → 70/100 (A 10/50 → 30/50, B 30/50 → 40/50), the nation 500/1000 → 550/1000; B's 2022 value
    has a denominator under the minimum of 5."""
    nation, a, b = units
    ind = IndicatorFactory(
        id="hofte48",
        title="Andel operert innen 48 timer",
        direction=1,
        level_green=D("0.6"),
        level_yellow=D("0.45"),
        measure_unit="%",
    )
    rows = {
        2021: {a: (10, 50), b: (30, 50), nation: (500, 1000)},
        2022: {a: (20, 50), b: (2, 3), nation: (520, 1000)},
        2023: {a: (30, 50), b: (40, 50), nation: (550, 1000)},
    }
    IndicatorValue.objects.bulk_create(
        IndicatorValue(indicator=ind, organisation=org, year=year, numerator=D(n), denominator=D(d))
        for year, orgs in rows.items()
        for org, (n, d) in orgs.items()
    )
    return ind


def funded_project(indicator, units, state="active", registry=None):
    application = ApplicationFactory(
        registry=registry or RegistryFactory(),
        state="granted",
        granted_amount_nok=D("90000.00"),
        start_date=date(2022, 1, 1),
        end_date=date(2023, 12, 31),
    )
    application.participating_units.set(units[1:])
    ApplicationIndicator.objects.create(
        application=application,
        indicator=indicator,
        baseline_value=D("0.4"),
        baseline_year=2021,
        target_value=D("0.65"),
        target_date=date(2023, 12, 31),
    )
    return ProjectFactory(application=application, state=state)


@pytest.fixture
def project(indicator, units):
    return funded_project(indicator, units)


@pytest.fixture
def member(project):
    return member_of(project.registry)


def chart_url(project, indicator_id):
    return reverse("projects:indicator_chart", args=[project.pk, indicator_id])


# ---------------------------------------------------------------- the chart


def test_the_chart_is_an_svg_for_a_project_member_with_nosniff_and_a_closed_csp(client, project, member):
    client.force_login(member)

    response = client.get(chart_url(project, "hofte48"))

    assert (response.status_code, response["Content-Type"], response["X-Content-Type-Options"]) == (
        200,
        "image/svg+xml",
        "nosniff",
    )
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert response.content.decode() == panel_chart(target_panels(project)[0])
    assert ("Sykehus A" in response.content.decode(), "Norge" in response.content.decode()) == (True, False)


def test_the_chart_is_the_same_for_the_secretariat(client, project):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.get(chart_url(project, "hofte48"))

    assert (response.status_code, response.content.decode()) == (200, panel_chart(target_panels(project)[0]))


def test_the_chart_of_another_registrys_project_or_of_an_indicator_that_is_no_target_is_not_found(
    client, project, member
):
    other = IndicatorFactory(id="annen")
    client.force_login(member_of(RegistryFactory()))
    stranger = client.get(chart_url(project, "hofte48")).status_code
    client.force_login(member)

    assert (stranger, client.get(chart_url(project, other.pk)).status_code) == (404, 404)


# ---------------------------------------------------------------- the pages


def test_the_project_page_shows_each_target_indicator_with_chart_table_baseline_target_and_latest(
    client, project, member
):
    client.force_login(member)

    html = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()

    assert (
        f'<img src="{chart_url(project, "hofte48")}" width="691" height="346" alt="Line chart of Andel operert' in html
    )
    assert "from 2021 to 2023 for the participating units and the nation" in html
    assert '<th scope="row">Sykehus B</th><td class="num">60.0 % <span class="badge level-high">High</span>' in html
    assert '<span class="muted">fewer than 5</span>' in html  # B in 2022
    assert "<dt>Baseline</dt><dd>40.0 % (2021)</dd>" in html
    assert "<dt>Target</dt><dd>65 % or higher (2023-12-31)</dd>" in html
    assert '<td>80.0 % <span class="badge level-high">High</span>\n <span class="muted">(2023)</span></td>' in html
    assert "style=" not in html


def test_the_project_page_shows_the_live_outcome_before_the_report_is_submitted(client, project, member):
    client.force_login(member)

    html = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()

    assert "Measured on the data delivered so far" in html
    assert "<dt>Change</dt><dd>+30.0 percentage points</dd>" in html
    assert "<dt>National change</dt><dd>+5.0 percentage points</dd>" in html
    assert "<dt>Difference in differences</dt><dd>+25.0 percentage points · better than the nation</dd>" in html
    assert "<dt>Target reached</dt><dd>Yes</dd>" in html


def test_the_progress_report_page_shows_the_form_and_the_charts(client, project, member):
    milestone = MilestoneFactory(project=project)
    client.force_login(member)

    html = client.get(reverse("projects:milestone_report", args=[project.pk, milestone.pk])).content.decode()

    assert f'action="{reverse("projects:milestone_report", args=[project.pk, milestone.pk])}"' in html
    assert f'<img src="{chart_url(project, "hofte48")}"' in html


def test_the_progress_report_page_shows_the_secretariat_no_form(client, project):
    milestone = MilestoneFactory(project=project, state="reported", report_text="Rutinen er innført.")
    client.force_login(UserFactory(is_secretariat=True))

    html = client.get(reverse("projects:milestone_report", args=[project.pk, milestone.pk])).content.decode()

    assert ("<textarea" in html, "Rutinen er innført." in html, chart_url(project, "hofte48") in html) == (
        False,
        True,
        True,
    )


# ---------------------------------------------------------------- freezing the outcome


def _complete(project):
    FinalReport.objects.filter(project=project).update(sections={"summary": "Kortere ventetid.", "results": "Bedre."})


def test_submitting_the_final_report_freezes_the_outcome(project, member):
    _complete(project)

    services.submit_final_report(project, by=member)

    report = FinalReport.objects.get(project=project)
    item = report.outcome["indicators"][0]
    assert (item["indicator_id"], item["change"], item["national_change"], item["did"], item["target_reached"]) == (
        "hofte48",
        "0.3",
        "0.05",
        "0.25",
        True,
    )
    assert report.outcome_at == report.submitted_at


def test_approving_freezes_the_outcome_again_on_the_data_of_that_day(client, project, member, indicator):
    _complete(project)
    services.submit_final_report(project, by=member)
    IndicatorValue.objects.filter(indicator=indicator, year=2023, organisation_id=1).update(numerator=D(700))

    closed = services.approve_final_report(project, by=UserFactory(is_secretariat=True))

    report = FinalReport.objects.get(project=project)
    assert (report.outcome["indicators"][0]["did"], report.outcome_at) == ("0.1", closed.closed_at)


def test_the_page_shows_the_frozen_outcome_not_a_later_redelivery(client, project, member, indicator):
    _complete(project)
    services.submit_final_report(project, by=member)
    IndicatorValue.objects.filter(indicator=indicator, year=2023, organisation_id=1).update(numerator=D(700))
    client.force_login(member)

    html = client.get(reverse("projects:project_detail", args=[project.pk])).content.decode()

    assert "As measured when the final report was submitted or approved" in html
    assert "+25.0 percentage points · better than the nation" in html


# ---------------------------------------------------------------- the PDF


def test_the_final_report_pdf_has_the_sections_the_outcome_and_the_chart(client, project, member):
    _complete(project)
    client.force_login(member)

    response = client.get(reverse("projects:final_report_pdf", args=[project.pk]))

    pdf = b"".join(response.streaming_content)
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert (response["Content-Type"], response["X-Content-Type-Options"], pdf[:5]) == (
        "application/pdf",
        "nosniff",
        b"%PDF-",
    )
    for expected in (project.title, "Kortere ventetid.", "Outcome", "+25.0 percentage points", "Sykehus A"):
        assert expected in text
    assert text.count("Andel operert innen 48 timer") >= 2  # the outcome's heading and the chart's title
    assert AuditEntry.objects.filter(action="projects.finalreport.download", actor=member).count() == 1


def test_the_final_report_pdf_is_not_found_for_another_registry(client, project):
    client.force_login(member_of(RegistryFactory()))

    assert client.get(reverse("projects:final_report_pdf", args=[project.pk])).status_code == 404


# ---------------------------------------------------------------- the portfolio


def test_the_portfolio_groups_closed_projects_by_scheme_and_year_with_counts(client, indicator, units):
    closed = funded_project(indicator, units, state="closed")
    funded_project(indicator, units, state="active")  # not closed: not in the portfolio
    client.force_login(UserFactory(is_secretariat=True))

    html = client.get(reverse("projects:portfolio")).content.decode()

    assert '<h2 id="group-1">Data quality 2026</h2>' in html
    assert "Target reached: 1 of 1 evaluated target indicators." in html
    assert html.count("<td>Andel operert innen 48 timer</td>") == 1
    assert f'<a href="{reverse("projects:project_detail", args=[closed.pk])}">{closed.title}</a>' in html
    assert '<td class="num">+30.0 percentage points</td><td class="num">+25.0 percentage points</td>' in html


def test_the_portfolio_is_for_the_secretariat_only(client, indicator, units):
    project = funded_project(indicator, units, state="closed")
    anonymous = client.get(reverse("projects:portfolio"))
    client.force_login(member_of(project.registry))

    assert (anonymous.status_code, anonymous["Location"].startswith("/accounts/login/")) == (302, True)
    assert client.get(reverse("projects:portfolio")).status_code == 403


def _portfolio_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("projects:portfolio"))
    assert response.status_code == 200
    return len(captured)


def test_the_portfolio_runs_the_same_number_of_queries_for_1_and_30_projects(client, indicator, units):
    client.force_login(UserFactory(is_secretariat=True))
    funded_project(indicator, units, state="closed")
    one = _portfolio_queries(client)
    for _ in range(29):
        funded_project(indicator, units, state="closed")

    assert _portfolio_queries(client) == one


def test_the_portfolio_reads_the_frozen_outcome_with_the_same_number_of_queries(client, indicator, units):
    client.force_login(UserFactory(is_secretariat=True))
    projects = [funded_project(indicator, units, state="closed") for _ in range(30)]
    frozen = {
        "indicators": [{"indicator_id": "hofte48", "title": "Frosset", "units": [], "reason": "no_followup_data"}]
    }
    FinalReport.objects.filter(project=projects[0]).update(outcome=frozen, outcome_at=timezone.now())
    mixed = _portfolio_queries(client)
    FinalReport.objects.filter(project__in=projects).update(outcome=frozen, outcome_at=timezone.now())

    html = client.get(reverse("projects:portfolio")).content.decode()

    assert _portfolio_queries(client) <= mixed
    assert (html.count("<td>Frosset</td>"), html.count("Not measurable")) == (30, 30)


def test_user_text_in_the_final_report_pdf_fetches_no_file_and_no_external_url(project):
    from core.pdf import DataOnlyFetcher, render_pdf_template
    from projects.final_reports import context as final_report_context

    hostile = '<img src="file:///etc/passwd"><link rel="stylesheet" href="https://example.com/x.css">'
    FinalReport.objects.filter(project=project).update(sections={"summary": hostile, "results": "Bedre."})
    fetcher = DataOnlyFetcher()

    pdf = render_pdf_template("pdf/final_report.html", final_report_context(project), fetcher=fetcher)

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert (fetcher.refused, "file:///etc/passwd" in text, "https://example.com/x.css" in text) == ([], True, True)
