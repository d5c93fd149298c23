"""`import_indicators` and registries.services.import_files on small files in SKDE's formats."""

import zipfile
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import CommandError, call_command

from audit.models import AuditEntry
from registries.models import DeliveredValue, Indicator, IndicatorDelivery, IndicatorValue, Organisation
from registries.services import MAX_XLSX_MEMBERS, import_files
from tests.factories import IndicatorFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

HOSPITAL_A, HOSPITAL_B = 974000001, 974000002
DEF_HEADER = '"id";"registry_name";"title";"level_green";"level_yellow";"level_direction";"min_denominator"'
TREE = (
    "OrgNr;OrgNavnEnhetsreg;Kortnavn;Nivaa;NivaaOpp\n1;Nasjonalt;Nasjonalt;0;0\n880000001;HELSE TEST RHF;Test RHF;1;1\n"
)


@pytest.fixture
def units() -> None:
    OrganisationFactory(orgnr=HOSPITAL_A)
    OrganisationFactory(orgnr=HOSPITAL_B)
    IndicatorFactory(id="ind1")


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def aggregated(tmp_path: Path, rows: list[str], name: str = "agg.csv") -> Path:
    return write(tmp_path, name, '"year";"orgnr";"var";"denominator";"ind_id"\n' + "\n".join(rows) + "\n")


def values() -> set[tuple[str, int, int, Decimal, Decimal]]:
    return {
        (v.indicator_id, v.organisation_id, v.year, v.numerator, v.denominator) for v in IndicatorValue.objects.all()
    }


# ---------------------------------------------------------------- bad rows


@pytest.mark.parametrize(
    ("row", "message"),
    [
        (
            f'2020;{HOSPITAL_A};3;10;"nope"',
            "unknown indicator “nope” (1 rows); the file is not imported until it is known",
        ),
        ('2020;123;3;10;"ind1"', "unknown organisation 123 (1 rows); the file is not imported until it is known"),
        (f'2020;{HOSPITAL_A};tre;10;"ind1"', "var is not a valid number: “tre”"),
        (f'1800;{HOSPITAL_A};3;10;"ind1"', "year is not a valid number: “1800”"),
        (f'2050;{HOSPITAL_A};3;10;"ind1"', "impossible year 2050: after this year"),
        (f'2020;{HOSPITAL_A};0;0;"ind1"', "the denominator is zero"),
        (f'2020;{HOSPITAL_A};11;10;"ind1"', "var 11 is above the denominator 10"),
        (
            f'2020;{HOSPITAL_A};3;10000000000;"ind1"',
            "denominator 10000000000 is too large (at most 9,999,999,999 allowed)",
        ),
    ],
)
def test_a_bad_row_is_reported_with_its_line_and_nothing_is_imported(units, tmp_path, row, message):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_B};1;5;"ind1"', row])

    result = import_files([path])

    assert result.problems == [f"{path}:3: {message}"]
    assert IndicatorValue.objects.count() == 0
    assert IndicatorDelivery.objects.count() == 0


def test_every_problem_in_a_file_is_listed(units, tmp_path):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};0;0;"ind1"', f'2020;{HOSPITAL_A};3;10;"x"', '2020;5;1;2;"x"'])

    result = import_files([path])

    assert result.problems == [
        f"{path}:2: the denominator is zero",
        f"{path}:3: unknown indicator “x” (2 rows); the file is not imported until it is known",
        f"{path}:4: unknown organisation 5 (1 rows); the file is not imported until it is known",
    ]


def test_definitions_whose_thresholds_contradict_their_direction_are_refused(tmp_path):
    path = write(
        tmp_path,
        "IndBeskr.csv",
        DEF_HEADER + '\n"good";"reg";"Good";0,2;0,3;0;5\n"bad";"reg";"Bad";0,2;0,3;1;5\n',
    )

    result = import_files([path])

    assert result.problems == [
        f"{path}:3: bad: level_green 0.2 and level_yellow 0.3 contradict level_direction 1 (higher is better)"
    ]
    assert Indicator.objects.count() == 0


def test_an_unrecognised_header_is_a_problem_on_line_1(tmp_path):
    path = write(tmp_path, "x.csv", "a;b\n1;2\n")

    assert import_files([path]).problems == [f"{path}:1: header not recognised as an SKDE file: a, b"]


# ---------------------------------------------------------------- all or nothing, idempotence, replacement


def test_a_good_file_with_a_bad_one_in_the_same_run_imports_nothing(units, tmp_path):
    good = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"'], "good.csv")
    tree = write(tmp_path, "tree.csv", TREE)
    bad = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;0;"ind1"'], "bad.csv")

    result = import_files([good, tree, bad])

    assert result.problems == [f"{bad}:2: the denominator is zero", f"{bad}:2: var 3 is above the denominator 0"]
    assert IndicatorValue.objects.count() == 0
    assert not Organisation.objects.filter(orgnr=880000001).exists()
    assert AuditEntry.objects.count() == 0


def test_definitions_tree_and_events_in_one_run_are_imported_together(tmp_path):
    definitions = write(tmp_path, "IndBeskr.csv", DEF_HEADER + '\n"ev1";"reg";"Events";0,5;0,3;1;5\n')
    tree = write(tmp_path, "tree.csv", TREE + "974000009;TEST SYKEHUS;Test;3;880000001\n")
    events = write(
        tmp_path, "ev.csv", '"year";"orgnr";"var";"ind_id"\n2020;974000009;1;"ev1"\n2020;974000009;0;"ev1"\n'
    )

    result = import_files([events, tree, definitions])

    assert result.problems == []
    assert values() == {("ev1", 974000009, 2020, Decimal("1.0000"), Decimal("2.0000"))}
    assert Indicator.objects.get().level_green == Decimal("0.5")


def test_reimporting_the_same_file_changes_nothing(units, tmp_path):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"', f'2021;{HOSPITAL_A};4;10;"ind1"'])
    import_files([path])
    before = (values(), IndicatorDelivery.objects.count(), AuditEntry.objects.count())

    result = import_files([path])

    assert (values(), IndicatorDelivery.objects.count(), AuditEntry.objects.count()) == before
    assert before[1:] == (2, 2)
    assert (result.files[0].created, result.files[0].unchanged) == (0, 2)


def test_a_newer_delivery_replaces_the_older_one_and_both_are_kept(units, tmp_path):
    old = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"', f'2020;{HOSPITAL_B};1;5;"ind1"'], "old.csv")
    new = aggregated(tmp_path, [f'2020;{HOSPITAL_A};4;10;"ind1"', f'2021;{HOSPITAL_A};5;10;"ind1"'], "new.csv")
    user = UserFactory()
    import_files([old], by=user)

    result = import_files([new], by=user)

    assert values() == {
        ("ind1", HOSPITAL_A, 2020, Decimal("4.0000"), Decimal("10.0000")),
        ("ind1", HOSPITAL_A, 2021, Decimal("5.0000"), Decimal("10.0000")),
    }
    older = IndicatorDelivery.objects.get(file_name="old.csv")
    newer = IndicatorDelivery.objects.get(file_name="new.csv", year=2020)
    assert (older.replaced_by, newer.is_current, newer.imported_by) == (newer, True, user)
    assert set(older.values.values_list("orgnr", "numerator")) == {(HOSPITAL_A, Decimal("3")), (HOSPITAL_B, 1)}
    assert DeliveredValue.objects.filter(delivery=newer).count() == 1
    assert (result.files[0].created, result.files[0].replaced) == (2, 1)
    assert AuditEntry.objects.filter(action="registries.delivery.imported", object_id=newer.pk).get().data == {
        "file": "new.csv",
        "indicator": "ind1",
        "year": 2020,
        "rows": 1,
        "replaces": older.pk,
    }


def test_dry_run_stores_nothing(units, tmp_path):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"'])

    result = import_files([path], dry_run=True)

    assert (result.ok, result.files[0].created) == (True, 1)
    assert (IndicatorValue.objects.count(), IndicatorDelivery.objects.count(), AuditEntry.objects.count()) == (0, 0, 0)


# ---------------------------------------------------------------- XLSX


def test_an_xlsx_file_is_imported(units, tmp_path):
    path = tmp_path / "agg.xlsx"
    frame = pd.DataFrame({"year": [2020], "orgnr": [HOSPITAL_A], "var": [3], "denominator": [10], "ind_id": ["ind1"]})
    frame.to_excel(path, index=False)

    result = import_files([path])

    assert result.problems == []
    assert values() == {("ind1", HOSPITAL_A, 2020, Decimal("3.0000"), Decimal("10.0000"))}


def test_a_csv_disguised_as_xlsx_is_refused(units, tmp_path):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"'], "agg.xlsx")

    assert import_files([path]).problems == [
        f"{path}:0: not an XLSX workbook: the content does not match the extension"
    ]


def test_a_zip_that_is_no_workbook_is_refused(tmp_path):
    path = tmp_path / "agg.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("data.csv", "year;orgnr\n")

    assert import_files([path]).problems == [
        f"{path}:0: not an XLSX workbook: the content does not match the extension"
    ]


def test_a_workbook_that_unpacks_too_large_is_refused_before_it_is_opened(tmp_path):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", b"\0" * (50 * 1024 * 1024))

    assert import_files([path]).problems == [
        f"{path}:0: refused: the workbook unpacks to 52428808 bytes (at most 52428800)"
    ]


def test_a_workbook_with_too_many_parts_is_refused(tmp_path):
    path = tmp_path / "many.xlsx"
    with zipfile.ZipFile(path, "w") as archive:
        for n in range(MAX_XLSX_MEMBERS + 1):
            archive.writestr(f"xl/p{n}.xml", "")

    assert import_files([path]).problems == [
        f"{path}:0: refused: the workbook has {MAX_XLSX_MEMBERS + 1} parts (at most {MAX_XLSX_MEMBERS})"
    ]


def test_a_zip_disguised_as_csv_is_refused(tmp_path):
    path = tmp_path / "agg.csv"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("a", "b")

    assert import_files([path]).problems == [f"{path}:0: not a CSV text file: the content does not match the extension"]


# ---------------------------------------------------------------- the command


def test_the_command_prints_problems_to_stderr_and_exits_1(units, tmp_path):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};0;0;"ind1"'])
    stderr = StringIO()

    # call_command rather than run_from_argv, which closes the test's database connection; the exit code is the
    # CommandError's returncode, which run_from_argv passes to sys.exit after printing the message to stderr.
    with pytest.raises(CommandError) as error:
        call_command("import_indicators", str(path), stderr=stderr)

    assert (error.value.returncode, str(error.value)) == (1, "1 problem(s); nothing was imported.")
    assert stderr.getvalue() == f"{path}:2: the denominator is zero\n"
    assert IndicatorValue.objects.count() == 0


def test_the_command_imports_and_exits_0(units, tmp_path, capsys):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"'])

    call_command("import_indicators", str(path))

    assert capsys.readouterr().out == (
        f"{path}: aggregated, 1 rows; 1 new deliveries (0 replacing an older one), 0 unchanged\nImported.\n"
    )
    assert IndicatorValue.objects.count() == 1


def test_the_command_with_dry_run_stores_nothing(units, tmp_path, capsys):
    path = aggregated(tmp_path, [f'2020;{HOSPITAL_A};3;10;"ind1"'])

    call_command("import_indicators", str(path), "--dry-run")

    assert capsys.readouterr().out.endswith("Dry run: nothing was stored.\n")
    assert IndicatorValue.objects.count() == 0
