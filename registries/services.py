"""Importing SKDE's files (`import_indicators`): all files of one run are checked and saved in one transaction, and
a run with any problem saves nothing.

A data file is split into deliveries, one per indicator and year. The same rows delivered again change nothing; other
rows for an indicator and year replace the current delivery's values, and the older delivery is kept (with its
values in `DeliveredValue`) and points at the one that replaced it.
"""

import hashlib
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction

from audit.services import record

from . import importers as imp
from .goal import thresholds_consistent
from .models import DeliveredValue, Indicator, IndicatorAlias, IndicatorDelivery, IndicatorValue, Organisation

# Zip bomb guard: an SKDE workbook is a few MB unpacked and about ten parts.
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 500
EXTENSIONS = {".csv", ".xlsx"}
# Definitions before the aliases that name them, both before data.
KIND_ORDER = [imp.DEFINITIONS, imp.TREE, imp.TREE_WIDE, imp.ALIASES, imp.AGGREGATED, imp.EVENTS]


@dataclass
class FileResult:
    name: str
    kind: str = ""
    rows: int = 0
    created: int = 0  # deliveries (a definitions or tree file that changes something is one delivery)
    replaced: int = 0
    unchanged: int = 0
    aliased: dict[str, tuple[str, int]] = field(default_factory=dict)  # alias → (indicator id, rows)

    def summary(self) -> str:
        text = (
            f"{self.name}: {self.kind}, {self.rows} rows; {self.created} new deliveries "
            f"({self.replaced} replacing an older one), {self.unchanged} unchanged"
        )
        if self.aliased:
            text += "; read as: " + ", ".join(f"{a} → {i} ({n} rows)" for a, (i, n) in self.aliased.items())
        return text


@dataclass
class ImportResult:
    problems: list[str] = field(default_factory=list)
    files: list[FileResult] = field(default_factory=list)
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def saved(self) -> bool:
        return self.ok and not self.dry_run


@dataclass
class _Loaded:
    path: Path
    name: str
    sha256: str
    kind: str
    frame: pd.DataFrame


Progress = Callable[[int, str], None]  # (percent done, what is happening now)


def _no_progress(percent: int, stage: str) -> None:
    return None


def import_files(
    paths: list[Path | str],
    *,
    by: Any = None,
    dry_run: bool = False,
    registry: Any = None,
    progress: Progress = _no_progress,
) -> ImportResult:
    """Import SKDE files all or nothing. With `registry`, only data rows of that registry's indicators are accepted
    (a registry member's upload); definitions and the organisation tree then need the secretariat."""
    result = ImportResult(dry_run=dry_run)
    loaded = []
    for number, path in enumerate(paths):
        progress(int(20 * number / len(paths)), f"reading {Path(path).name}")
        file, problems = _load(Path(path), str(path))
        result.problems += [p.format(str(path)) for p in problems]
        if file is not None:
            loaded.append(file)
    return import_tables(loaded, result, by=by, registry=registry, progress=progress)


def import_table(
    name: str, frame: pd.DataFrame, *, content: bytes, by: Any = None, dry_run: bool = False, registry: Any = None
) -> ImportResult:
    """One table already in memory (a FHIR MeasureReport converted to aggregated rows, say), under the same rules."""
    result = ImportResult(dry_run=dry_run)
    kind = imp.detect_kind(frame.columns)
    if kind is None:
        result.problems.append(imp.Problem(1, "header not recognised as an SKDE file").format(name))
        return result
    loaded = _Loaded(Path(name), name, hashlib.sha256(content).hexdigest(), kind, frame)
    return import_tables([loaded], result, by=by, registry=registry)


def import_tables(
    loaded: list["_Loaded"],
    result: ImportResult,
    *,
    by: Any = None,
    registry: Any = None,
    progress: Progress = _no_progress,
) -> ImportResult:
    loaded.sort(key=lambda f: KIND_ORDER.index(f.kind))
    with transaction.atomic():
        for number, file in enumerate(loaded):
            progress(20 + int(75 * number / max(len(loaded), 1)), f"checking and saving {file.path.name}")
            outcome = FileResult(file.name, file.kind, len(file.frame))
            if registry is not None and file.kind not in (imp.AGGREGATED, imp.EVENTS):
                problems = [imp.Problem(0, f"only the secretariat can import {file.kind} files")]
            else:
                problems = _IMPORTERS[file.kind](file, outcome, by, registry)
            result.problems += [p.format(file.name) for p in problems]
            result.files.append(outcome)
        if not result.saved:
            transaction.set_rollback(True)
    progress(100, "done")
    return result


# ---------------------------------------------------------------- reading and checking the file itself


def _load(path: Path, name: str) -> tuple[_Loaded | None, list[imp.Problem]]:
    if path.suffix.lower() not in EXTENSIONS:
        return None, [imp.Problem(0, f"unsupported file type “{path.suffix}”: expected .csv or .xlsx")]
    try:
        content = path.read_bytes()
    except OSError as exc:
        return None, [imp.Problem(0, f"cannot read the file: {exc.strerror}")]
    problem = _check_xlsx(path) if path.suffix.lower() == ".xlsx" else _check_csv(content)
    if problem:
        return None, [imp.Problem(0, problem)]
    try:
        frame = imp.read_table(path)
    except Exception as exc:  # pandas and openpyxl raise many types for a broken file; all mean the same here
        return None, [imp.Problem(0, f"cannot read the table: {exc}")]
    kind = imp.detect_kind(frame.columns)
    if kind is None:
        columns = ", ".join(frame.columns)
        return None, [imp.Problem(1, f"header not recognised as an SKDE file: {columns}")]
    return _Loaded(path, name, hashlib.sha256(content).hexdigest(), kind, frame), []


def _check_xlsx(path: Path) -> str | None:
    """Before openpyxl unpacks anything: a real OOXML workbook, of a sane unpacked size and number of parts."""
    if not zipfile.is_zipfile(path):
        return "not an XLSX workbook: the content does not match the extension"
    with zipfile.ZipFile(path) as archive:
        members = archive.infolist()
        names = {m.filename for m in members}
        if len(members) > MAX_XLSX_MEMBERS:
            return f"refused: the workbook has {len(members)} parts (at most {MAX_XLSX_MEMBERS})"
        unpacked = sum(m.file_size for m in members)
        if unpacked > MAX_XLSX_UNCOMPRESSED:
            return f"refused: the workbook unpacks to {unpacked} bytes (at most {MAX_XLSX_UNCOMPRESSED})"
    if not {"[Content_Types].xml", "xl/workbook.xml"} <= names:
        return "not an XLSX workbook: the content does not match the extension"
    return None


def _check_csv(content: bytes) -> str | None:
    if content.startswith(b"PK\x03\x04") or b"\0" in content[:8192]:
        return "not a CSV text file: the content does not match the extension"
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        return f"not UTF-8 text (byte {exc.start})"
    return None


# ---------------------------------------------------------------- definitions and the organisation tree


def _import_definitions(file: _Loaded, outcome: FileResult, by: Any, registry: Any = None) -> list[imp.Problem]:
    rows, problems = imp.parse_definitions(file.frame)
    lines = {ind_id.strip(): imp._line(i) for i, ind_id in file.frame["id"].items()}
    for row in rows:
        if not thresholds_consistent(row["level_green"], row["level_yellow"], row["direction"]):
            better = "higher" if row["direction"] == 1 else "lower"
            problems.append(
                imp.Problem(
                    lines[row["id"]],
                    f"{row['id']}: level_green {row['level_green']} and level_yellow {row['level_yellow']} "
                    f"contradict level_direction {row['direction']} ({better} is better)",
                )
            )
    if problems:
        return sorted(problems, key=lambda p: p.line)
    imp.link_registries(rows)
    _whole_file_delivery(file, outcome, imp.save_indicators(rows), by)
    return []


def _import_tree(file: _Loaded, outcome: FileResult, by: Any, registry: Any = None) -> list[imp.Problem]:
    wide = file.kind == imp.TREE_WIDE
    rows, problems = (imp.parse_tree_wide if wide else imp.parse_tree)(file.frame)
    if problems:
        return problems
    # As loaddemo: the wide file (one row per hospital) only fills gaps in the tree.
    _whole_file_delivery(file, outcome, imp.save_organisations(rows, fill_only=wide), by)
    return []


def _whole_file_delivery(file: _Loaded, outcome: FileResult, counts: imp.Counts, by: Any) -> None:
    if not counts.created and not counts.updated:
        outcome.unchanged = 1
        return
    delivery = IndicatorDelivery.objects.create(
        file_name=file.path.name,
        sha256=file.sha256,
        content_sha256=file.sha256,
        kind=file.kind,
        rows=len(file.frame),
        imported_by=_user(by),
    )
    outcome.created = 1
    record(delivery, "registries.delivery.imported", actor=by, data={"file": file.path.name, "counts": str(counts)})


def _import_aliases(file: _Loaded, outcome: FileResult, by: Any, registry: Any = None) -> list[imp.Problem]:
    """`alias;indicator;note`: another id under which data files deliver a defined indicator."""
    known = set(Indicator.objects.values_list("id", flat=True))
    problems, rows = [], []
    for index, rec in file.frame.iterrows():
        alias, indicator = str(rec["alias"]).strip(), str(rec["indicator"]).strip()
        line = imp._line(index)
        if not alias or not indicator:
            problems.append(imp.Problem(line, "alias and indicator are both required"))
        elif indicator not in known:
            problems.append(imp.Problem(line, f"unknown indicator “{indicator}”"))
        elif alias in known:
            problems.append(imp.Problem(line, f"“{alias}” is itself an indicator id and cannot be an alias"))
        else:
            rows.append((alias, indicator, str(rec.get("note", "")).strip()))
    if problems:
        return problems
    counts = imp.Counts()
    existing = {a.alias: a for a in IndicatorAlias.objects.filter(alias__in=[r[0] for r in rows])}
    for alias, indicator, note in rows:
        current = existing.get(alias)
        if current is None:
            IndicatorAlias.objects.create(alias=alias, indicator_id=indicator, note=note)
            counts.created += 1
        else:
            imp._update_if_changed(current, {"indicator_id": indicator, "note": note}, counts)
    _whole_file_delivery(file, outcome, counts, by)
    return []


# ---------------------------------------------------------------- values


def _import_values(file: _Loaded, outcome: FileResult, by: Any, registry: Any = None) -> list[imp.Problem]:
    values, problems = imp.parse_values(file.frame)
    values, outcome.aliased = imp.resolve_aliases(
        values, dict(IndicatorAlias.objects.values_list("alias", "indicator_id"))
    )
    problems += _value_problems(values, with_denominator=file.kind == imp.AGGREGATED)
    if registry is not None:
        problems += _foreign_indicators(values, registry)
    if problems:
        return sorted(problems, key=lambda p: (p.line, p.message))
    to_save = []
    for (ind_id, year), group in imp.aggregate(values).groupby(["ind_id", "year"]):
        saved = _deliver(file, str(ind_id), int(year), group, outcome, by)
        if saved is not None:
            to_save.append(saved)
    if to_save:
        imp.save_values(pd.concat(to_save))
    return []


def _value_problems(values: pd.DataFrame, *, with_denominator: bool) -> list[imp.Problem]:
    problems = [
        imp.Problem(int(line), f"impossible year {year}: after this year")
        for line, year in values.loc[values["year"] > date.today().year, ["line", "year"]].itertuples(index=False)
    ]
    if with_denominator:
        zero = values["denominator"] == 0
        problems += [imp.Problem(int(line), "the denominator is zero") for line in values.loc[zero, "line"]]
        above = values["var"] > values["denominator"]
        problems += [
            imp.Problem(int(line), f"var {_number(var)} is above the denominator {_number(den)}")
            for line, var, den in values.loc[above, ["line", "var", "denominator"]].itertuples(index=False)
        ]
    problems += _unknown("ind_id", set(Indicator.objects.values_list("id", flat=True)), values, "indicator “{}”")
    problems += _unknown("orgnr", set(Organisation.objects.values_list("orgnr", flat=True)), values, "organisation {}")
    return problems


def _foreign_indicators(values: pd.DataFrame, registry: Any) -> list[imp.Problem]:
    """A registry imports data for its own indicators only."""
    own = set(Indicator.objects.filter(registry=registry).values_list("id", flat=True))
    known = set(Indicator.objects.values_list("id", flat=True))
    foreign = values[values["ind_id"].isin(known - own)]
    return [
        imp.Problem(int(rows["line"].min()), f"indicator “{key}” belongs to another registry ({len(rows)} rows)")
        for key, rows in foreign.groupby("ind_id", sort=True)
    ]


def _unknown(column: str, known: set[Any], values: pd.DataFrame, label: str) -> list[imp.Problem]:
    """One problem per unknown id, on the line where it first occurs, with how many rows use it."""
    unknown = values[~values[column].isin(known)]
    problems = []
    for key, rows in unknown.groupby(column, sort=True):
        what = label.format(key)
        problems.append(
            imp.Problem(
                int(rows["line"].min()),
                f"unknown {what} ({len(rows)} rows); the file is not imported until it is known",
            )
        )
    return problems


def _number(value: Any) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _deliver(
    file: _Loaded, ind_id: str, year: int, group: pd.DataFrame, outcome: FileResult, by: Any
) -> pd.DataFrame | None:
    """Record one indicator-year delivery unless the current one has exactly these values; returns what to save."""
    group = group.sort_values("orgnr")
    rows = [
        (int(o), imp._four_places(n), imp._four_places(d))
        for o, n, d in group[["orgnr", "numerator", "denominator"]].itertuples(index=False)
    ]
    content = hashlib.sha256("\n".join(f"{o};{n};{d}" for o, n, d in rows).encode()).hexdigest()
    current = (
        IndicatorDelivery.objects.select_for_update()
        .filter(indicator_id=ind_id, year=year, replaced_by__isnull=True)
        .first()
    )
    if current is not None and current.content_sha256 == content:
        outcome.unchanged += 1
        return None
    delivery = IndicatorDelivery.objects.create(
        file_name=file.path.name,
        sha256=file.sha256,
        content_sha256=content,
        kind=file.kind,
        indicator_id=ind_id,
        year=year,
        rows=len(rows),
        imported_by=_user(by),
    )
    DeliveredValue.objects.bulk_create(
        DeliveredValue(delivery=delivery, orgnr=o, numerator=n, denominator=d) for o, n, d in rows
    )
    # The delivery is the whole set for its indicator and year: units it no longer lists lose their value.
    IndicatorValue.objects.filter(indicator_id=ind_id, year=year).exclude(
        organisation_id__in=[o for o, _, _ in rows]
    ).delete()
    outcome.created += 1
    data: dict[str, Any] = {"file": file.path.name, "indicator": ind_id, "year": year, "rows": len(rows)}
    if current is not None:
        current.replaced_by = delivery
        current.save(update_fields=["replaced_by"])
        outcome.replaced += 1
        data["replaces"] = current.pk
    record(delivery, "registries.delivery.imported", actor=by, data=data)
    return group


def _user(by: Any) -> Any:
    return by if by is not None and by.is_authenticated else None


_IMPORTERS = {
    imp.DEFINITIONS: _import_definitions,
    imp.TREE: _import_tree,
    imp.TREE_WIDE: _import_tree,
    imp.ALIASES: _import_aliases,
    imp.AGGREGATED: _import_values,
    imp.EVENTS: _import_values,
}
