"""The call list filters by scheme, year and state (the dashboard's budget figures link here), keeping the filters
across pages; bad values are ignored."""

import pytest
from django.urls import reverse

from tests.factories import CallFactory, SchemeFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    dq = SchemeFactory(code="data_quality", name="Datakvalitet")
    qi = SchemeFactory(code="quality_improvement", name="Kvalitetsforbedring", name_en="Quality improvement")
    return {
        "dq2025": CallFactory(scheme=dq, year=2025, title="DQ 2025", state="decided"),
        "dq2026": CallFactory(scheme=dq, year=2026, title="DQ 2026"),
        "qi2026": CallFactory(scheme=qi, year=2026, title="QI 2026"),
        "draft": CallFactory(scheme=qi, year=2026, title="QI 2026 utkast", state="draft"),
    }


def _titles(client, **query):
    html = client.get(reverse("grants:call_list"), query).content.decode()
    return [t for t in ("DQ 2025", "DQ 2026", "QI 2026 utkast", "QI 2026<") if t in html.replace("</a>", "<")]


@pytest.mark.parametrize(
    ("query", "shown"),
    [
        ({}, ["DQ 2025", "DQ 2026", "QI 2026 utkast", "QI 2026<"]),
        ({"scheme": "data_quality"}, ["DQ 2025", "DQ 2026"]),
        ({"scheme": "data_quality", "year": "2026"}, ["DQ 2026"]),
        ({"year": "2026", "state": "draft"}, ["QI 2026 utkast"]),
        ({"state": "decided"}, ["DQ 2025"]),
        ({"scheme": "<script>", "year": "tjue", "state": "nope"}, ["DQ 2025", "DQ 2026", "QI 2026 utkast", "QI 2026<"]),
    ],
)
def test_the_secretariat_filters_calls(client, calls, query, shown):
    client.force_login(UserFactory(is_secretariat=True))

    assert _titles(client, **query) == shown


def test_the_form_shows_the_chosen_filters_and_an_empty_result_says_so(client, calls):
    client.force_login(UserFactory(is_secretariat=True))

    html = client.get(reverse("grants:call_list"), {"scheme": "quality_improvement", "year": "2025"}).content.decode()

    assert '<option value="quality_improvement" selected>Quality improvement</option>' in html
    assert '<option value="2025" selected>2025</option>' in html
    assert "No calls match these filters." in html


def test_an_applicant_does_not_see_draft_calls_whatever_the_filter(client, calls):
    from tests.factories import RegistryFactory, member_of

    client.force_login(member_of(RegistryFactory()))

    assert _titles(client, state="draft") == []
    assert _titles(client, year="2026") == ["DQ 2026", "QI 2026<"]


def test_the_next_page_keeps_the_filters(client):
    scheme = SchemeFactory()
    for n in range(51):
        CallFactory(scheme=scheme, year=2026, title=f"Utlysning {n}")
    client.force_login(UserFactory(is_secretariat=True))

    html = client.get(reverse("grants:call_list"), {"scheme": scheme.code, "year": "2026"}).content.decode()

    assert f'<a href="?scheme={scheme.code}&amp;year=2026&amp;page=2" rel="next">Next</a>' in html
