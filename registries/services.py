"""Importing SKDE's files (`import_indicators`): all files of one run are checked and saved in one transaction, and
a run with any problem saves nothing.

A data file is split into deliveries, one per indicator and year. The same rows delivered again change nothing; other
rows for an indicator and year replace the current delivery's values, and the older delivery is kept (with its
values in `DeliveredValue`) and points at the one that replaced it.
"""

import hashlib
import json
import logging
import shutil
import tempfile
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd
from django.conf import settings
from django.core.exceptions import SuspiciousFileOperation
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from audit.services import record
from core.exceptions import ActionRefused, NotPermitted

from . import importers as imp
from .enums import ImportState
from .goal import thresholds_consistent
from .models import (
    DeliveredValue,
    Indicator,
    IndicatorAlias,
    IndicatorDelivery,
    IndicatorImport,
    IndicatorValue,
    Organisation,
    Registry,
)
from .rules import can_import_for
from .tasks import run_indicator_import

logger = logging.getLogger(__name__)

# Zip bomb guard: an SKDE workbook is a few MB unpacked and about ten parts.
MAX_XLSX_UNCOMPRESSED = 50 * 1024 * 1024
MAX_XLSX_MEMBERS = 500
EXTENSIONS = {".csv", ".xlsx"}
MAX_NUMBER = 10**10  # IndicatorValue.numerator/denominator: max_digits 14, decimal_places 4
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
    span = 75 / max(len(loaded), 1)
    with transaction.atomic():
        for number, file in enumerate(loaded):
            start = 20 + span * number

            def step(fraction: float, stage: str, start: float = start) -> None:
                progress(int(start + span * fraction), stage)

            step(0, f"checking and saving {file.path.name}")
            outcome = FileResult(file.name, file.kind, len(file.frame))
            if registry is not None and file.kind not in (imp.AGGREGATED, imp.EVENTS):
                problems = [imp.Problem(0, f"only the secretariat can import {file.kind} files")]
            else:
                problems = _IMPORTERS[file.kind](file, outcome, by, registry, step)
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


@dataclass
class _XlsxShape:
    """What the zip's directory declares, read without unpacking anything."""

    is_workbook: bool
    parts: int = 0
    unpacked: int = 0


def _xlsx_shape(source: Any) -> _XlsxShape:
    """`source`: a path or a seekable binary file. The sizes are the declared ones: zipfile never unpacks more than a
    member declares, so checking their sum bounds what openpyxl can unpack."""
    if not zipfile.is_zipfile(source):
        return _XlsxShape(is_workbook=False)
    with zipfile.ZipFile(source) as archive:
        members = archive.infolist()
    names = {m.filename for m in members}
    is_workbook = {"[Content_Types].xml", "xl/workbook.xml"} <= names
    return _XlsxShape(is_workbook, len(members), sum(m.file_size for m in members))


def _check_xlsx(path: Path) -> str | None:
    """Before openpyxl unpacks anything: a real OOXML workbook, of a sane unpacked size and number of parts."""
    shape = _xlsx_shape(path)
    if shape.parts > MAX_XLSX_MEMBERS:
        return f"refused: the workbook has {shape.parts} parts (at most {MAX_XLSX_MEMBERS})"
    if shape.unpacked > MAX_XLSX_UNCOMPRESSED:
        return f"refused: the workbook unpacks to {shape.unpacked} bytes (at most {MAX_XLSX_UNCOMPRESSED})"
    if not shape.is_workbook:
        return "not an XLSX workbook: the content does not match the extension"
    return None


def _csv_kind(content: bytes) -> str | None:
    """What is wrong with a CSV's bytes: "binary" (a zip, an image, a PDF: NUL bytes), "markup" (HTML, XML, SVG:
    SKDE's files start with a header, never with "<"), "encoding" (not UTF-8), or None."""
    if content.startswith((b"PK\x03\x04", b"%PDF-")) or b"\0" in content[:8192]:
        return "binary"
    if content.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
        return "markup"
    try:
        content.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "encoding"
    return None


def _check_csv(content: bytes) -> str | None:
    kind = _csv_kind(content)
    if kind == "binary":
        return "not a CSV text file: the content does not match the extension"
    if kind == "markup":
        return "not a CSV text file: the content is markup (HTML, XML or SVG)"
    if kind == "encoding":
        try:
            content.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            return f"not UTF-8 text (byte {exc.start})"
    return None


# ---------------------------------------------------------------- definitions and the organisation tree


def _import_definitions(
    file: _Loaded, outcome: FileResult, by: Any, registry: Any = None, step: Any = None
) -> list[imp.Problem]:
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


def _import_tree(
    file: _Loaded, outcome: FileResult, by: Any, registry: Any = None, step: Any = None
) -> list[imp.Problem]:
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


def _import_aliases(
    file: _Loaded, outcome: FileResult, by: Any, registry: Any = None, step: Any = None
) -> list[imp.Problem]:
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


def _import_values(
    file: _Loaded, outcome: FileResult, by: Any, registry: Any = None, step: Any = None
) -> list[imp.Problem]:
    step = step or (lambda fraction, stage: None)
    values, problems = imp.parse_values(file.frame)
    values, outcome.aliased = imp.resolve_aliases(
        values, dict(IndicatorAlias.objects.values_list("alias", "indicator_id"))
    )
    problems += _value_problems(values, with_denominator=file.kind == imp.AGGREGATED)
    if registry is not None:
        problems += _foreign_indicators(values, registry)
    if problems:
        return sorted(problems, key=lambda p: (p.line, p.message))
    step(0.2, f"checked {file.path.name}")
    to_save = []
    deliveries = imp.aggregate(values).groupby(["ind_id", "year"])
    for number, ((ind_id, year), group) in enumerate(deliveries):
        step(0.2 + 0.6 * number / deliveries.ngroups, f"saving {file.path.name}: {ind_id} {year}")
        saved = _deliver(file, str(ind_id), int(year), group, outcome, by)
        if saved is not None:
            to_save.append(saved)
    step(0.8, f"saving values of {file.path.name}")
    if to_save:
        imp.save_values(pd.concat(to_save))
    return []


def _value_problems(values: pd.DataFrame, *, with_denominator: bool) -> list[imp.Problem]:
    problems = [
        imp.Problem(int(line), f"impossible year {year}: after this year")
        for line, year in values.loc[values["year"] > date.today().year, ["line", "year"]].itertuples(index=False)
    ]
    # IndicatorValue keeps 14 digits with 4 decimals: a larger number would fail in the database, not here.
    for column in ("var", "denominator"):
        too_large = values[column] >= MAX_NUMBER
        problems += [
            imp.Problem(int(line), f"{column} {_number(number)} is too large (at most {MAX_NUMBER - 1:,} allowed)")
            for line, number in values.loc[too_large, ["line", column]].itertuples(index=False)
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


# ---------------------------------------------------------------- uploads from the web, imported by a background task

PROGRESS_STEP = 5  # percent between two saves of a running import's progress (each save is a query)


def start_import(
    upload: UploadedFile, *, by: Any, registry: Registry | None = None, dry_run: bool = False
) -> IndicatorImport:
    """Keep an uploaded file under a generated name and queue its import, which runs after the commit. `registry`
    restricts the import to that registry's own indicators (a registry member's upload)."""
    if not can_import_for(by, registry):
        raise NotPermitted()
    name = Path(upload.name or "").name
    suffix = Path(name).suffix.lower()
    errors = _upload_errors(suffix, upload.size or 0) or _content_errors(upload, suffix)
    if errors:
        raise ActionRefused(errors[0], {"file": errors})
    with transaction.atomic():
        job = IndicatorImport(
            original_name=name[:255], size=upload.size or 0, uploaded_by=by, registry=registry, dry_run=dry_run
        )
        job.file.save(f"{uuid.uuid4().hex}{suffix}", upload, save=False)
        job.save()
        data = {"file": job.original_name, "size": job.size, "dry_run": dry_run}
        record(job, "registries.import.queued", actor=by, target=ImportState.QUEUED, data=data)
        transaction.on_commit(lambda: run_indicator_import.enqueue(job.pk))
    return job


def _upload_errors(suffix: str, size: int) -> list[str]:
    limit = settings.INDICATOR_UPLOAD_MAX_BYTES
    if suffix not in EXTENSIONS:
        got = suffix or _("no extension")
        return [_("The file must be a .csv or .xlsx file, not “%(suffix)s”.") % {"suffix": got}]
    if size == 0:
        return [_("The file is empty.")]
    if size > limit:
        return [
            _("The file is %(size)s; the largest file accepted is %(limit)s.")
            % {"size": filesizeformat(size), "limit": filesizeformat(limit)}
        ]
    return []


def _content_errors(upload: UploadedFile, suffix: str) -> list[str]:
    """Before anything is stored: the content matches the extension, and a workbook's declared unpacked size and
    number of parts are sane (a zip bomb is refused here, without unpacking it). The import checks again."""
    upload.seek(0)
    try:
        if suffix == ".xlsx":
            return _xlsx_errors(_xlsx_shape(upload))
        return _csv_errors(_csv_kind(upload.read()))
    finally:
        upload.seek(0)


def _xlsx_errors(shape: _XlsxShape) -> list[str]:
    if shape.parts > MAX_XLSX_MEMBERS:
        return [_("The workbook has %(parts)s parts; at most %(limit)s are accepted.")
                % {"parts": shape.parts, "limit": MAX_XLSX_MEMBERS}]  # fmt: skip
    if shape.unpacked > MAX_XLSX_UNCOMPRESSED:
        return [
            _("The workbook unpacks to %(size)s; at most %(limit)s is accepted.")
            % {"size": filesizeformat(shape.unpacked), "limit": filesizeformat(MAX_XLSX_UNCOMPRESSED)}
        ]
    if not shape.is_workbook:
        return [_("The file is not an XLSX workbook: its content does not match the extension.")]
    return []


def _csv_errors(kind: str | None) -> list[str]:
    messages = {
        "binary": _("The file is not a CSV text file: its content does not match the extension."),
        "markup": _("The file is not a CSV text file: it contains markup (HTML, XML or SVG)."),
        "encoding": _("The file is not UTF-8 text."),
    }
    return [messages[kind]] if kind else []


def run_import(pk: int) -> IndicatorImport:
    """The background half of an upload: import the stored file all or nothing, keep the report on the row."""
    with transaction.atomic():
        job = IndicatorImport.objects.select_for_update().get(pk=pk)
        if job.state != ImportState.QUEUED:
            return job  # a task delivered twice: the first run owns the import
        job.state, job.stage = ImportState.RUNNING, "starting"
        job.save(update_fields=["state", "stage"])
    try:
        result, name = _import_stored_file(job, _ProgressSaver(job.pk))
    except Exception as exc:  # whatever it was, the row must not stay "running" for ever
        logger.exception("Indicator import %s (%s) failed", job.pk, job.original_name)
        return _finish(job, ImportState.FAILED, [f"0: {type(exc).__name__}: {exc}"[:1000]], [])
    # One file per upload: its problems are kept as "LINE: message".
    problems = [p.removeprefix(f"{name}:") for p in result.problems]
    files = [_file_summary(f, job.original_name) for f in result.files]
    if not result.ok:
        return _finish(job, ImportState.REFUSED, problems, files)
    return _finish(job, ImportState.CHECKED if job.dry_run else ImportState.IMPORTED, [], files)


def _import_stored_file(job: IndicatorImport, progress: Progress) -> tuple[ImportResult, str]:
    """Import a copy named as the user's file: the import names problems and deliveries after the file, and the
    stored name is a generated one."""
    suffix = Path(job.file.name or "").suffix.lower()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / _safe_name(job.original_name, suffix)
        with job.file.open("rb") as source, path.open("wb") as target:
            shutil.copyfileobj(source, target)
        result = import_files([path], by=job.uploaded_by, dry_run=job.dry_run, registry=job.registry, progress=progress)
    return result, str(path)


def _safe_name(original: str, suffix: str) -> str:
    try:
        name = get_valid_filename(Path(original).name)
    except SuspiciousFileOperation:
        name = ""
    return name if name.lower().endswith(suffix) else f"upload{suffix}"


def progress_path(pk: int) -> Path:
    return Path(settings.MEDIA_ROOT) / "imports" / "progress" / f"{pk}.json"


MTIME_MARGIN_SECONDS = 1.0


class _ProgressSaver:
    """Publishes a running import's progress, at most every PROGRESS_STEP percent, in a small file beside the
    uploads. Not on the row: the import runs in one transaction, so nobody would see the row change before the end
    (and on SQLite a second connection could not write while the import holds the write lock)."""

    def __init__(self, pk: int) -> None:
        self.pk = pk
        self.saved = -PROGRESS_STEP

    def __call__(self, percent: int, stage: str) -> None:
        if percent - self.saved < PROGRESS_STEP and percent < 100:
            return
        self.saved = percent
        path = progress_path(self.pk)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps({"progress": percent, "stage": stage[:200]}), encoding="utf-8")
        partial.replace(path)  # atomic: a reader sees the old or the new progress, never half a file


def live_progress(job: IndicatorImport) -> tuple[int, str]:
    """(percent, stage) of an import: what the running import last published, else what its row says."""
    if job.state == ImportState.RUNNING:
        path = progress_path(job.pk)
        try:
            # A file older than the import is another import's (a crashed run whose number was used again). The
            # kernel stamps files from a coarse clock that may lag the real time by a tick, so a file written just
            # after the row was made can look a few milliseconds older: a second's margin.
            if path.stat().st_mtime >= job.created_at.timestamp() - MTIME_MARGIN_SECONDS:
                data = json.loads(path.read_text(encoding="utf-8"))
                return int(data["progress"]), str(data["stage"])
        except (OSError, ValueError, KeyError):
            pass
    return job.progress, job.stage


def _file_summary(file: FileResult, name: str) -> dict[str, Any]:
    return {
        "name": name,
        "kind": file.kind,
        "rows": file.rows,
        "created": file.created,
        "replaced": file.replaced,
        "unchanged": file.unchanged,
        "aliased": [{"alias": a, "indicator": i, "rows": n} for a, (i, n) in file.aliased.items()],
    }


def _finish(job: IndicatorImport, state: str, problems: list[str], files: list[dict[str, Any]]) -> IndicatorImport:
    progress_path(job.pk).unlink(missing_ok=True)
    job.state, job.problems, job.summary = state, problems, {"files": files}
    job.kind = files[0]["kind"] if files else ""
    job.rows = sum(f["rows"] for f in files)
    job.progress, job.stage, job.finished_at = 100, "done", timezone.now()
    job.save(update_fields=["state", "problems", "summary", "kind", "rows", "progress", "stage", "finished_at"])
    data = {"problems": len(problems), "rows": job.rows}
    record(
        job, f"registries.import.{state}", actor=job.uploaded_by, source=ImportState.RUNNING, target=state, data=data
    )
    return job
