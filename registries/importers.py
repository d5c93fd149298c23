"""Readers for the report's registry table and SKDE's published indicator files, and savers that upsert them.

Each `parse_*` function takes a table of strings (as `read_table` returns it) and gives back clean rows plus a
list of `Problem`s with the file's own line numbers (the header is line 1). Nothing here prints or decides what
a problem means: `loaddemo` reports them and goes on, `import_indicators` refuses a file with any problem.
Each `save_*` function creates what is missing, updates what differs and leaves equal rows alone, so loading the
same file twice changes nothing.
"""

import csv
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import pandas as pd
from django.db import transaction

from .enums import Region, UnitLevel
from .models import Indicator, IndicatorValue, Organisation, Registry, RegistryYear

NATION_ORGNR = 1
BATCH_SIZE = 2000

# File kinds, recognised by their header (a file may order its columns as it likes).
DEFINITIONS = "definitions"
TREE = "tree"
TREE_WIDE = "tree_wide"
EVENTS = "events"
ALIASES = "aliases"
AGGREGATED = "aggregated"
KIND_COLUMNS = [  # most specific first
    (DEFINITIONS, {"id", "registry_name", "title", "level_green", "level_yellow", "level_direction"}),
    (TREE, {"OrgNr", "Nivaa", "NivaaOpp"}),
    (TREE_WIDE, {"OrgNrRHF", "OrgNrHF", "OrgNrShus"}),
    (AGGREGATED, {"year", "orgnr", "var", "denominator", "ind_id"}),
    (EVENTS, {"year", "orgnr", "var", "ind_id"}),
    (ALIASES, {"alias", "indicator"}),
]

LEVELS = {"0": UnitLevel.NATION, "1": UnitLevel.RHF, "2": UnitLevel.HF, "3": UnitLevel.HOSPITAL}
MISSING = {"", "NA", "NaN", "nan", "NULL"}

# Where a source spells a registry differently from the report's regional tables (registries.csv), the name there.
# Names that differ only in case or in a trailing "(ABBREVIATION)" or " - ABBREVIATION" need no entry.
REGISTRY_ALIASES = {
    # IndBeskr.csv `registry_full_name`
    "Norsk register for arvelige og medfødte nevromuskulære sykdommer": (
        "Nasjonalt register for arvelige og medfødte nevromuskulære sykdommer"
    ),
    "Norsk register for invasiv kardiologi": "Nasjonalt register for invasiv kardiologi",
    # grants_2021.csv `registry`
    "Nasjonalt kvalitetsregister for behandling av skadelig bruk eller avhengighet av rusmidler": (
        "Kvalitetsregister for behandling av skadelig bruk eller avhengighet av rusmidler"
    ),
    "Nasjonalt korbåndregister": "Nasjonalt korsbåndregister",  # sic in the report
    "Norsk ryggmargskaderegister": "Norsk ryggmargsskaderegister",  # sic in the report
}


@dataclass(frozen=True)
class Problem:
    line: int  # line in the file (header = 1); 0 when it concerns the whole file
    message: str

    def format(self, filename: str) -> str:
        return f"{filename}:{self.line}: {self.message}"


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def __str__(self) -> str:
        return f"{self.created} created, {self.updated} updated, {self.unchanged} unchanged"


@dataclass
class OrgRow:
    orgnr: int
    name: str
    short_name: str
    level: str
    parent: int | None
    line: int = 0


@dataclass
class RegistryRow:
    name: str
    short_name: str
    region: str
    established_year: int | None
    years: dict[int, dict[str, Any]] = field(default_factory=dict)


# ---------------------------------------------------------------- reading


def read_table(path: Path | str) -> pd.DataFrame:
    """Every cell as a string, nothing converted: CSV (`;` or `,`, recognised from the header) or XLSX."""
    path = Path(path)
    if path.suffix.lower() == ".xlsx":
        frame = pd.read_excel(path, dtype=str, keep_default_na=False, engine="openpyxl")
    else:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            header = fh.readline()
        sep = ";" if header.count(";") > header.count(",") else ","
        frame = pd.read_csv(path, sep=sep, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame


def detect_kind(columns: Iterable[str]) -> str | None:
    present = set(columns)
    return next((kind for kind, needed in KIND_COLUMNS if needed <= present), None)


def _line(index: Any) -> int:
    return int(index) + 2


def _missing(value: str) -> bool:
    return value.strip() in MISSING


def _decimal(value: str) -> Decimal | None:
    """SKDE writes decimal commas (`0,17`) and `NA`; the report writes plain numbers."""
    if _missing(value):
        return None
    try:
        return Decimal(value.strip().replace(",", "."))
    except InvalidOperation:
        raise ValueError(value) from None


def _int(value: str) -> int | None:
    number = _decimal(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise ValueError(value)
    return int(number)


def _bool(value: str, default: bool) -> bool:
    text = value.strip().upper()
    if text in {"TRUE", "1", "JA"}:
        return True
    if text in {"FALSE", "0", "NEI"}:
        return False
    if _missing(value):
        return default
    raise ValueError(value)


# ---------------------------------------------------------------- registries (report table)


def parse_registries(frame: pd.DataFrame) -> tuple[list[RegistryRow], list[Problem]]:
    """registries.csv: one row per registry with stage, coverage and RHF funds for 2019 and 2020."""
    rows: list[RegistryRow] = []
    problems: list[Problem] = []
    regions = set(Region.values)
    for index, rec in frame.iterrows():
        line = _line(index)
        if rec["region"] not in regions:
            problems.append(Problem(line, f"unknown region “{rec['region']}”"))
            continue
        try:
            row = RegistryRow(
                name=rec["name"].strip(),
                short_name=rec["short_name"].strip(),
                region=rec["region"],
                established_year=_int(rec["established_year"]),
            )
            notes = _notes_by_year(rec["coverage_note"])
            for year in (2019, 2020):
                row.years[year] = {
                    "stage": rec[f"stage_{year}"].strip(),
                    "coverage_percent": _decimal(rec[f"coverage_{year}"]),
                    "coverage_note": notes.get(year, ""),
                    # The table has one funds column for the report year, not one per year: it goes on the
                    # latest year only, so a sum over years does not count it twice.
                    "rhf_funds_nok": _decimal(rec["rhf_funds_nok"]) if year == 2020 else None,
                }
        except ValueError as exc:
            problems.append(Problem(line, f"not a number: “{exc}”"))
            continue
        rows.append(row)
    return rows, problems


def _notes_by_year(text: str) -> dict[int, str]:
    """`2019: >95; 2020: >90` → {2019: ">95", 2020: ">90"}."""
    notes: dict[int, str] = {}
    for part in text.split(";"):
        match = re.match(r"\s*(\d{4}):\s*(.*)", part)
        if match:
            notes[int(match[1])] = match[2].strip()
    return notes


def save_registries(rows: list[RegistryRow]) -> tuple[Counts, Counts]:
    """Registries are matched by name; their years by (registry, year). Returns (registry counts, year counts)."""
    reg_counts, year_counts = Counts(), Counts()
    existing = {r.name: r for r in Registry.objects.all()}
    years = {(y.registry_id, y.year): y for y in RegistryYear.objects.all()}
    with transaction.atomic():
        for row in rows:
            values = {"short_name": row.short_name, "region": row.region, "established_year": row.established_year}
            registry = existing.get(row.name)
            if registry is None:
                registry = Registry.objects.create(name=row.name, **values)
                reg_counts.created += 1
            else:
                _update_if_changed(registry, values, reg_counts)
            for year, year_values in row.years.items():
                current = years.get((registry.pk, year))
                if current is None:
                    RegistryYear.objects.create(registry=registry, year=year, **year_values)
                    year_counts.created += 1
                else:
                    _update_if_changed(current, year_values, year_counts)
    return reg_counts, year_counts


def _update_if_changed(obj: Any, values: dict[str, Any], counts: Counts) -> None:
    changed = [k for k, v in values.items() if getattr(obj, k) != v]
    if changed:
        for key in changed:
            setattr(obj, key, values[key])
        obj.save(update_fields=changed)
        counts.updated += 1
    else:
        counts.unchanged += 1


# ---------------------------------------------------------------- registry names


def _normalise(name: str) -> str:
    name = re.sub(r"\s*\([^)]*\)\s*$", "", name.strip())  # "Norsk register for gastrokirurgi (NoRGast)"
    name = re.sub(r"\s+-\s+[A-ZÆØÅa-zæøå]+$", "", name)  # "Norsk karkirurgisk register - NORKAR"
    return re.sub(r"\s+", " ", name).casefold()


class RegistryIndex:
    """Finds a registry by a name as some source spells it: exact, alias, then case- and suffix-insensitive."""

    def __init__(self, registries: Iterable[Registry] | None = None) -> None:
        self.by_name: dict[str, Registry] = {}
        for registry in Registry.objects.all() if registries is None else registries:
            self.by_name[_normalise(registry.name)] = registry
            if registry.short_name:
                self.by_name.setdefault(registry.short_name.casefold(), registry)

    def find(self, name: str) -> Registry | None:
        for candidate in (name, _strip_abbreviation(name)):
            candidate = REGISTRY_ALIASES.get(candidate, candidate)
            found = self.by_name.get(_normalise(candidate))
            if found is not None:
                return found
        return None


def _strip_abbreviation(name: str) -> str:
    return re.sub(r"\s*\([^)]*\)\s*$", "", name.strip())


# ---------------------------------------------------------------- organisation tree


def parse_tree(frame: pd.DataFrame) -> tuple[list[OrgRow], list[Problem]]:
    """hospital_structure.csv: OrgNr, name, short name, level (`Nivaa` 0-3), parent (`NivaaOpp`)."""
    rows: list[OrgRow] = []
    problems: list[Problem] = []
    for index, rec in frame.iterrows():
        line = _line(index)
        level = LEVELS.get(rec["Nivaa"].strip())
        if level is None:
            problems.append(Problem(line, f"unknown level (Nivaa) “{rec['Nivaa']}”"))
            continue
        try:
            orgnr, parent = _int(rec["OrgNr"]), _int(rec["NivaaOpp"])
        except ValueError as exc:
            problems.append(Problem(line, f"not an organisation number: “{exc}”"))
            continue
        if orgnr is None:
            problems.append(Problem(line, "the organisation number (OrgNr) is missing"))
            continue
        name = rec["OrgNavnEnhetsreg"].strip()
        short = rec.get("Kortnavn", "").strip()
        # The nation has NivaaOpp 0: no parent.
        rows.append(OrgRow(orgnr, name or short, short, level, None if level == UnitLevel.NATION else parent, line))
    problems += _tree_problems(rows)
    return rows, problems


def parse_tree_wide(frame: pd.DataFrame) -> tuple[list[OrgRow], list[Problem]]:
    """SykehusNavnStruktur.csv: one row per hospital with its HF and RHF; yields RHF, HF and hospital rows."""
    rows: dict[int, OrgRow] = {}
    problems: list[Problem] = []
    for index, rec in frame.iterrows():
        try:
            rhf, hf, hospital = _int(rec["OrgNrRHF"]), _int(rec["OrgNrHF"]), _int(rec["OrgNrShus"])
        except ValueError as exc:
            problems.append(Problem(_line(index), f"not an organisation number: “{exc}”"))
            continue
        if rhf is None or hf is None or hospital is None:
            problems.append(Problem(_line(index), "an organisation number is missing"))
            continue
        line = _line(index)
        rows.setdefault(rhf, OrgRow(rhf, rec["RHF"].strip(), rec["RHF"].strip(), UnitLevel.RHF, NATION_ORGNR, line))
        rows.setdefault(hf, OrgRow(hf, rec["HF"].strip(), rec.get("Hfkortnavn", "").strip(), UnitLevel.HF, rhf, line))
        hospital_name, hospital_short = rec["OrgNavnEnhetsreg"].strip(), rec.get("SykehusNavn", "").strip()
        rows.setdefault(hospital, OrgRow(hospital, hospital_name, hospital_short, UnitLevel.HOSPITAL, hf, line))
    return list(rows.values()), problems


def _tree_problems(rows: list[OrgRow]) -> list[Problem]:
    known = {r.orgnr for r in rows} | set(Organisation.objects.values_list("orgnr", flat=True))
    seen: set[int] = set()
    problems = []
    for row in rows:
        if row.orgnr in seen:
            problems.append(Problem(row.line, f"organisation {row.orgnr} is listed twice"))
        seen.add(row.orgnr)
        if row.parent is not None and row.parent not in known:
            problems.append(Problem(row.line, f"parent {row.parent} of {row.orgnr} is not in the tree"))
    return problems


def save_organisations(rows: list[OrgRow], *, fill_only: bool = False) -> Counts:
    """Upsert by orgnr, parents first. With `fill_only`, existing units are left as they are (gap filling)."""
    counts = Counts()
    order = {UnitLevel.NATION: 0, UnitLevel.RHF: 1, UnitLevel.HF: 2, UnitLevel.HOSPITAL: 3}
    existing = {o.orgnr: o for o in Organisation.objects.all()}
    with transaction.atomic():
        for row in sorted(rows, key=lambda r: order[r.level]):
            values = {"name": row.name, "short_name": row.short_name, "level": row.level, "parent_id": row.parent}
            current = existing.get(row.orgnr)
            if current is None:
                existing[row.orgnr] = Organisation.objects.create(orgnr=row.orgnr, **values)
                counts.created += 1
            elif fill_only:
                counts.unchanged += 1
            else:
                _update_if_changed(current, values, counts)
    return counts


def add_unplaced_organisations(orgnrs: Iterable[int], names: dict[int, tuple[str, int | None]]) -> list[int]:
    """Units that data files use but no tree lists: created as hospitals, placed under `names[orgnr][1]`
    when known, else directly under the nation (they then count for themselves and the nation only)."""
    known = set(Organisation.objects.values_list("orgnr", flat=True))
    created = []
    for orgnr in sorted(set(orgnrs) - known):
        name, parent = names.get(orgnr, (f"Ukjent enhet {orgnr}", None))
        parent = parent if parent in known else (NATION_ORGNR if NATION_ORGNR in known else None)
        Organisation.objects.create(orgnr=orgnr, name=name, short_name=name, level=UnitLevel.HOSPITAL, parent_id=parent)
        created.append(orgnr)
    return created


# ---------------------------------------------------------------- indicator definitions


DEFINITION_FIELDS = (
    "registry_id",
    "skde_registry",
    "title",
    "short_description",
    "level_green",
    "level_yellow",
    "direction",
    "measure_unit",
    "min_denominator",
    "coverage_indicator_id",
    "include",
)


def parse_definitions(frame: pd.DataFrame) -> tuple[list[dict[str, Any]], list[Problem]]:
    """IndBeskr.csv → one dict per indicator: Indicator field values plus `registry_full_name`."""
    rows: list[dict[str, Any]] = []
    problems: list[Problem] = []
    seen: set[str] = set()
    for index, rec in frame.iterrows():
        line = _line(index)
        ind_id = rec["id"].strip()
        if not ind_id or _missing(ind_id):
            problems.append(Problem(line, "the indicator id is missing"))
            continue
        if ind_id in seen:
            problems.append(Problem(line, f"indicator “{ind_id}” is defined twice"))
            continue
        seen.add(ind_id)
        try:
            row = _definition(rec)
        except ValueError as exc:
            problems.append(Problem(line, f"{ind_id}: {exc}"))
            continue
        rows.append(row)
    return rows, problems


def _definition(rec: pd.Series) -> dict[str, Any]:
    def number(column: str) -> Decimal | None:
        try:
            return _decimal(rec.get(column, ""))
        except ValueError:
            raise ValueError(f"{column} is not a number: “{rec[column]}”") from None

    direction = number("level_direction")
    if direction is not None and direction not in (0, 1):
        raise ValueError(f"level_direction must be 0 or 1, not “{rec['level_direction']}”")
    min_den = number("min_denominator")
    try:
        include = _bool(rec.get("include", ""), default=True)
    except ValueError:
        raise ValueError(f"include must be TRUE or FALSE, not “{rec['include']}”") from None
    title = rec["title"].strip()
    if not title or _missing(title):
        raise ValueError("the title is missing")
    return {
        "id": rec["id"].strip(),
        "skde_registry": rec["registry_name"].strip(),
        "registry_full_name": rec.get("registry_full_name", "").strip(),
        "title": title,
        "short_description": "" if _missing(rec.get("short_description", "")) else rec["short_description"].strip(),
        "level_green": number("level_green"),
        "level_yellow": number("level_yellow"),
        "direction": None if direction is None else int(direction),
        "measure_unit": "" if _missing(rec.get("measure_unit", "")) else rec["measure_unit"].strip(),
        # DOMAIN.md: values with a denominator below the minimum are suppressed; 5 when the file says nothing.
        "min_denominator": 5 if min_den is None else int(min_den),
        "coverage_indicator_id": "" if _missing(rec.get("dg_id", "")) else rec["dg_id"].strip(),
        "include": include,
    }


def link_registries(rows: list[dict[str, Any]], index: RegistryIndex | None = None) -> list[tuple[str, str]]:
    """Set `registry_id` on each definition row and `Registry.skde_key` where still blank.

    Returns the (skde key, full name) pairs that match no registry; their indicators get no registry.
    One registry may use several keys (NKR: `rygg` and `nkr_nakke`); the first one in the file becomes skde_key.
    """
    index = index or RegistryIndex()
    unmatched: dict[str, str] = {}
    for row in rows:
        registry = index.find(row["registry_full_name"]) if row["registry_full_name"] else None
        if registry is None:
            registry = Registry.objects.filter(skde_key=row["skde_registry"]).first()
        row["registry_id"] = registry.pk if registry else None
        if registry is None:
            unmatched[row["skde_registry"]] = row["registry_full_name"]
        elif not registry.skde_key:
            registry.skde_key = row["skde_registry"]
            registry.save(update_fields=["skde_key"])
    return sorted(unmatched.items())


def save_indicators(rows: list[dict[str, Any]]) -> Counts:
    counts = Counts()
    existing = {i.id: i for i in Indicator.objects.filter(id__in=[r["id"] for r in rows])}
    new, changed = [], []
    for row in rows:
        values = {k: row.get(k) for k in DEFINITION_FIELDS}
        current = existing.get(row["id"])
        if current is None:
            new.append(Indicator(id=row["id"], **values))
        elif any(getattr(current, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(current, key, value)
            changed.append(current)
        else:
            counts.unchanged += 1
    with transaction.atomic():
        Indicator.objects.bulk_create(new, batch_size=BATCH_SIZE)
        Indicator.objects.bulk_update(changed, list(DEFINITION_FIELDS), batch_size=BATCH_SIZE)
    counts.created, counts.updated = len(new), len(changed)
    return counts


# ---------------------------------------------------------------- indicator values


def parse_values(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[Problem]]:
    """Event rows (`year;orgnr;var;ind_id`, denominator 1 each) or aggregated rows (with `denominator`).

    Returns the valid rows as columns ind_id, orgnr, year, var, denominator, line (not yet aggregated).
    """
    problems: list[Problem] = []
    out = pd.DataFrame({"ind_id": frame["ind_id"].str.strip(), "line": frame.index.to_numpy() + 2})
    numeric = {"year": frame["year"], "orgnr": frame["orgnr"], "var": frame["var"]}
    numeric["denominator"] = (
        frame["denominator"] if "denominator" in frame.columns else pd.Series("1", index=frame.index)
    )
    bad = pd.Series(False, index=frame.index)
    for column, values in numeric.items():
        parsed = pd.to_numeric(values.str.strip().str.replace(",", ".", regex=False), errors="coerce")
        wrong = parsed.isna() | (parsed < 0)
        if column in ("year", "orgnr"):
            wrong |= parsed.notna() & (parsed != parsed.round())
        if column == "year":
            wrong |= parsed.notna() & ~parsed.between(1900, 2100)
        for index in frame.index[wrong & ~bad]:
            problems.append(Problem(_line(index), f"{column} is not a valid number: “{values[index]}”"))
        bad |= wrong
        out[column] = parsed
    empty_id = out["ind_id"].isin(MISSING)
    for index in frame.index[empty_id & ~bad]:
        problems.append(Problem(_line(index), "ind_id is missing"))
    bad |= empty_id
    out = out[~bad.to_numpy()].copy()
    out["year"] = out["year"].astype("int64")
    out["orgnr"] = out["orgnr"].astype("int64")
    return out, sorted(problems, key=lambda p: p.line)


def read_aliases(path: Path | str) -> list[tuple[str, str, str]]:
    """indicator_aliases.csv (`alias;indicator;note`) as (alias, indicator id, note) triples."""
    frame = read_table(path)
    return [
        (a.strip(), i.strip(), n.strip()) for a, i, n in frame[["alias", "indicator", "note"]].itertuples(index=False)
    ]


def resolve_aliases(values: pd.DataFrame, aliases: dict[str, str]) -> tuple[pd.DataFrame, dict[str, tuple[str, int]]]:
    """Rows delivered under an alias read as the indicator it names; returns {alias: (indicator id, rows)}."""
    if not aliases:
        return values, {}
    aliased = values["ind_id"].isin(aliases)
    if not aliased.any():
        return values, {}
    counts = values.loc[aliased, "ind_id"].value_counts().sort_index()
    values = values.copy()
    values.loc[aliased, "ind_id"] = values.loc[aliased, "ind_id"].map(aliases)
    return values, {str(k): (aliases[str(k)], int(v)) for k, v in counts.items()}


def split_unknown(values: pd.DataFrame, known_ids: set[str]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Rows whose ind_id has a definition, and {unknown ind_id: number of rows} for the rest."""
    known = values["ind_id"].isin(known_ids)
    unknown = values.loc[~known, "ind_id"].value_counts().sort_index()
    return values[known], {str(k): int(v) for k, v in unknown.items()}


def aggregate(values: pd.DataFrame) -> pd.DataFrame:
    """One row per (indicator, organisation, year) at the level delivered: sum(var) and sum(denominator)."""
    grouped = values.groupby(["ind_id", "orgnr", "year"], as_index=False)[["var", "denominator"]].sum()
    return grouped.rename(columns={"var": "numerator"})


def save_values(aggregated: pd.DataFrame, batch_size: int = BATCH_SIZE) -> Counts:
    """Upsert IndicatorValue rows keyed by (indicator, organisation, year); equal rows are left alone.

    Every ind_id and orgnr must exist already (see `split_unknown` and `add_unplaced_organisations`).
    """
    counts = Counts()
    if aggregated.empty:
        return counts
    ids = sorted(aggregated["ind_id"].unique())
    existing = {
        (v.indicator_id, v.organisation_id, v.year): v for v in IndicatorValue.objects.filter(indicator_id__in=ids)
    }
    new, changed = [], []
    for ind_id, orgnr, year, numerator, denominator in aggregated[
        ["ind_id", "orgnr", "year", "numerator", "denominator"]
    ].itertuples(index=False, name=None):
        num, den = _four_places(numerator), _four_places(denominator)
        current = existing.get((ind_id, int(orgnr), int(year)))
        if current is None:
            new.append(
                IndicatorValue(
                    indicator_id=ind_id, organisation_id=int(orgnr), year=int(year), numerator=num, denominator=den
                )
            )
        elif current.numerator != num or current.denominator != den:
            current.numerator, current.denominator = num, den
            changed.append(current)
        else:
            counts.unchanged += 1
    with transaction.atomic():
        IndicatorValue.objects.bulk_create(new, batch_size=batch_size)
        IndicatorValue.objects.bulk_update(changed, ["numerator", "denominator"], batch_size=batch_size)
    counts.created, counts.updated = len(new), len(changed)
    return counts


def _four_places(number: Any) -> Decimal:
    """A pandas sum as an exact Decimal with the model's 4 places (numpy prints a float's shortest repr)."""
    return Decimal(str(number)).quantize(Decimal("0.0001"))


def read_csv_rows(path: Path | str) -> list[dict[str, str]]:
    """Small report tables (RFC 4180 CSV) as plain dicts, for the history loader."""
    with Path(path).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.DictReader(fh))
