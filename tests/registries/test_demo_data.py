"""What loaddemo puts in the database, checked on one load shared by the module (the data is only read here)."""

import csv
from decimal import Decimal

import pytest
from django.db import transaction

from audit.models import AuditEntry
from audit.services import history
from grants.models import Application, Call, Scheme
from projects.models import Project
from registries.demo import DATA_DIR, load_demo
from registries.models import Indicator, IndicatorValue, Organisation, Registry, RegistryYear

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def demo_report(django_db_setup, django_db_blocker):
    """One full load (about a second), rolled back when the module is done, like Django's setUpTestData."""
    with django_db_blocker.unblock(), transaction.atomic():
        yield load_demo(with_users=False, say=lambda text: None)
        transaction.set_rollback(True)


def test_loaddemo_loads_registries_tree_indicators_and_values(demo_report):
    with open(DATA_DIR / "skde" / "IndBeskr.csv", encoding="utf-8") as fh:
        definitions = sum(1 for _row in csv.DictReader(fh, delimiter=";"))

    report = demo_report

    assert (Registry.objects.count(), RegistryYear.objects.count()) == (52, 104)
    # IndBeskr.csv's 120 and korsband_DG, which SKDE delivers data for without a definition (extra_definitions.csv).
    assert definitions == 120
    assert Indicator.objects.count() == 121
    assert Indicator.objects.filter(registry__isnull=True).count() == 0
    assert report.unmatched_registries == []
    # hospital_structure.csv has 201 units; the data files use 9 more that no tree lists (two named, seven unknown).
    levels = ("nation", "rhf", "hf", "hospital")
    assert {level: Organisation.objects.filter(level=level).count() for level in levels} == {
        "nation": 1,
        "rhf": 5,
        "hf": 37,
        "hospital": 167,
    }
    assert sorted(report.unplaced_units) == [
        887987122,
        913758862,
        920500234,
        973254979,
        977208734,
        991835083,
        994679627,
        998273293,
        998562708,
    ]
    # Every row of every file is in: the ids the data files spell differently are read through the alias table.
    assert IndicatorValue.objects.count() == 6203
    assert {name: ids for name, ids in report.unknown_ids.items() if ids} == {}
    assert {name: len(ids) for name, ids in report.aliased.items() if ids} == {
        "nkr_rygg.csv": 6,
        "norvas.csv": 7,
        "hoftebrudd_dg.csv": 4,
    }
    assert report.aliased["nkr_rygg.csv"]["nkr_rygg_varighet_bensmerter"] == ("rygg_varighet_bensmerter", 14850)
    assert IndicatorValue.objects.filter(indicator_id="korsband_DG").count() == 223
    assert report.problems == {}


def test_registry_years_carry_stage_coverage_notes_and_funds_once(demo_report):
    traume = Registry.objects.get(name="Nasjonalt traumeregister")
    nkr = Registry.objects.get(short_name="NKR")

    assert list(traume.years.values_list("year", "stage", "coverage_percent", "coverage_note", "rhf_funds_nok")) == [
        (2019, "2", Decimal("95.0"), ">95", None),
        (2020, "2B", Decimal("90.0"), ">90", Decimal("1829789.00")),
    ]
    assert (nkr.region, nkr.established_year, nkr.skde_key) == ("Nord", 2006, "nkr_nakke")
    assert sorted(nkr.indicators.values_list("id", flat=True))[:2] == ["nakke1", "nakke2"]


def test_indicator_definitions_and_values_are_stored_as_published(demo_report):
    nakke1 = Indicator.objects.get(id="nakke1")
    # Counted from nnrr.csv (event rows) and lymfoide_maligniteter.csv (two aggregated rows for one unit and year).
    nnrr = IndicatorValue.objects.get(indicator_id="nnrr_bedret_funksjon", organisation_id=974795787, year=2018)
    lymfoid = IndicatorValue.objects.get(indicator_id="lymfoid_dekgrad_utred", organisation_id=974116804, year=2011)

    assert (nakke1.level_green, nakke1.level_yellow, nakke1.direction, nakke1.min_denominator) == (
        Decimal("0.17"),
        Decimal("0.17"),
        0,
        1,
    )
    assert (nnrr.numerator, nnrr.denominator) == (Decimal("70"), Decimal("299"))
    assert (lymfoid.numerator, lymfoid.denominator) == (Decimal("60"), Decimal("76"))


def test_schemes_have_their_criteria_expert_groups_and_report_templates(demo_report):
    qi, dq = Scheme.objects.get(code="quality_improvement"), Scheme.objects.get(code="data_quality")

    assert (qi.name, qi.name_en, qi.decision_body, qi.requires_indicators, qi.default_max_amount_nok) == (
        "Kvalitetsforbedring",
        "Quality improvement",
        "Interregionalt fagdirektørmøte",
        True,
        None,
    )
    assert (dq.name, dq.name_en, dq.decision_body, dq.requires_indicators, dq.default_max_amount_nok) == (
        "Datakvalitet",
        "Data quality",
        "Interregional arbeidsgruppe (IRA)",
        False,
        Decimal("100000.00"),
    )
    assert list(qi.criteria.values_list("code", "weight")) == [
        ("registry_data", Decimal("2.00")),
        ("improvement_method", Decimal("2.00")),
        ("feasibility_budget", Decimal("1.00")),
        ("user_involvement", Decimal("1.00")),
        ("transfer_value", Decimal("1.00")),
    ]
    assert list(dq.criteria.values_list("code", "weight")) == [
        ("methodology", Decimal("2.00")),
        ("feasibility", Decimal("1.00")),
        ("value_beyond", Decimal("1.00")),
    ]
    assert (qi.expert_group.name, dq.expert_group.name) == (
        "Faggruppe for kvalitetsforbedring",
        "Faggruppen for datakvalitet",
    )
    assert len(qi.final_report_sections) == 17
    assert [s["key"] for s in dq.final_report_sections][:2] == ["summary", "dimension"]


def test_the_2021_grants_become_decided_calls_granted_applications_and_projects(demo_report):
    calls = list(Call.objects.order_by("scheme__code", "year").values_list("scheme__code", "year", "state"))
    dq_2021 = Application.objects.filter(call__scheme__code="data_quality", call__year=2021)
    nkr = Application.objects.get(registry__short_name="NKR")

    assert calls == [
        ("data_quality", 2020, "decided"),
        ("data_quality", 2021, "decided"),
        ("quality_improvement", 2018, "decided"),
        ("quality_improvement", 2021, "decided"),
    ]
    assert Application.objects.filter(is_historical=True, state="granted").count() == 10
    assert sorted(dq_2021.values_list("granted_amount_nok", flat=True)) == [
        Decimal("85000.00"),
        Decimal("90000.00"),
        Decimal("92300.00"),
        Decimal("95000.00"),
    ]
    assert (nkr.granted_amount_nok, nkr.project.state, nkr.project.granted_amount_nok) == (
        None,
        "closed",
        Decimal("0.00"),
    )
    assert sorted(Project.objects.values_list("state", flat=True)) == ["active"] * 9 + ["closed"]
    assert [e.action for e in history(nkr)] == ["grants.application.import"]
    assert AuditEntry.objects.filter(action="projects.project.import").count() == 10
    assert AuditEntry.objects.filter(action="grants.call.import").count() == 4
