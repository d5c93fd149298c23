"""The baseline in the web: the edit form's htmx partial (table per unit and nationally, the row's baseline inputs
filled out of band), the edit page without JavaScript, and the detail page that reviewers read."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from grants.models import ApplicationIndicator
from registries.models import IndicatorValue
from tests.factories import ApplicationFactory, IndicatorFactory, UserFactory, member_of
from tests.grants.baseline_world import build_baseline_world

pytestmark = pytest.mark.django_db


def _rows(html):
    """Each table body row as text: "Sykehus A 10 0.3 Low coverage 50.0 %"."""
    body = html[html.index("<tbody>") : html.index("</tbody>")]
    return [" ".join(re.sub(r"<[^>]+>", " ", row).split()) for row in re.findall(r"<tr.*?</tr>", body, re.S)]


def _oob(html):
    """The inputs the partial swaps into the row: name → value."""
    return dict(re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"[^>]*hx-swap-oob="true"', html))


@pytest.fixture
def setup(client):
    w = build_baseline_world()
    app = ApplicationFactory(registry=w.registry)
    client.force_login(member_of(w.registry))
    return w, app, client


def _ask(client, app, **params):
    return client.get(reverse("grants:indicator_baseline", args=[app.pk]), params)


def test_the_partial_shows_each_unit_the_units_together_and_the_nation_and_fills_the_row(setup):
    w, app, client = setup

    response = _ask(
        client,
        app,
        prefix="indicators-2",
        **{"indicators-2-indicator": w.indicator.pk, "indicators-2-baseline_year": "2021"},
        participating_units=[w.h41.pk, w.h31.pk],
    )

    html = response.content.decode()
    assert _rows(html) == [
        "Sykehus A 10 0.3 Low coverage 50.0 %",
        "Sykehus C – fewer than 5",
        "Participating units together 13 0.308 Low coverage 50.0 %",
        "Nationally 100 0.3 Low",
    ]
    assert _oob(html) == {"indicators-2-baseline_value": "0.307692"}
    assert "Baseline filled in: 0.308 for the participating units together in 2021." in html


def test_without_units_or_year_the_partial_uses_the_nation_and_the_latest_year(setup):
    w, app, client = setup

    html = _ask(client, app, prefix="indicators-0", **{"indicators-0-indicator": w.indicator.pk}).content.decode()

    assert _rows(html) == ["Nationally 100 0.3 Low"]
    assert _oob(html) == {"indicators-0-baseline_year": "2021", "indicators-0-baseline_value": "0.3"}


def test_a_suppressed_combination_fills_nothing(setup):
    w, app, client = setup

    html = _ask(
        client,
        app,
        prefix="indicators-0",
        **{"indicators-0-indicator": w.indicator.pk, "indicators-0-baseline_year": "2021"},
        participating_units=[w.h41.pk],
    ).content.decode()

    assert _rows(html) == [
        "Sykehus C – fewer than 5",
        "Participating units together – fewer than 5",
        "Nationally 100 0.3 Low",
    ]
    assert _oob(html) == {}
    assert "The baseline cannot be filled in: fewer than 5 cases. Type the value yourself." in html


def test_a_suppressed_combination_in_the_latest_year_fills_only_the_year(setup):
    w, app, client = setup

    html = _ask(
        client, app, prefix="indicators-0", **{"indicators-0-indicator": w.indicator.pk}, participating_units=[w.h41.pk]
    ).content.decode()

    assert _oob(html) == {"indicators-0-baseline_year": "2021"}


def test_the_filled_value_is_written_the_norwegian_way(setup, settings):
    w, app, client = setup
    settings.LANGUAGE_CODE = "nb"

    html = _ask(
        client, app, prefix="indicators-0", **{"indicators-0-indicator": w.indicator.pk}, participating_units=[w.hf.pk]
    ).content.decode()

    assert _oob(html) == {"indicators-0-baseline_year": "2021", "indicators-0-baseline_value": "0,35"}


def test_a_year_without_data_names_the_years_with_data(setup):
    w, app, client = setup

    html = _ask(
        client,
        app,
        prefix="indicators-0",
        **{"indicators-0-indicator": w.indicator.pk, "indicators-0-baseline_year": "2019"},
    ).content.decode()

    assert _rows(html) == ["Nationally – –"]
    assert "No values for 2019. Years with data: 2021, 2020." in html
    assert _oob(html) == {}


def test_another_registrys_indicator_is_refused_in_the_partial(setup):
    _w, app, client = setup
    other = IndicatorFactory()

    html = _ask(client, app, prefix="indicators-0", **{"indicators-0-indicator": other.pk}).content.decode()

    assert "Select a valid choice. That choice is not one of the available choices." in html
    assert ("<table" in html, _oob(html)) == (False, {})


def test_without_an_indicator_the_partial_asks_for_one(setup):
    _w, app, client = setup

    html = _ask(client, app).content.decode()

    assert html.strip() == '<p class="muted">Choose an indicator to see its baseline.</p>'


def test_a_submitted_application_has_no_baseline_partial_even_for_its_applicant(setup):
    w, app, client = setup
    app.__class__.objects.filter(pk=app.pk).update(state="submitted")

    response = _ask(client, app, prefix="indicators-0", **{"indicators-0-indicator": w.indicator.pk})

    assert (response.status_code, b"<table" in response.content) == (404, False)


def test_the_edit_page_shows_a_saved_rows_baseline_without_javascript(setup):
    w, app, client = setup
    app.participating_units.set([w.h31, w.h32])
    ApplicationIndicator.objects.create(
        application=app, indicator=w.indicator, baseline_year=2021, baseline_value=Decimal("0.35")
    )

    html = client.get(reverse("grants:application_edit", args=[app.pk])).content.decode()

    assert _rows(html[html.index('id="indicators-0-baseline"') :]) == [
        "Sykehus A 10 0.3 Low coverage 50.0 %",
        "Sykehus B 10 0.4 Low",
        "Participating units together 20 0.35 Low",
        "Nationally 100 0.3 Low",
    ]


def test_saving_the_edit_form_with_a_level_target_fills_the_baseline_and_says_so(setup):
    w, app, client = setup
    form = {
        "title": app.title,
        "participating_units": [w.hf.pk],
        **{f"{p}-{k}": "0" for p in ("budget", "milestones") for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
        "indicators-TOTAL_FORMS": "1",
        "indicators-INITIAL_FORMS": "0",
        "indicators-0-indicator": w.indicator.pk,
        "indicators-0-baseline_year": "2021",
        "indicators-0-baseline_value": "",
        "indicators-0-target_kind": "level",
        "indicators-0-target_level": "moderate",
        "indicators-0-target_value": "0.1",
        "indicators-0-target_date": "2027-12-31",
    }

    response = client.post(reverse("grants:application_edit", args=[app.pk]), form, follow=True)

    saved = ApplicationIndicator.objects.get(application=app)
    assert (saved.baseline_value, saved.target_kind, saved.target_level, saved.target_value) == (
        Decimal("0.350000"),
        "level",
        "moderate",
        None,
    )
    assert [str(m) for m in response.context["messages"]] == [
        "Saved.",
        "The baseline of test_smerte was filled in from the data: 0.35 in 2021, the participating units together.",
    ]


def test_a_level_on_an_indicator_without_levels_is_marked_on_the_field(setup):
    w, app, client = setup
    form = {
        "title": app.title,
        **{f"{p}-{k}": "0" for p in ("budget", "milestones") for k in ("TOTAL_FORMS", "INITIAL_FORMS")},
        "indicators-TOTAL_FORMS": "1",
        "indicators-INITIAL_FORMS": "0",
        "indicators-0-indicator": w.coverage.pk,
        "indicators-0-target_kind": "level",
        "indicators-0-target_level": "high",
    }

    response = client.post(reverse("grants:application_edit", args=[app.pk]), form)

    row = response.context["indicators"].forms[0]
    assert row.errors == {"target_level": ["test_dg has no goal-attainment levels; set a target value instead."]}
    assert ApplicationIndicator.objects.filter(application=app).count() == 0


# ---------------------------------------------------------------- the detail page (applicant and reviewers)


def _with_indicators(w, app, n):
    for i in range(n):
        indicator = w.indicator if i == 0 else IndicatorFactory(registry=w.registry, coverage_indicator_id="test_dg")
        if i:
            IndicatorValue.objects.create(
                indicator=indicator, organisation=w.h31, year=2021, numerator=Decimal(i), denominator=Decimal(20)
            )
        ApplicationIndicator.objects.create(
            application=app,
            indicator=indicator,
            baseline_year=2021,
            target_kind="rule" if i == 0 else "value",
            target_rule="no_unit_low" if i == 0 else "",
            target_value=None if i == 0 else Decimal("0.1"),
            target_date=date(2027, 12, 31),
        )


def test_the_detail_page_shows_the_target_and_the_baseline_per_unit_and_nationally(setup):
    w, app, client = setup
    app.participating_units.set([w.h31, w.h32])
    _with_indicators(w, app, 1)

    html = client.get(reverse("grants:application_detail", args=[app.pk])).content.decode()

    section = html[html.index('<section class="indicator-baseline"') :]
    assert re.sub(r"<[^>]+>", "", section[: section.index("</h3>")]).strip() == (
        f"{w.indicator.title}: target No participating unit at low goal attainment by 2027-12-31"
    )
    assert _rows(section) == [
        "Sykehus A 10 0.3 Low coverage 50.0 %",
        "Sykehus B 10 0.4 Low",
        "Participating units together 20 0.35 Low",
        "Nationally 100 0.3 Low",
    ]


def _count(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_detail_page_queries_do_not_grow_with_indicators(client):
    w = build_baseline_world()
    client.force_login(UserFactory(is_secretariat=True))
    counts = []
    for n in (1, 10):
        app = ApplicationFactory(registry=w.registry, state="submitted")
        app.participating_units.set([w.h31, w.h32])
        _with_indicators(w, app, n)
        counts.append(_count(client, reverse("grants:application_detail", args=[app.pk])))

    assert counts[0] == counts[1]
