"""The application list: filters, search, sort, pagination, exports as filtered, access per role, query counts."""

from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal as D
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.listing import ListFilters
from grants.models import Application
from reviews.services import declare_conflict
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)
from tests.web.lists import count_queries, csv_rows, sorted_pks, xlsx_sheet

pytestmark = pytest.mark.django_db

LIST = reverse("grants:application_list")
CSV = reverse("grants:application_export", args=["csv"])
XLSX = reverse("grants:application_export", args=["xlsx"])


@dataclass
class World:
    dq: Any
    qi: Any
    call_2025: Any
    call_2026: Any
    north: Any
    west: Any
    a1: Any
    a2: Any
    a3: Any

    @property
    def apps(self) -> list[Any]:
        return [self.a1, self.a2, self.a3]


def _app(call, registry, state, submitted, **kwargs):
    app = ApplicationFactory(call=call, registry=registry, state=state, **kwargs)
    Application.objects.filter(pk=app.pk).update(submitted_at=submitted)
    app.refresh_from_db()
    return app


@pytest.fixture
def world() -> World:
    dq = SchemeFactory()
    qi = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring", name_en="Quality improvement")
    call_2025 = CallFactory(scheme=dq, year=2025, title="Datakvalitet 2025")
    call_2026 = CallFactory(scheme=qi, year=2026, title="Kvalitetsforbedring 2026")
    north = RegistryFactory(name="Norsk hjerteregister", short_name="HJERTE", region="Nord")
    west = RegistryFactory(name="Nasjonalt barnediabetesregister", short_name="BARNEDIAB", region="Vest")
    a1 = _app(
        call_2025, north, "submitted", datetime(2025, 3, 2, 9, 30, tzinfo=UTC),
        title="Bedre dekningsgrad", requested_amount_nok=D("50000.00"),
    )  # fmt: skip
    a2 = _app(
        call_2026, west, "granted", datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
        title="Ny datamodell", summary="Validering av data", requested_amount_nok=D("80000.00"),
        granted_amount_nok=D("75000.00"),
    )  # fmt: skip
    a3 = _app(
        call_2026, north, "in_review", datetime(2026, 2, 27, 8, 0, tzinfo=UTC),
        title="Pasientrapporterte mål", aims="Øke dekningsgraden", requested_amount_nok=D("60000.00"),
    )  # fmt: skip
    return World(dq, qi, call_2025, call_2026, north, west, a1, a2, a3)


def _client(client, user):
    client.force_login(user)
    return client


def _pks(response) -> list[int]:
    assert response.status_code == 200
    return [a.pk for a in response.context["page"].object_list]


@pytest.fixture
def secretariat(client):
    return _client(client, UserFactory(is_secretariat=True))


# ---------------------------------------------------------------- filters and search


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda w: {"scheme": "quality_improvement"}, lambda w: [w.a2, w.a3]),
        (lambda w: {"call": w.call_2025.pk}, lambda w: [w.a1]),
        (lambda w: {"year": 2026}, lambda w: [w.a2, w.a3]),
        (lambda w: {"region": "Vest"}, lambda w: [w.a2]),
        (lambda w: {"registry": w.north.pk}, lambda w: [w.a1, w.a3]),
        (lambda w: {"state": "granted"}, lambda w: [w.a2]),
        (lambda w: {"year": 2026, "registry": w.north.pk}, lambda w: [w.a3]),
    ],
    ids=["scheme", "call", "year", "region", "registry", "state", "year+registry"],
)
def test_each_filter_narrows_the_list(world, secretariat, query, expected):
    response = secretariat.get(LIST, {**query(world), "sort": "title"})

    assert _pks(response) == [a.pk for a in expected(world)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("dekningsgrad hjerte", ["a1", "a3"]),  # title or aims, and the registry's name
        ("data BARNEDIAB", ["a2"]),  # a1's summary says "datakvalitet" but its registry is not BARNEDIAB
        ("hjerte barnediab", []),
        ("  MODELL  ", ["a2"]),
    ],
)
def test_search_needs_every_word_in_some_field(world, secretariat, q, expected):
    response = secretariat.get(LIST, {"q": q, "sort": "title"})

    assert _pks(response) == [getattr(world, name).pk for name in expected]
    assert response.context["filters"].q == " ".join(q.split())


def test_invalid_values_are_ignored(world, secretariat):
    query = {
        "scheme": "<script>",
        "call": "abc",
        "year": "1800",
        "region": "Mars",
        "registry": "-1",
        "state": "bogus",
        "sort": "password",
        "page": "zzz",
    }

    response = secretariat.get(LIST, query)

    assert response.context["filters"] == ListFilters()
    assert sorted(_pks(response)) == sorted(a.pk for a in world.apps)


def test_a_well_formed_unknown_value_matches_nothing(world, secretariat):
    assert _pks(secretariat.get(LIST, {"scheme": "regional", "call": "999999"})) == []


def test_the_count_names_the_filtered_set(world, secretariat):
    page = secretariat.get(LIST, {"registry": world.north.pk}).content.decode()

    assert '<p class="count" id="list-count">2 applications</p>' in page


def test_the_filter_form_offers_what_the_user_may_see(world, client):
    applicant = _client(client, member_of(world.west))

    ctx = applicant.get(LIST).context

    assert [r.pk for r in ctx["registries"]] == [world.west.pk]
    assert [c.pk for c in ctx["calls"]] == [world.call_2026.pk]
    assert [s.code for s in ctx["schemes"]] == ["quality_improvement"]
    assert ctx["years"] == [2026]


# ---------------------------------------------------------------- sorting


SORT_VALUES = {
    "title": lambda a: a.title,
    "registry": lambda a: a.registry.name,
    "call": lambda a: a.call.title,
    "year": lambda a: a.call.year,
    "amount": lambda a: a.requested_amount_nok,
    "granted": lambda a: a.granted_amount_nok,
    "state": lambda a: a.state,
    "submitted": lambda a: a.submitted_at,
}


@pytest.mark.parametrize("key", SORT_VALUES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_by_each_key_both_ways(world, secretariat, key, descending):
    response = secretariat.get(LIST, {"sort": f"-{key}" if descending else key})

    assert _pks(response) == sorted_pks(world.apps, SORT_VALUES[key], descending)


def test_the_sorted_header_has_aria_sort_and_links_to_the_other_direction(world, secretariat):
    page = secretariat.get(LIST, {"sort": "title", "state": "granted"}).content.decode()

    assert page.count("aria-sort=") == 1
    assert '<th scope="col" aria-sort="ascending"><a href="?state=granted&amp;sort=-title">Title</a></th>' in page
    assert '<a href="?state=granted&amp;sort=registry">Registry</a>' in page


def test_pagination_keeps_the_filters_and_the_sort(world, secretariat, monkeypatch):
    monkeypatch.setattr("grants.views.PAGE_SIZE", 1)
    query = {"registry": world.north.pk, "sort": "-title"}

    first = secretariat.get(LIST, query)
    second = secretariat.get(f"{LIST}?{first.context['pages']['next']}")

    assert first.context["pages"] == {"next": f"registry={world.north.pk}&sort=-title&page=2"}
    assert f'<a href="?registry={world.north.pk}&amp;sort=-title&amp;page=2" rel="next">' in first.content.decode()
    assert (_pks(first), _pks(second)) == ([world.a3.pk], [world.a1.pk])
    assert second.context["pages"] == {"previous": f"registry={world.north.pk}&sort=-title&page=1"}


# ---------------------------------------------------------------- exports

HEADER = [
    "id",
    "call",
    "year",
    "scheme",
    "registry",
    "region",
    "title",
    "state",
    "requested_amount_nok",
    "granted_amount_nok",
    "submitted_at",
]


def test_the_page_links_to_the_exports_with_its_filters(world, secretariat):
    page = secretariat.get(LIST, {"year": 2026, "q": "data"}).content.decode()

    assert '<a href="/applications/export.csv?year=2026&amp;q=data" download>Export CSV</a>' in page
    assert '<a href="/applications/export.xlsx?year=2026&amp;q=data" download>Export XLSX</a>' in page


def test_csv_export_is_the_filtered_sorted_set(world, secretariat):
    rows = csv_rows(secretariat.get(CSV, {"year": 2026, "sort": "-amount"}))

    assert rows == [
        HEADER,
        [str(world.a2.pk), "Kvalitetsforbedring 2026", "2026", "quality_improvement", "BARNEDIAB", "Vest",
         "Ny datamodell", "granted", "80000.00", "75000.00", "2026-03-01T13:00:00+01:00"],
        [str(world.a3.pk), "Kvalitetsforbedring 2026", "2026", "quality_improvement", "HJERTE", "Nord",
         "Pasientrapporterte mål", "in_review", "60000.00", "", "2026-02-27T09:00:00+01:00"],
    ]  # fmt: skip


def test_xlsx_export_has_typed_cells(world, secretariat):
    sheet = xlsx_sheet(secretariat.get(XLSX, {"registry": world.north.pk, "sort": "title"}))

    assert [c.value for c in sheet[1]] == HEADER
    assert [c.value for c in sheet[2]] == [
        world.a1.pk, "Datakvalitet 2025", 2025, "data_quality", "HJERTE", "Nord", "Bedre dekningsgrad", "submitted",
        50000, None, datetime(2025, 3, 2, 10, 30),
    ]  # fmt: skip
    assert sheet.cell(3, 1).value == world.a3.pk
    assert sheet.max_row == 3
    assert (sheet.cell(2, 1).data_type, sheet.cell(2, 9).data_type, sheet.cell(2, 11).data_type) == ("n", "n", "d")
    assert (sheet.cell(2, 9).number_format, sheet.cell(2, 11).number_format) == ("#,##0.00", "yyyy-mm-dd hh:mm")


def test_exports_defuse_formulas(world, secretariat):
    registry = RegistryFactory(name="@SUM(A1)", short_name="", region="Midt-Norge")
    app = _app(world.call_2025, registry, "submitted", None, title='=HYPERLINK("http://x")')

    row = csv_rows(secretariat.get(CSV, {"region": "Midt-Norge"}))[1]
    sheet = xlsx_sheet(secretariat.get(XLSX, {"region": "Midt-Norge"}))

    assert row[:7] == [str(app.pk), "Datakvalitet 2025", "2025", "data_quality", "'@SUM(A1)", "Midt-Norge",
                       "'=HYPERLINK(\"http://x\")"]  # fmt: skip
    assert (sheet.cell(2, 5).value, sheet.cell(2, 7).value) == ("'@SUM(A1)", '\'=HYPERLINK("http://x")')
    assert (sheet.cell(2, 5).data_type, sheet.cell(2, 7).data_type) == ("s", "s")


def test_an_export_is_audited_without_the_search_words(world, secretariat):
    secretariat.get(CSV, {"year": 2026, "q": "Kari Nordmann"})

    entry = AuditEntry.objects.get(action="grants.application.export")
    assert entry.actor.is_secretariat is True
    assert entry.data == {"format": "csv", "rows": 0, "filters": {"year": "2026"}, "searched": True}


def test_an_unknown_format_is_404(world, secretariat):
    assert secretariat.get(reverse("grants:application_export", args=["pdf"])).status_code == 404


# ---------------------------------------------------------------- access per role


def test_an_applicant_sees_and_exports_only_their_registry(world, client):
    applicant = _client(client, member_of(world.north))
    draft = ApplicationFactory(call=world.call_2026, registry=world.north, state="draft")

    assert sorted(_pks(applicant.get(LIST))) == sorted([world.a1.pk, world.a3.pk, draft.pk])
    assert _pks(applicant.get(LIST, {"registry": world.west.pk})) == []
    assert csv_rows(applicant.get(CSV, {"registry": world.west.pk})) == [HEADER]
    assert [r[0] for r in csv_rows(applicant.get(CSV, {"sort": "title"}))[1:]] == [
        str(world.a1.pk), str(world.a3.pk), str(draft.pk)
    ]  # fmt: skip


def test_a_stranger_sees_none_of_another_registrys_rows(world, client):
    stranger = _client(client, member_of(RegistryFactory()))

    assert _pks(stranger.get(LIST, {"registry": world.north.pk})) == []
    assert csv_rows(stranger.get(CSV)) == [HEADER]
    assert xlsx_sheet(stranger.get(XLSX, {"registry": world.north.pk})).max_row == 1
    assert list(stranger.get(LIST).context["registries"]) == []


def test_a_conflicted_reviewer_neither_lists_nor_exports_the_application(world, client):
    reviewer = reviewer_for(world.qi)
    conflicted = reviewer_for(world.qi)
    AssignmentFactory(application=world.a3, reviewer=reviewer)
    AssignmentFactory(application=world.a3, reviewer=conflicted)
    declare_conflict(world.a3, by=conflicted, reason="Medforfatter.")

    conflicted_client = _client(client, conflicted)
    assert _pks(conflicted_client.get(LIST)) == []
    assert csv_rows(conflicted_client.get(CSV, {"q": "Pasientrapporterte"})) == [HEADER]
    reviewer_client = _client(client, reviewer)
    assert _pks(reviewer_client.get(LIST)) == [world.a3.pk]
    assert [r[0] for r in csv_rows(reviewer_client.get(CSV))[1:]] == [str(world.a3.pk)]


# ---------------------------------------------------------------- query counts


def _many(world, n):
    for i in range(n):
        _app(world.call_2026, world.north, "submitted", datetime(2026, 1, 1, tzinfo=UTC), title=f"Dekning {i}")


@pytest.mark.parametrize("url", [LIST, CSV, XLSX])
@pytest.mark.parametrize("role", ["secretariat", "applicant"])
def test_queries_do_not_grow_with_rows(world, client, url, role):
    user = UserFactory(is_secretariat=True) if role == "secretariat" else member_of(world.north)
    _client(client, user)
    query = f"{url}?year=2026&registry={world.north.pk}&state=submitted&q=dekning+hjerte&sort=-amount"
    _many(world, 1)
    one = count_queries(client, query)
    _many(world, 29)
    thirty = count_queries(client, query)

    assert one == thirty
    if url == LIST:
        assert client.get(query).context["page"].paginator.count == 30


def test_the_form_shows_the_chosen_filters(world, secretariat):
    query = {"call": world.call_2026.pk, "year": 2026, "region": "Vest", "registry": world.west.pk, "q": "a&b"}

    page = secretariat.get(LIST, {**query, "scheme": "quality_improvement", "state": "granted", "sort": "-year"})
    html = page.content.decode()

    assert f'<option value="{world.call_2026.pk}" selected>Kvalitetsforbedring 2026</option>' in html
    assert '<option value="2026" selected>2026</option>' in html
    assert '<option value="Vest" selected>Western Norway</option>' in html
    assert f'<option value="{world.west.pk}" selected>BARNEDIAB</option>' in html
    assert '<option value="quality_improvement" selected>Quality improvement</option>' in html
    assert '<option value="granted" selected>Granted</option>' in html
    assert '<input type="search" id="f-q" name="q" value="a&amp;b" maxlength="200">' in html
    assert '<input type="hidden" name="sort" value="-year">' in html
