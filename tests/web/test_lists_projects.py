"""The project list: filters, search, sort (also by the amount paid), exports as filtered, access, query counts."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal as D
from typing import Any

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from core.listing import ListFilters
from finance.models import Payment
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
from tests.web.lists import count_queries, csv_rows, sorted_pks, xlsx_sheet

pytestmark = pytest.mark.django_db

LIST = reverse("projects:project_list")
CSV = reverse("projects:project_export", args=["csv"])
XLSX = reverse("projects:project_export", args=["xlsx"])
HEADER = [
    "id",
    "registry",
    "region",
    "title",
    "scheme",
    "year",
    "state",
    "granted_amount_nok",
    "paid_nok",
    "start_date",
    "end_date",
]


def _project(call, registry, state, title, granted, start, end, paid_parts=0):
    application = ApplicationFactory(
        call=call, registry=registry, state="granted", title=title, granted_amount_nok=granted, start_date=start,
        end_date=end,
    )  # fmt: skip
    project = ProjectFactory(application=application, state=state)
    for payment in project.payments.order_by("pk")[:paid_parts]:
        Payment.objects.filter(pk=payment.pk).update(state="paid")
    return project


@dataclass
class World:
    qi: Any
    call_2024: Any
    call_2026: Any
    north: Any
    west: Any
    p1: Any
    p2: Any
    p3: Any

    @property
    def projects(self) -> list[Any]:
        return [self.p1, self.p2, self.p3]


@pytest.fixture
def world() -> World:
    dq = SchemeFactory()
    qi = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring", name_en="Quality improvement")
    call_2024 = CallFactory(scheme=dq, year=2024, title="Datakvalitet 2024", state="decided")
    call_2026 = CallFactory(scheme=qi, year=2026, title="Kvalitetsforbedring 2026", state="decided")
    north = RegistryFactory(name="Norsk hjerteregister", short_name="HJERTE", region="Nord")
    west = RegistryFactory(name="Nasjonalt barnediabetesregister", short_name="BARNEDIAB", region="Vest")
    p1 = _project(call_2024, north, "closed", "Bedre dekningsgrad", D("50000.00"), date(2024, 6, 1),
                  date(2025, 5, 31), paid_parts=2)  # fmt: skip
    p2 = _project(call_2026, west, "active", "Ny datamodell", D("80000.00"), date(2026, 9, 1), date(2027, 12, 31),
                  paid_parts=1)  # fmt: skip
    p3 = _project(call_2026, north, "agreement_pending", "Pasientrapporterte mål", D("60000.00"), None, None)
    return World(qi, call_2024, call_2026, north, west, p1, p2, p3)


def _client(client, user):
    client.force_login(user)
    return client


def _pks(response) -> list[int]:
    assert response.status_code == 200
    return [p.pk for p in response.context["page"].object_list]


@pytest.fixture
def secretariat(client):
    return _client(client, UserFactory(is_secretariat=True))


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda w: {"scheme": "quality_improvement"}, lambda w: [w.p2, w.p3]),
        (lambda w: {"call": w.call_2024.pk}, lambda w: [w.p1]),
        (lambda w: {"year": 2026}, lambda w: [w.p2, w.p3]),
        (lambda w: {"region": "Vest"}, lambda w: [w.p2]),
        (lambda w: {"registry": w.north.pk}, lambda w: [w.p1, w.p3]),
        (lambda w: {"state": "active"}, lambda w: [w.p2]),
    ],
    ids=["scheme", "call", "year", "region", "registry", "state"],
)
def test_each_filter_narrows_the_list(world, secretariat, query, expected):
    assert _pks(secretariat.get(LIST, {**query(world), "sort": "title"})) == [p.pk for p in expected(world)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [("mål hjerte", ["p3"]), ("HJERTE dekningsgrad", ["p1"]), ("data barnediabetes", ["p2"]), ("data hjerte", [])],
)
def test_search_needs_every_word_in_the_title_or_registry(world, secretariat, q, expected):
    assert _pks(secretariat.get(LIST, {"q": q})) == [getattr(world, name).pk for name in expected]


def test_invalid_values_are_ignored(world, secretariat):
    query = {"state": "granted", "year": "20x6", "call": "1.5", "registry": "", "region": "nord", "sort": "-paid_nok"}

    response = secretariat.get(LIST, query)

    assert response.context["filters"] == ListFilters()
    assert sorted(_pks(response)) == sorted(p.pk for p in world.projects)


def test_paid_is_the_sum_of_paid_payments(world, secretariat):
    rows = {p.pk: p.paid_nok for p in secretariat.get(LIST).context["page"].object_list}

    assert rows == {world.p1.pk: D("50000.00"), world.p2.pk: D("40000.00"), world.p3.pk: D("0.00")}


SORT_VALUES = {
    "title": lambda p: p.title,
    "registry": lambda p: p.registry.name,
    "scheme": lambda p: p.application.call.scheme.code,
    "year": lambda p: p.application.call.year,
    "amount": lambda p: p.granted_amount_nok,
    "paid": lambda p: {"Bedre dekningsgrad": 50000, "Ny datamodell": 40000}.get(p.title, 0),
    "state": lambda p: p.state,
    "start": lambda p: p.start_date,
    "end": lambda p: p.end_date,
}


@pytest.mark.parametrize("key", SORT_VALUES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_by_each_key_both_ways(world, secretariat, key, descending):
    response = secretariat.get(LIST, {"sort": f"-{key}" if descending else key})

    assert _pks(response) == sorted_pks(world.projects, SORT_VALUES[key], descending)


def test_the_sorted_header_has_aria_sort(world, secretariat):
    page = secretariat.get(LIST, {"sort": "-paid", "region": "Nord"}).content.decode()

    assert page.count("aria-sort=") == 1
    assert '<th scope="col" class="num" aria-sort="descending"><a href="?region=Nord&amp;sort=paid">' in page
    assert '<p class="count" id="list-count">2 projects</p>' in page


def test_pagination_keeps_the_filters(world, secretariat, monkeypatch):
    monkeypatch.setattr("projects.views.PAGE_SIZE", 1)

    first = secretariat.get(LIST, {"q": "e", "year": 2026, "sort": "amount"})
    second = secretariat.get(f"{LIST}?{first.context['pages']['next']}")

    assert first.context["pages"] == {"next": "year=2026&q=e&sort=amount&page=2"}
    assert (_pks(first), _pks(second)) == ([world.p3.pk], [world.p2.pk])


def test_csv_export_is_the_filtered_sorted_set(world, secretariat):
    rows = csv_rows(secretariat.get(CSV, {"registry": world.north.pk, "sort": "-paid"}))

    assert rows == [
        HEADER,
        [str(world.p1.pk), "HJERTE", "Nord", "Bedre dekningsgrad", "data_quality", "2024", "closed", "50000.00",
         "50000.00", "2024-06-01", "2025-05-31"],
        [str(world.p3.pk), "HJERTE", "Nord", "Pasientrapporterte mål", "quality_improvement", "2026",
         "agreement_pending", "60000.00", "0.00", "", ""],
    ]  # fmt: skip


def test_xlsx_export_has_typed_cells(world, secretariat):
    sheet = xlsx_sheet(secretariat.get(XLSX, {"state": "active"}))

    assert [c.value for c in sheet[1]] == HEADER
    values = [c.value for c in sheet[2]]
    assert values[:9] == [world.p2.pk, "BARNEDIAB", "Vest", "Ny datamodell", "quality_improvement", 2026, "active",
                          80000, 40000]  # fmt: skip
    assert (values[9].date(), values[10].date()) == (date(2026, 9, 1), date(2027, 12, 31))
    assert sheet.max_row == 2
    assert [sheet.cell(2, c).number_format for c in (8, 9, 10, 11)] == ["#,##0.00"] * 2 + ["yyyy-mm-dd"] * 2
    assert [sheet.cell(2, c).data_type for c in (8, 9, 10, 11)] == ["n", "n", "d", "d"]


def test_exports_defuse_formulas(world, secretariat):
    registry = RegistryFactory(name="Register", short_name="-2+3", region="Midt-Norge")
    project = _project(world.call_2026, registry, "active", "=cmd|' /C calc'!A0", D("1000.00"), None, None)

    row = csv_rows(secretariat.get(CSV, {"region": "Midt-Norge"}))[1]
    sheet = xlsx_sheet(secretariat.get(XLSX, {"region": "Midt-Norge"}))

    assert row[:4] == [str(project.pk), "'-2+3", "Midt-Norge", "'=cmd|' /C calc'!A0"]
    assert (sheet.cell(2, 2).value, sheet.cell(2, 4).value) == ("'-2+3", "'=cmd|' /C calc'!A0")
    assert (sheet.cell(2, 2).data_type, sheet.cell(2, 4).data_type) == ("s", "s")


def test_an_export_is_audited(world, secretariat):
    secretariat.get(XLSX, {"region": "Nord", "sort": "title"})

    entry = AuditEntry.objects.get(action="projects.project.export")
    assert entry.data == {
        "format": "xlsx",
        "rows": 2,
        "filters": {"region": "Nord", "sort": "title"},
        "searched": False,
    }


def test_an_applicant_sees_and_exports_only_their_registry(world, client):
    applicant = _client(client, member_of(world.west))

    assert _pks(applicant.get(LIST)) == [world.p2.pk]
    assert csv_rows(applicant.get(CSV, {"registry": world.north.pk})) == [HEADER]
    assert [r[0] for r in csv_rows(applicant.get(CSV))[1:]] == [str(world.p2.pk)]
    assert [r.pk for r in applicant.get(LIST).context["registries"]] == [world.west.pk]


def test_a_stranger_and_a_reviewer_see_no_projects(world, client):
    for user in (member_of(RegistryFactory()), reviewer_for(world.qi)):
        other = _client(client, user)
        assert _pks(other.get(LIST, {"registry": world.north.pk})) == []
        assert csv_rows(other.get(CSV)) == [HEADER]
        assert xlsx_sheet(other.get(XLSX)).max_row == 1


def _many(world, n):
    for i in range(n):
        _project(world.call_2026, world.north, "active", f"Dekning {i}", D("1000.00"), None, None, paid_parts=1)


@pytest.mark.parametrize("url", [LIST, CSV, XLSX])
@pytest.mark.parametrize("role", ["secretariat", "applicant"])
def test_queries_do_not_grow_with_rows(world, client, url, role):
    user = UserFactory(is_secretariat=True) if role == "secretariat" else member_of(world.north)
    _client(client, user)
    query = f"{url}?year=2026&registry={world.north.pk}&state=active&q=dekning+hjerte&sort=-paid"
    _many(world, 1)
    one = count_queries(client, query)
    _many(world, 29)
    thirty = count_queries(client, query)

    assert one == thirty
    if url == LIST:
        assert client.get(query).context["page"].paginator.count == 30


def test_the_list_is_in_norwegian(world, secretariat, settings):
    settings.LANGUAGE_CODE = "nb"

    page = secretariat.get(LIST, {"region": "Nord", "sort": "start"}).content.decode()

    assert '<p class="count" id="list-count">2 prosjekter</p>' in page
    assert ">Eksporter CSV</a>" in page
    assert ">Eksporter XLSX</a>" in page
    assert ">Fjern filtrene</a>" in page
    assert '<a href="?region=Nord&amp;sort=-start">Startdato</a>' in page
