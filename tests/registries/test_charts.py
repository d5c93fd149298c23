"""registries.charts: an SVG of an indicator over the years, the same bytes for the same input, usable in a PDF."""

import io
import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest
from django.utils import translation
from pypdf import PdfReader

from core.pdf import DataOnlyFetcher, render_pdf
from projects.selectors import chart_data_uri
from registries.charts import Labels, Series, indicator_chart, unit_chart
from registries.models import Indicator
from registries.selectors import Sums, Tree, unit_value
from tests.test_i18n import MO_FILE

D = Decimal
SVG = "{http://www.w3.org/2000/svg}"
LABELS = Labels(title="Andel operert innen 48 timer", target="Målverdi", high="Høy", moderate="Moderat", low="Lav")
SERIES = [
    Series("Sykehus A", {2021: D("0.4"), 2022: None, 2023: D("0.7")}),
    Series("Nasjonalt", {2021: D("0.5"), 2022: D("0.52"), 2023: D("0.55")}, nation=True),
]


def chart(**kwargs):
    options = {"measure_unit": "%", "green": D("0.6"), "yellow": D("0.45"), "direction": 1, "target": D("0.65")}
    return indicator_chart(SERIES, labels=LABELS, **{**options, **kwargs})


def parse(svg):
    return ET.fromstring(svg)  # noqa: S314 (our own chart, parsed in a test: no untrusted XML)


def texts(svg):
    return [t.text for t in parse(svg).iter(f"{SVG}text")]


def ids(svg):
    return {el.get("id") for el in parse(svg).iter() if el.get("id")}


def test_the_chart_is_svg_with_both_series_the_target_the_bands_and_the_title():
    svg = chart()

    words = {"Andel operert innen 48 timer", "Sykehus A", "Nasjonalt", "Målverdi", "Høy", "Moderat", "Lav"}
    assert parse(svg).tag == f"{SVG}svg"
    assert {"series-0", "series-1", "band-high", "band-moderate", "band-low"} <= ids(svg)
    assert words <= set(texts(svg))


def test_a_suppressed_point_is_left_out_and_its_line_broken_there():
    def moves_and_lines(gid):
        group = next(el for el in parse(chart()).iter() if el.get("id") == gid)
        d = next(group.iter(f"{SVG}path")).get("d")
        return d.count("M"), d.count("L")

    # Sykehus A: 2021 and 2023 with 2022 suppressed: two separate points; the nation: one line through three
    assert (moves_and_lines("series-0"), moves_and_lines("series-1")) == ((2, 0), (1, 2))


def test_without_thresholds_there_are_no_bands():
    svg = chart(green=None, yellow=None)

    assert ids(svg) & {"band-high", "band-moderate", "band-low"} == set()
    assert "Høy" not in texts(svg)


def test_lower_is_better_bands_run_from_green_at_the_bottom():
    svg = chart(direction=0, green=D("0.45"), yellow=D("0.6"))

    assert {"band-high", "band-moderate", "band-low"} <= ids(svg)


def test_percent_indicators_have_percent_ticks():
    assert [t for t in texts(chart()) if t.endswith("%")][:2] == ["40 %", "45 %"]


def test_the_same_input_gives_the_same_bytes():
    assert chart().encode() == chart().encode()


@pytest.mark.skipif(not MO_FILE.exists(), reason="the Norwegian catalogue is not compiled (make messages)")
def test_the_chart_words_follow_the_active_language():
    indicator = Indicator(id="i1", title="Andel", direction=1, level_green=D("0.6"), measure_unit="%")
    values = {2021: {1: unit_value(indicator, 2021, 1, Sums(D(5), D(10)), Tree({}, {}))}}

    with translation.override("nb"):
        norwegian = texts(unit_chart(indicator, values, [(1, "Nasjonalt")], target=D("0.6")))
    with translation.override("en"):
        english = texts(unit_chart(indicator, values, [(1, "Nation")], target=D("0.6")))

    assert ("Målverdi" in norwegian, "Høy måloppnåelse" in norwegian, "År" in norwegian) == (True, True, True)
    assert ("Target" in english, "High goal attainment" in english, "Year" in english) == (True, True, True)


def test_the_chart_renders_inside_a_pdf_as_a_data_url():
    fetcher = DataOnlyFetcher()
    html = f'<html><body><h1>Sluttrapport</h1><img src="{chart_data_uri(chart())}" alt="Figur"></body></html>'

    pdf = render_pdf(html, fetcher=fetcher)

    reader = PdfReader(io.BytesIO(pdf))
    text = reader.pages[0].extract_text()
    assert (len(reader.pages), fetcher.refused) == (1, [])
    assert ("Sluttrapport" in text, "Andel operert innen 48 timer" in text, "Sykehus A" in text) == (True, True, True)
