"""The payment list with the shared list filters: filters, search, sort, exports as filtered, access, queries."""

from datetime import date
from decimal import Decimal as D

import pytest
from django.urls import reverse

from audit.models import AuditEntry
from finance.models import Payment
from finance.selectors import PaymentFilters
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    PaymentFactory,
    ProjectFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)
from tests.web.lists import count_queries, csv_rows, sorted_pks, xlsx_sheet

pytestmark = pytest.mark.django_db

LIST = reverse("finance:payment_list")
CSV = reverse("finance:payment_export", args=["csv"])
XLSX = reverse("finance:payment_export", args=["xlsx"])


def _project(call, registry, title):
    application = ApplicationFactory(call=call, registry=registry, state="granted", title=title,
                                     granted_amount_nok=D("90000.00"))  # fmt: skip
    return ProjectFactory(application=application, state="active", children=False)


@pytest.fixture
def world():
    qi = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring")
    dq = SchemeFactory()
    call_2025 = CallFactory(scheme=dq, year=2025, state="decided")
    call_2026 = CallFactory(scheme=qi, year=2026, state="decided")
    north = RegistryFactory(name="Norsk hjerteregister", short_name="HJERTE", region="Nord")
    west = RegistryFactory(name="Nasjonalt barnediabetesregister", short_name="BARNEDIAB", region="Vest")
    heart = _project(call_2025, north, "Bedre dekningsgrad")
    child = _project(call_2026, west, "Ny datamodell")
    w = {
        "calls": (call_2025, call_2026),
        "north": north,
        "west": west,
        "p1": PaymentFactory(
            project=heart,
            amount_nok=D("25000.00"),
            state="paid",
            reference="FAKT-2025-01",
            paid_on=date(2025, 9, 1),
            due_on=date(2025, 8, 1),
        ),
        "p2": PaymentFactory(project=heart, amount_nok=D("25000.00"), state="scheduled", trigger="final_report"),
        "p3": PaymentFactory(project=child, amount_nok=D("45000.00"), state="due", due_on=date(2026, 10, 1)),
    }
    return w


@pytest.fixture
def secretariat(client):
    client.force_login(UserFactory(is_secretariat=True))
    return client


def _pks(response):
    assert response.status_code == 200
    return [p.pk for p in response.context["page"].object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (lambda w: {"scheme": "quality_improvement"}, ["p3"]),
        (lambda w: {"call": w["calls"][0].pk}, ["p1", "p2"]),
        (lambda w: {"year": 2025}, ["p1", "p2"]),
        (lambda w: {"region": "Vest"}, ["p3"]),
        (lambda w: {"registry": w["north"].pk}, ["p1", "p2"]),
        (lambda w: {"state": "paid"}, ["p1"]),
        (lambda w: {"q": "hjerte fakt-2025"}, ["p1"]),  # the registry's name and the payment reference
        (lambda w: {"q": "datamodell BARNEDIAB"}, ["p3"]),  # the project's title and the registry's short name
    ],
    ids=["scheme", "call", "year", "region", "registry", "state", "search-reference", "search-title"],
)
def test_each_filter_and_the_search(world, secretariat, query, expected):
    response = secretariat.get(LIST, query(world))

    assert _pks(response) == [world[name].pk for name in expected]
    assert response.context["total"] == sum((world[name].amount_nok for name in expected), D("0"))


def test_payment_filters_keep_their_old_behaviour():
    filters = PaymentFilters.from_query({"state": "paid", "scheme": "data_quality", "year": "2026"})

    assert (filters.state, filters.scheme, filters.year) == ("paid", "data_quality", 2026)
    assert filters.as_query() == {"scheme": "data_quality", "year": "2026", "state": "paid"}
    assert PaymentFilters.from_query({"state": "granted", "year": "1999", "scheme": "a b"}) == PaymentFilters()


SORT_VALUES = {
    "project": lambda p: p.project.title,
    "registry": lambda p: p.project.registry.short_name,
    "scheme": lambda p: p.project.application.call.scheme.code,
    "year": lambda p: p.project.application.call.year,
    "trigger": lambda p: p.trigger,
    "amount": lambda p: p.amount_nok,
    "state": lambda p: p.state,
    "due": lambda p: p.due_on,
    "paid": lambda p: p.paid_on,
}


@pytest.mark.parametrize("key", SORT_VALUES)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_by_each_key_both_ways(world, secretariat, key, descending):
    payments = [world[n] for n in ("p1", "p2", "p3")]

    response = secretariat.get(LIST, {"sort": f"-{key}" if descending else key})

    assert _pks(response) == sorted_pks(payments, SORT_VALUES[key], descending)


def test_invalid_values_are_ignored_and_the_default_order_holds(world, secretariat):
    response = secretariat.get(LIST, {"state": "granted", "sort": "-id", "region": "x", "registry": "9" * 12})

    assert response.context["filters"] == PaymentFilters()
    assert _pks(response) == [world["p1"].pk, world["p2"].pk, world["p3"].pk]


def test_pagination_keeps_the_filters(world, secretariat, monkeypatch):
    monkeypatch.setattr("finance.views.PAGE_SIZE", 1)

    first = secretariat.get(LIST, {"registry": world["north"].pk, "sort": "-trigger"})
    second = secretariat.get(f"{LIST}?{first.context['pages']['next']}")

    assert first.context["pages"] == {"next": f"registry={world['north'].pk}&sort=-trigger&page=2"}
    assert (_pks(first), _pks(second)) == ([world["p2"].pk], [world["p1"].pk])


def test_the_page_shows_the_count_and_links_the_filtered_exports(world, secretariat):
    page = secretariat.get(LIST, {"region": "Nord", "sort": "amount"}).content.decode()

    assert '<p class="count" id="list-count">2 payments</p>' in page
    assert '<a href="/finance/payments/export.csv?region=Nord&amp;sort=amount" download>Export CSV</a>' in page
    assert page.count('aria-sort="ascending"') == 1


def test_the_exports_are_the_filtered_sorted_set(world, secretariat):
    query = {"registry": world["north"].pk, "sort": "-trigger"}

    rows = csv_rows(secretariat.get(CSV, query))
    sheet = xlsx_sheet(secretariat.get(XLSX, query))

    assert [r[0] for r in rows[1:]] == [str(world["p2"].pk), str(world["p1"].pk)]
    assert rows[2][5:] == ["agreement", "paid", "25000.00", "2025-08-01", "2025-09-01", "FAKT-2025-01"]
    assert [sheet.cell(r, 1).value for r in (2, 3)] == [world["p2"].pk, world["p1"].pk]
    assert (sheet.cell(3, 8).value, sheet.cell(3, 8).number_format, sheet.cell(3, 10).value.date()) == (
        25000,
        "#,##0.00",
        date(2025, 9, 1),
    )
    assert sheet.max_row == 3


def test_a_formula_in_the_reference_is_defused(world, secretariat):
    Payment.objects.filter(pk=world["p3"].pk).update(reference="=1+1")

    row = csv_rows(secretariat.get(CSV, {"region": "Vest"}))[1]
    sheet = xlsx_sheet(secretariat.get(XLSX, {"region": "Vest"}))

    assert row[10] == "'=1+1"
    assert (sheet.cell(2, 11).value, sheet.cell(2, 11).data_type) == ("'=1+1", "s")


def test_an_export_is_audited(world, secretariat):
    secretariat.get(CSV, {"state": "paid", "q": "FAKT"})

    entry = AuditEntry.objects.get(action="finance.payment.export")
    assert entry.data == {"format": "csv", "rows": 1, "filters": {"state": "paid"}, "searched": True}


@pytest.mark.parametrize("who", ["applicant", "reviewer", "decider"])
def test_only_the_secretariat_lists_and_exports_payments(world, client, who):
    user = {
        "applicant": lambda: member_of(world["north"]),
        "reviewer": lambda: reviewer_for(world["calls"][0].scheme),
        "decider": lambda: UserFactory(is_decider=True),
    }[who]()
    client.force_login(user)

    statuses = [client.get(url, {"registry": world["north"].pk}).status_code for url in (LIST, CSV, XLSX)]

    assert statuses == [403, 403, 403]
    assert AuditEntry.objects.filter(action="finance.payment.export").count() == 0


def _many(world, n):
    project = _project(world["calls"][1], world["north"], "Dekning i hjerteregisteret")
    for _i in range(n):
        PaymentFactory(project=project, amount_nok=D("100.00"), state="due", reference="FAKT-X")


@pytest.mark.parametrize("url", [LIST, CSV, XLSX])
def test_queries_do_not_grow_with_rows(world, secretariat, url):
    query = f"{url}?year=2026&registry={world['north'].pk}&state=due&q=dekning+fakt&sort=-amount"
    _many(world, 1)
    one = count_queries(secretariat, query)
    _many(world, 29)
    thirty = count_queries(secretariat, query)

    assert one == thirty
    if url == LIST:
        assert secretariat.get(query).context["page"].paginator.count == 30
