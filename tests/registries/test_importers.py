"""The importer functions on small slices of SKDE's formats (the full files are loaded in test_loaddemo.py)."""

from decimal import Decimal

import pandas as pd
import pytest

from registries import importers as imp
from registries.models import Indicator, IndicatorValue, Organisation
from tests.factories import IndicatorFactory, OrganisationFactory, RegistryFactory

_HEADER = [
    "id",
    "registry_name",
    "title",
    "name",
    "level_green",
    "level_yellow",
    "level_direction",
    "short_description",
    "long_description",
    "type",
    "measure_unit",
    "min_denominator",
    "min_value",
    "max_value",
    "registry_full_name",
    "dg_id",
    "include",
]
DEFINITIONS = (
    "\n".join(
        [
            ";".join(f'"{c}"' for c in _HEADER),
            '"nakke1";"nkr_nakke";"Svelgevansker";"svelg";0,17;0,25;0;"Kort";"Lang";"andel";"%";1;0;1;'
            '"Nasjonalt kvalitetsregister for ryggkirurgi";NA;TRUE',
            '"hjerte2";"hjerteinfarkt";"Reperfusjon";"rep";NA;NA;1;NA;NA;NA;NA;NA;NA;NA;'
            '"Norsk hjerteinfarktregister";"hjerteinfarkt_dekgrad";FALSE',
            '"bad1";"x";"Feil";"f";0,1x;NA;0;NA;NA;NA;NA;NA;NA;NA;"X";NA;TRUE',
            '"bad2";"x";"Feil retning";"f";0,1;NA;2;NA;NA;NA;NA;NA;NA;NA;"X";NA;TRUE',
        ]
    )
    + "\n"
)

EVENTS = """"year";"orgnr";"var";"ind_id"
2019;974795787;1;"nakke1"
2019;974795787;0;"nakke1"
2019;974795787;1;"nakke1"
2020;974795787;1;"nakke1"
2019;974795787;1;"nkr_rygg_ukjent"
20x9;974795787;1;"nakke1"
2019;974795787;-1;"nakke1"
3019;974795787;1;"nakke1"
"""

# korsband_DG.csv orders its columns differently; the header decides, not the position.
AGGREGATED = """"year";"ind_id";"var";"denominator";"orgnr"
2018;"nakke1";72;84;974795787
2018;"nakke1";8;16;974795787
2018;"nakke1";5;10;1
"""

TREE = """OrgNr;OrgNavnEnhetsreg;Kortnavn;Nivaa;NivaaOpp
1;Nasjonalt;Nasjonalt;0;0
883658752;HELSE NORD RHF;Helse Nord RHF;1;1
983974899;UNIVERSITETSSYKEHUSET NORD-NORGE HF;UNN HF;2;883658752
974795787;UNN TROMSØ - SOMATIKK;Tromsø;3;983974899
"""


def _frame(tmp_path, text, name="file.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return imp.read_table(path)


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        (DEFINITIONS, imp.DEFINITIONS),
        (EVENTS, imp.EVENTS),
        (AGGREGATED, imp.AGGREGATED),
        (TREE, imp.TREE),
        ("OrgNrRHF;RHF;OrgNrHF;HF;OrgNrShus\n", imp.TREE_WIDE),
        ("a;b\n", None),
    ],
)
def test_detect_kind_recognises_each_format_by_its_header(tmp_path, text, kind):
    assert imp.detect_kind(_frame(tmp_path, text).columns) == kind


def test_parse_definitions_reads_decimal_commas_na_and_booleans(tmp_path):
    rows, problems = imp.parse_definitions(_frame(tmp_path, DEFINITIONS))

    nakke, hjerte = rows
    assert (nakke["id"], nakke["level_green"], nakke["level_yellow"], nakke["direction"]) == (
        "nakke1",
        Decimal("0.17"),
        Decimal("0.25"),
        0,
    )
    assert (nakke["min_denominator"], nakke["include"], nakke["coverage_indicator_id"]) == (1, True, "")
    assert (hjerte["level_green"], hjerte["level_yellow"], hjerte["direction"]) == (None, None, 1)
    assert (hjerte["min_denominator"], hjerte["include"], hjerte["coverage_indicator_id"]) == (
        5,
        False,
        "hjerteinfarkt_dekgrad",
    )
    assert hjerte["short_description"] == ""
    assert [(p.line, p.message) for p in problems] == [
        (4, "bad1: level_green is not a number: “0,1x”"),
        (5, "bad2: level_direction must be 0 or 1, not “2”"),
    ]


@pytest.mark.django_db
def test_link_registries_matches_names_sets_skde_key_and_reports_the_rest(tmp_path):
    nkr = RegistryFactory(name="Nasjonalt kvalitetsregister for ryggkirurgi", short_name="NKR")
    rows, _problems = imp.parse_definitions(_frame(tmp_path, DEFINITIONS))

    unmatched = imp.link_registries(rows[:2])

    assert [r["registry_id"] for r in rows[:2]] == [nkr.pk, None]
    assert unmatched == [("hjerteinfarkt", "Norsk hjerteinfarktregister")]
    nkr.refresh_from_db()
    assert nkr.skde_key == "nkr_nakke"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spelling", "registry_name"),
    [
        ("Norsk register for gastrokirurgi (NoRGast)", "Norsk register for gastrokirurgi"),
        ("Norsk vaskulittregister & biobank (NorVas)", "Norsk vaskulittregister & Biobank"),
        ("Norsk karkirurgisk register - NORKAR", "Norsk karkirurgisk register"),
        ("Norsk register for invasiv kardiologi (NORIC)", "Nasjonalt register for invasiv kardiologi"),
        ("Nasjonalt korbåndregister", "Nasjonalt korsbåndregister"),
        ("Norsk kvinnelig inkontinensregister", "Norsk kvinnelig Inkontinensregister"),
        ("KvaRus", "Kvalitetsregister for behandling av skadelig bruk eller avhengighet av rusmidler"),
    ],
)
def test_registry_index_finds_registries_as_other_sources_spell_them(spelling, registry_name):
    registry = RegistryFactory(name=registry_name, short_name="KvaRus" if "rusmidler" in registry_name else "")

    assert imp.RegistryIndex().find(spelling) == registry


@pytest.mark.django_db
def test_registry_index_finds_nothing_for_an_unknown_name():
    RegistryFactory(name="Norsk hjerneslagregister")

    assert imp.RegistryIndex().find("Norsk hjernerslagregister") is None


def test_parse_values_counts_each_event_row_as_denominator_one_and_reports_bad_rows(tmp_path):
    values, problems = imp.parse_values(_frame(tmp_path, EVENTS))

    known, unknown = imp.split_unknown(values, {"nakke1"})
    aggregated = imp.aggregate(known)

    assert unknown == {"nkr_rygg_ukjent": 1}
    assert aggregated.to_dict("records") == [
        {"ind_id": "nakke1", "orgnr": 974795787, "year": 2019, "numerator": 2, "denominator": 3},
        {"ind_id": "nakke1", "orgnr": 974795787, "year": 2020, "numerator": 1, "denominator": 1},
    ]
    assert [(p.line, p.message) for p in problems] == [
        (7, "year is not a valid number: “20x9”"),
        (8, "var is not a valid number: “-1”"),
        (9, "year is not a valid number: “3019”"),
    ]


def test_aggregated_rows_are_summed_per_unit_and_year_at_the_level_delivered(tmp_path):
    values, problems = imp.parse_values(_frame(tmp_path, AGGREGATED))

    aggregated = imp.aggregate(values)

    assert problems == []
    assert aggregated.to_dict("records") == [
        {"ind_id": "nakke1", "orgnr": 1, "year": 2018, "numerator": 5, "denominator": 10},
        {"ind_id": "nakke1", "orgnr": 974795787, "year": 2018, "numerator": 80, "denominator": 100},
    ]


def test_read_table_reads_xlsx_like_csv(tmp_path):
    path = tmp_path / "data.xlsx"
    pd.DataFrame({"year": [2019], "orgnr": [974795787], "var": [1], "ind_id": ["nakke1"]}).to_excel(path, index=False)

    values, problems = imp.parse_values(imp.read_table(path))

    assert problems == []
    assert values[["ind_id", "orgnr", "year", "var", "denominator"]].to_dict("records") == [
        {"ind_id": "nakke1", "orgnr": 974795787, "year": 2019, "var": 1, "denominator": 1}
    ]


@pytest.mark.django_db
def test_save_values_creates_then_leaves_equal_rows_alone_and_updates_changed_ones(tmp_path):
    IndicatorFactory(id="nakke1")
    OrganisationFactory(orgnr=1, level="nation")
    OrganisationFactory(orgnr=974795787)
    aggregated = imp.aggregate(imp.parse_values(_frame(tmp_path, AGGREGATED))[0])

    first = imp.save_values(aggregated)
    second = imp.save_values(aggregated)
    aggregated.loc[0, "numerator"] = 6
    third = imp.save_values(aggregated)

    assert (first.created, second.created, second.unchanged, third.updated, third.unchanged) == (2, 0, 2, 1, 1)
    assert sorted(IndicatorValue.objects.values_list("organisation_id", "numerator", "denominator")) == [
        (1, Decimal("6.0000"), Decimal("10.0000")),
        (974795787, Decimal("80.0000"), Decimal("100.0000")),
    ]


@pytest.mark.django_db
def test_parse_tree_gives_levels_and_parents_and_the_nation_no_parent(tmp_path):
    rows, problems = imp.parse_tree(_frame(tmp_path, TREE))

    counts = imp.save_organisations(rows)

    assert problems == []
    assert (counts.created, counts.updated) == (4, 0)
    assert list(Organisation.objects.order_by("orgnr").values_list("orgnr", "level", "parent_id")) == [
        (1, "nation", None),
        (883658752, "rhf", 1),
        (974795787, "hospital", 983974899),
        (983974899, "hf", 883658752),
    ]


@pytest.mark.django_db
def test_parse_tree_reports_unknown_levels_and_parents(tmp_path):
    text = TREE + "123;X;X;7;1\n456;Y;Y;3;999999999\n"

    _rows, problems = imp.parse_tree(_frame(tmp_path, text))

    assert [(p.line, p.message) for p in problems] == [
        (6, "unknown level (Nivaa) “7”"),
        (7, "parent 999999999 of 456 is not in the tree"),
    ]


@pytest.mark.django_db
def test_units_missing_from_the_tree_are_added_under_a_known_parent_or_none():
    OrganisationFactory(orgnr=999, level="rhf", name="Private")

    created = imp.add_unplaced_organisations([999, 991835083, 998273293], {991835083: ("Oslofjordklinikken", 999)})

    assert created == [991835083, 998273293]
    assert list(
        Organisation.objects.filter(orgnr__in=created)
        .order_by("orgnr")
        .values_list("orgnr", "name", "level", "parent_id")
    ) == [
        (991835083, "Oslofjordklinikken", "hospital", 999),
        (998273293, "Ukjent enhet 998273293", "hospital", None),
    ]


@pytest.mark.django_db
def test_save_indicators_twice_changes_nothing(tmp_path):
    rows, _problems = imp.parse_definitions(_frame(tmp_path, DEFINITIONS))
    imp.link_registries(rows)

    first, second = imp.save_indicators(rows), imp.save_indicators(rows)

    assert (first.created, second.created, second.updated, second.unchanged) == (2, 0, 0, 2)
    assert Indicator.objects.get(id="nakke1").level_green == Decimal("0.170000")
