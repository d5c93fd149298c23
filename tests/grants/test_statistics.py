"""The statistics page: funding, success rate, days to decision and targets reached per year and scheme, its charts,
who sees which figures, its filters and its query count."""

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from fractions import Fraction

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from grants.statistics import DaysRow, Filters, days_to_decision, funding, project_reached, scope_for, targets_reached
from projects.models import FinalReport
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ProjectFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)
from tests.test_i18n import MO_FILE

pytestmark = pytest.mark.django_db
D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
T0 = datetime(2024, 3, 1, 12, tzinfo=UTC)
PAGE = reverse("grants:statistics")


def chart_url(name, query=""):
    return reverse("grants:statistics_chart", args=[name]) + (f"?{query}" if query else "")


class World:
    """Two schemes, three years. Registry A (the member's) and registry B (someone else's)."""

    def __init__(self):
        self.dq = SchemeFactory()  # "Data quality"
        self.qi = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring", name_en="Quality improvement")
        self.a, self.b = RegistryFactory(), RegistryFactory()
        self.calls = {}

    def call(self, scheme, year):
        key = (scheme.pk, year)
        if key not in self.calls:
            self.calls[key] = CallFactory(scheme=scheme, year=year, state="decided")
        return self.calls[key]

    def app(self, scheme, year, state, *, registry=None, days=None, requested="0", granted=None, **kwargs):
        """`days`: from submission to decision, None for no decision. Drafts, history and `submitted=False` have no
        submission time."""
        submitted = state != "draft" and not kwargs.get("is_historical") and kwargs.pop("submitted", True)
        return ApplicationFactory(
            call=self.call(scheme, year),
            registry=registry or self.a,
            state=state,
            submitted_at=T0 if submitted else None,
            decided_at=T0 + timedelta(days=days) if days is not None else None,
            requested_amount_nok=None if requested is None else D(requested),
            granted_amount_nok=None if granted is None else D(granted),
            complete=False,
            **kwargs,
        )


def closed_project(application, verdicts):
    """A closed project whose final report froze one target indicator per verdict."""
    project = ProjectFactory(application=application, state="closed")
    indicators = [
        {"indicator_id": f"i{n}", "title": f"Indikator {n}", "units": [], "target_reached": v}
        for n, v in enumerate(verdicts)
    ]
    FinalReport.objects.filter(project=project).update(outcome={"indicators": indicators}, outcome_at=timezone.now())
    return project


@pytest.fixture
def world():
    w = World()
    dq, qi = w.dq, w.qi
    # Data quality 2023: granted ×2, rejected, withdrawn after submission; 10, 20 and 40 days
    reached = w.app(dq, 2023, "granted", days=10, requested="120000", granted="100000")
    failed = w.app(dq, 2023, "granted", days=20, requested="50000", granted="50000")
    w.app(dq, 2023, "rejected", days=40, requested="80000")
    w.app(dq, 2023, "withdrawn", requested="30000")
    # Data quality 2024: granted, rejected; 12 and 18 days
    w.app(dq, 2024, "granted", days=12, requested="70000", granted="60000")
    w.app(dq, 2024, "rejected", days=18, requested="40000")
    # Quality improvement 2023: two grants from the 2021 report (one with no amount stated, no times), a rejection
    w.app(qi, 2023, "granted", requested=None, granted=None, is_historical=True)
    unjudged = w.app(qi, 2023, "granted", requested="200000", granted="200000", is_historical=True)
    w.app(qi, 2023, "rejected", days=30, requested="100000")
    # Quality improvement 2025: in review; a draft and a draft withdrawn before submission are not handed in
    w.app(qi, 2025, "in_review", requested="90000")
    w.app(qi, 2025, "draft", requested="1000000")
    w.app(qi, 2025, "withdrawn", requested="1000000", submitted=False)
    closed_project(reached, [True])
    closed_project(failed, [True, False])
    closed_project(unjudged, [None])
    # Registry B's grant: the secretariat counts it, registry A's member never does
    other = w.app(dq, 2023, "granted", registry=w.b, days=5, requested="999000", granted="999000")
    closed_project(other, [True])
    return w


def rows(result):
    return [
        (r.year, r.scheme.code, r.handed_in, r.granted, r.rejected, r.requested_nok, r.granted_nok, r.amount_not_stated)
        for r in result
    ]


# ---------------------------------------------------------------- the figures


def test_funding_per_year_and_scheme_for_a_registry_member_counts_only_their_registry(world):
    scope = scope_for(member_of(world.a))

    assert scope.portfolio_wide is False
    assert rows(funding(scope.applications)) == [
        (2023, "data_quality", 4, 2, 1, D("280000"), D("150000"), 0),
        (2023, "quality_improvement", 3, 2, 1, D("300000"), D("200000"), 1),
        (2024, "data_quality", 2, 1, 1, D("110000"), D("60000"), 0),
        (2025, "quality_improvement", 1, 0, 0, D("90000"), D("0"), 0),
    ]


def test_funding_for_the_secretariat_covers_every_registry(world):
    scope = scope_for(UserFactory(is_secretariat=True))

    result = funding(scope.applications)

    assert scope.portfolio_wide is True
    assert rows(result)[0] == (2023, "data_quality", 5, 3, 1, D("1279000"), D("1149000"), 0)
    assert len(result) == 4


def test_success_rates_are_granted_over_granted_and_rejected_as_exact_fractions(world):
    member = [(r.year, r.scheme.code, r.success_rate) for r in funding(scope_for(member_of(world.a)).applications)]
    portfolio = funding(scope_for(UserFactory(is_secretariat=True)).applications)

    assert member == [
        (2023, "data_quality", Fraction(2, 3)),
        (2023, "quality_improvement", Fraction(2, 3)),
        (2024, "data_quality", Fraction(1, 2)),
        (2025, "quality_improvement", None),
    ]
    assert (portfolio[0].success_rate, portfolio[0].success_percent) == (Fraction(3, 4), D("75.0"))


def test_days_to_decision_median_and_mean_per_year_and_scheme_and_per_year(world):
    days = days_to_decision(scope_for(member_of(world.a)).applications)

    assert [(r.year, r.scheme.code, r.count, r.median, r.mean) for r in days.by_scheme] == [
        (2023, "data_quality", 3, D("20.0"), D("23.3")),
        (2023, "quality_improvement", 1, D("30.0"), D("30.0")),
        (2024, "data_quality", 2, D("15.0"), D("15.0")),
    ]
    # 2023: 10, 20, 30, 40 (the historical grants have no submission time and are left out)
    assert days.by_year == [DaysRow(2023, None, 4, D("25.0"), D("25.0")), DaysRow(2024, None, 2, D("15.0"), D("15.0"))]


def test_days_to_decision_for_the_secretariat_include_every_registry(world):
    days = days_to_decision(scope_for(UserFactory(is_secretariat=True)).applications)

    assert (days.by_scheme[0].median, days.by_scheme[0].mean) == (D("15.0"), D("18.8"))  # 5, 10, 20, 40


def test_days_count_fractions_of_a_day():
    world = World()
    application = world.app(world.dq, 2023, "granted", days=1, granted="1000")
    application.decided_at += timedelta(hours=12)
    application.save()

    days = days_to_decision(scope_for(member_of(world.a)).applications)

    assert (days.by_year[0].median, days.by_year[0].mean) == (D("1.5"), D("1.5"))


def test_targets_reached_per_year_and_scheme_from_the_frozen_outcomes(world):
    result = targets_reached(scope_for(member_of(world.a)).projects)
    portfolio = targets_reached(scope_for(UserFactory(is_secretariat=True)).projects)

    assert [(r.year, r.scheme.code, r.closed, r.reached, r.not_reached, r.not_judged, r.share) for r in result] == [
        (2023, "data_quality", 2, 1, 1, 0, Fraction(1, 2)),
        (2023, "quality_improvement", 1, 0, 0, 1, None),
    ]
    assert (portfolio[0].closed, portfolio[0].share, portfolio[0].share_percent) == (3, Fraction(2, 3), D("66.7"))


@pytest.mark.parametrize(
    ("verdicts", "expected"),
    [
        ([True], True),
        ([True, True], True),
        ([True, False], False),
        ([None, False], False),
        ([True, None], None),
        ([None], None),
        ([], None),
    ],
)
def test_a_project_reached_its_target_when_every_target_indicator_did(verdicts, expected):
    assert project_reached(verdicts) is expected


def test_filters_by_scheme_and_year_range(world):
    scope = scope_for(member_of(world.a))

    by_scheme = funding(scope.applications, Filters(scheme="quality_improvement"))
    by_years = funding(scope.applications, Filters(year_from=2024, year_to=2024))
    targets = targets_reached(scope.projects, Filters(scheme="data_quality", year_from=2023, year_to=2023))

    assert [(r.year, r.scheme.code) for r in by_scheme] == [
        (2023, "quality_improvement"),
        (2025, "quality_improvement"),
    ]
    assert [(r.year, r.scheme.code) for r in by_years] == [(2024, "data_quality")]
    assert [(r.year, r.scheme.code) for r in targets] == [(2023, "data_quality")]


# ---------------------------------------------------------------- the page


def _cells(html, caption):
    """The rows of the table with this caption, as lists of cell texts."""
    table = html.split(f">{caption}</caption>", 1)[1].split("</table>", 1)[0]
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table.split("<tbody>", 1)[1], re.S)
    ]


def test_the_page_shows_each_table_with_the_numbers_for_a_member(client, world):
    client.force_login(member_of(world.a))

    html = client.get(PAGE).content.decode()

    assert '<h1 id="page-heading">Statistics for your registries</h1>' in html
    assert _cells(html, "Applications and funding per year and scheme") == [
        ["2023", "Data quality", "4", "2", "1", "280,000", "150,000"],
        ["2023", "Quality improvement", "3", "2", "1", "300,000", "200,000 (amount not stated for 1 grant)"],
        ["2024", "Data quality", "2", "1", "1", "110,000", "60,000"],
        ["2025", "Quality improvement", "1", "0", "0", "90,000", "0"],
    ]
    assert "Amount not stated for 1 grant (from earlier years' records): it is counted as granted but not added" in html
    assert _cells(html, "Success rate per year and scheme") == [
        ["2023", "Data quality", "2", "3", "66.7 %"],
        ["2023", "Quality improvement", "2", "3", "66.7 %"],
        ["2024", "Data quality", "1", "2", "50.0 %"],
        ["2025", "Quality improvement", "0", "0", "–"],
    ]
    assert "Success rate = granted ÷ decided, where decided = granted + rejected." in html
    assert _cells(html, "Days from submission to decision per year and scheme") == [
        ["2023", "Data quality", "3", "20.0", "23.3"],
        ["2023", "Quality improvement", "1", "30.0", "30.0"],
        ["2023", "All schemes", "4", "25.0", "25.0"],
        ["2024", "Data quality", "2", "15.0", "15.0"],
        ["2024", "All schemes", "2", "15.0", "15.0"],
    ]
    assert "2 decided applications have no submission time" in html
    assert _cells(html, "Closed projects per grant year and scheme") == [
        ["2023", "Data quality", "2", "1", "1", "0", "50.0 %"],
        ["2023", "Quality improvement", "1", "0", "0", "1", "–"],
    ]


def test_the_page_has_a_figure_with_alt_text_and_caption_for_each_chart(client, world):
    client.force_login(UserFactory(is_secretariat=True))

    html = client.get(PAGE, {"scheme": "data_quality"}).content.decode()

    assert '<h1 id="page-heading">Statistics</h1>' in html
    for name in ("funding", "success", "days", "targets"):
        assert f'<img src="{chart_url(name)}?scheme=data_quality" width="691" height="346" alt="' in html
    assert html.count("<figcaption>") == 4
    assert 'alt="Grouped bar chart of the granted amount in NOK per year, one bar per scheme.' in html
    assert _cells(html, "Applications and funding per year and scheme")[0] == [
        "2023",
        "Data quality",
        "5",
        "3",
        "1",
        "1,279,000",
        "1,149,000",
    ]


def test_the_page_filters_and_ignores_invalid_values(client, world):
    client.force_login(member_of(world.a))

    filtered = client.get(PAGE, {"scheme": "quality_improvement", "from": "2024", "to": "2030"}).content.decode()
    invalid = client.get(PAGE, {"scheme": "nope", "from": "abc", "to": "99999"})

    assert [row[:2] for row in _cells(filtered, "Applications and funding per year and scheme")] == [
        ["2025", "Quality improvement"]
    ]
    assert '<option value="quality_improvement" selected>' in filtered
    assert 'name="from" type="number" min="1900" max="2100" value="2024"' in filtered
    assert invalid.status_code == 200
    assert len(_cells(invalid.content.decode(), "Applications and funding per year and scheme")) == 4


def test_the_page_says_so_when_nothing_matches(client, world):
    client.force_login(member_of(world.a))

    html = client.get(PAGE, {"from": "2030"}).content.decode()

    assert ("No applications match." in html, "No closed projects yet." in html, "<img" in html) == (True, True, False)


# ---------------------------------------------------------------- the charts


def _parse(svg):
    return ET.fromstring(svg)  # noqa: S314 (our own chart, parsed in a test: no untrusted XML)


TITLES = {
    "funding": "Granted amount per year and scheme (NOK)",
    "success": "Success rate per year and scheme",
    "days": "Median days from submission to decision per year",
    "targets": "Share of closed projects that reached their target",
}


@pytest.mark.parametrize("name", list(TITLES))
def test_each_chart_is_valid_svg_with_its_title_and_no_external_reference(client, world, name):
    client.force_login(UserFactory(is_secretariat=True))

    response = client.get(chart_url(name))

    svg = response.content.decode()
    root = _parse(svg)
    texts = {t.text for t in root.iter(f"{SVG}text")}
    references = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href") or "url(" in v]
    assert (response.status_code, response["Content-Type"], response["X-Content-Type-Options"]) == (
        200,
        "image/svg+xml",
        "nosniff",
    )
    assert response["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'"
    assert (root.tag, TITLES[name] in texts) == (f"{SVG}svg", True)
    assert [r for r in references if not (r.startswith("#") or r.startswith("url(#"))] == []
    assert ("file:" in svg, "<image" in svg, "@import" in svg) == (False, False, False)


def test_the_funding_chart_has_a_bar_group_per_scheme_and_the_years_as_ticks(client, world):
    client.force_login(member_of(world.a))

    root = _parse(client.get(chart_url("funding")).content.decode())

    ids = {el.get("id") for el in root.iter() if el.get("id")}
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert {"series-0", "series-1"} <= ids
    assert ("2023" in texts, "2024" in texts, "2025" in texts, "Data quality" in texts) == (True, True, True, True)


def test_the_chart_is_the_same_bytes_for_the_same_figures(client, world):
    client.force_login(member_of(world.a))

    assert client.get(chart_url("success")).content == client.get(chart_url("success")).content


def test_a_member_s_chart_leaves_out_other_registries(client, world):
    client.force_login(member_of(world.a))
    mine = client.get(chart_url("funding")).content
    client.force_login(UserFactory(is_secretariat=True))

    assert client.get(chart_url("funding")).content != mine
    client.force_login(member_of(world.a))
    assert client.get(chart_url("funding")).content == mine


def test_an_unknown_chart_is_not_found(client, world):
    client.force_login(UserFactory(is_secretariat=True))

    assert client.get(chart_url("secrets")).status_code == 404


# ---------------------------------------------------------------- access


def test_anonymous_is_sent_to_the_login_page(client):
    for url in (PAGE, chart_url("funding")):
        response = client.get(url)
        assert (response.status_code, response["Location"].startswith("/accounts/login/")) == (302, True)


@pytest.mark.parametrize("who", ["reviewer", "decider", "nobody"])
def test_reviewers_deciders_and_users_without_a_registry_are_refused(client, world, who):
    users = {
        "reviewer": lambda: reviewer_for(world.dq),
        "decider": lambda: UserFactory(is_decider=True),
        "nobody": UserFactory,
    }
    client.force_login(users[who]())

    assert (client.get(PAGE).status_code, client.get(chart_url("funding")).status_code) == (403, 403)


def test_a_reviewer_who_is_a_registry_member_sees_only_their_registry(client, world):
    user = reviewer_for(world.dq)
    from registries.models import Membership

    Membership.objects.create(user=user, registry=world.b)
    client.force_login(user)

    html = client.get(PAGE).content.decode()

    assert _cells(html, "Applications and funding per year and scheme") == [
        ["2023", "Data quality", "1", "1", "0", "999,000", "999,000"]
    ]


def test_the_navigation_links_the_page_for_the_secretariat_and_members_only(client, world):
    link = f'<a href="{PAGE}"'
    seen = {}
    for who, user in {
        "secretariat": UserFactory(is_secretariat=True),
        "member": member_of(world.a),
        "reviewer": reviewer_for(world.dq),
        "decider": UserFactory(is_decider=True),
    }.items():
        client.force_login(user)
        seen[who] = link in client.get(reverse("dashboard")).content.decode()

    assert seen == {"secretariat": True, "member": True, "reviewer": False, "decider": False}
    client.force_login(member_of(world.a))
    assert f'{link} aria-current="page">Statistics</a>' in client.get(PAGE).content.decode()


# ---------------------------------------------------------------- query counts


def _add(world, n, start):
    """n granted and decided applications of registry A, each with a closed project, over years and schemes."""
    for i in range(n):
        scheme = world.dq if i % 2 else world.qi
        application = world.app(scheme, 2020 + (start + i) % 3, "granted", days=3 + i, requested="1000", granted="1000")
        closed_project(application, [i % 3 == 0])


def _queries(client, url):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("url", [PAGE, *(chart_url(name) for name in TITLES)])
@pytest.mark.parametrize("who", ["member", "secretariat"])
def test_the_page_and_the_charts_run_the_same_number_of_queries_for_1_and_30_applications(client, url, who):
    world = World()
    client.force_login(member_of(world.a) if who == "member" else UserFactory(is_secretariat=True))
    _add(world, 1, 0)
    client.get(url)  # the first request of a session does its own bookkeeping
    one = _queries(client, url)
    _add(world, 29, 1)

    assert _queries(client, url) == one


@pytest.mark.skipif(not MO_FILE.exists(), reason="the Norwegian catalogue is not compiled (make messages)")
def test_the_page_and_the_charts_speak_norwegian(client, world):
    client.force_login(member_of(world.a))

    html = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="nb").content.decode()
    svg = client.get(chart_url("targets"), HTTP_ACCEPT_LANGUAGE="nb").content.decode()

    assert '<h1 id="page-heading">Statistikk for dine registre</h1>' in html
    assert "beløp ikke oppgitt for 1 tildeling" in html
    assert "Andel avsluttede prosjekter som nådde målet" in {t.text for t in _parse(svg).iter(f"{SVG}text")}
