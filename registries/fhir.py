"""Indicator values as FHIR R4 `MeasureReport` resources, both ways.

Incoming resources are validated with fhir.resources' R4B models (`fhir.resources.R4B.measurereport.MeasureReport`,
`fhir.resources.R4B.bundle.Bundle`): R4B (4.3.0) is R4's technical correction, and MeasureReport (with Bundle,
Quantity, Period, Identifier and Reference as it uses them) is unchanged between R4 and R4B, so an R4 MeasureReport
is read without loss, and what the export writes (checked against the same models in the tests) is valid R4.

The shape, one report per unit and year:

- `status` "complete", `type` "summary", `measure` the canonical of SKDE's indicator set (`MEASURE`), `date` when
  the report was made, `period` the calendar year (1 January to 31 December);
- `reporter` the unit: a Reference of type Organization with an Identifier. A real organisation number (nine
  digits) uses `urn:oid:2.16.578.1.12.4.1.4.101`, the OID of Norway's organisation numbers (Enhetsregisteret);
  SKDE's own unit numbers that are not organisation numbers (1 = the nation) use `urn:skde:orgnr`. R4 does not
  allow an Organization as `subject`, so the unit is not repeated there; an incoming report may name it in
  `subject.identifier` instead of `reporter`;
- one `group` per indicator: `code` is the SKDE indicator id (system `urn:skde:indicator`, display its title),
  populations `numerator` and `denominator` (system measure-population) with their `count`, and `measureScore`
  the share numerator / denominator (left out when the denominator is 0).

`count` is an integer in FHIR. SKDE's event data gives whole numbers, but aggregated files may deliver decimals;
then `count` is the value rounded half up and the exact decimal is in the population's extension `EXACT_COUNT`
(`valueDecimal`). A value above FHIR's 32-bit integer has the extension only. On import the extension wins, and a
`count` 1 or more away from it is refused.

Import reads a MeasureReport or a Bundle of them, validates them with fhir.resources, turns every group into one
row of SKDE's aggregated format (`year, orgnr, var, denominator, ind_id`) and hands the table to
`services.import_table`, so every rule of a file import applies. Its line numbers are mapped back to the entry and
group they came from. `measureScore` is not read: it follows from the populations.
"""

import json
import re
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

import pandas as pd
import pydantic
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.measurereport import MeasureReport

from . import services

CANONICAL_BASE = "https://registry-grants.example/fhir"
MEASURE = f"{CANONICAL_BASE}/Measure/skde-indicators"
EXACT_COUNT = f"{CANONICAL_BASE}/StructureDefinition/exact-count"
INDICATOR_SYSTEM = "urn:skde:indicator"
ORGNR_SYSTEM = "urn:oid:2.16.578.1.12.4.1.4.101"  # Norwegian organisation number (Enhetsregisteret)
SKDE_UNIT_SYSTEM = "urn:skde:orgnr"  # SKDE's unit numbers that are no organisation number: 1 = the nation
UNIT_SYSTEMS = (ORGNR_SYSTEM, SKDE_UNIT_SYSTEM)
POPULATION_SYSTEM = "http://terminology.hl7.org/CodeSystem/measure-population"
POPULATIONS = ("numerator", "denominator")
COLUMNS = ["year", "orgnr", "var", "denominator", "ind_id"]
SCORE_PLACES = Decimal("1e-10")
MAX_INTEGER = 2**31 - 1
LARGEST = Decimal("9999999999.9999")  # IndicatorValue: 14 digits, 4 after the point


# ---------------------------------------------------------------- export


@dataclass(frozen=True)
class Value:
    indicator: str
    orgnr: int
    year: int
    numerator: Decimal
    denominator: Decimal


def unit_identifier(orgnr: int) -> dict[str, str]:
    system = ORGNR_SYSTEM if len(str(orgnr)) == 9 else SKDE_UNIT_SYSTEM
    return {"system": system, "value": str(orgnr)}


def export_bundle(
    values: Iterable[Value], *, titles: dict[str, str], units: dict[int, str], now: datetime
) -> dict[str, Any]:
    """A `collection` Bundle with one MeasureReport per (unit, year), ordered by year and unit; groups by indicator.

    `titles` maps indicator id → title, `units` orgnr → name (both used as display texts). Built as plain JSON data:
    fhir.resources takes about 1.5 ms a group to validate, half a minute for a registry's 20 000 values, and what is
    built here is fixed by this code (the tests validate it); every import is validated."""
    reports: dict[tuple[int, int], list[Value]] = defaultdict(list)
    for value in values:
        reports[(value.year, value.orgnr)].append(value)
    entries = [
        {"resource": measure_report(year, orgnr, rows, titles=titles, unit_name=units.get(orgnr, ""), now=now)}
        for (year, orgnr), rows in sorted(reports.items())
    ]
    return {"resourceType": "Bundle", "type": "collection", "timestamp": _instant(now), "entry": entries}


def measure_report(
    year: int, orgnr: int, values: list[Value], *, titles: dict[str, str], unit_name: str, now: datetime
) -> dict[str, Any]:
    reporter: dict[str, Any] = {"type": "Organization", "identifier": unit_identifier(orgnr)}
    if unit_name:
        reporter["display"] = unit_name
    return {
        "resourceType": "MeasureReport",
        "id": f"skde-{orgnr}-{year}",
        "status": "complete",
        "type": "summary",
        "measure": MEASURE,
        "reporter": reporter,
        "date": _instant(now),
        "period": {"start": date(year, 1, 1).isoformat(), "end": date(year, 12, 31).isoformat()},
        "group": [_group(v, titles.get(v.indicator, "")) for v in sorted(values, key=lambda v: v.indicator)],
    }


def _group(value: Value, title: str) -> dict[str, Any]:
    coding = {"system": INDICATOR_SYSTEM, "code": value.indicator}
    if title:
        coding["display"] = title
    group: dict[str, Any] = {
        "code": {"coding": [coding]},
        "population": [_population("numerator", value.numerator), _population("denominator", value.denominator)],
    }
    if value.denominator:
        group["measureScore"] = {"value": _plain(value.numerator / value.denominator, SCORE_PLACES)}
    return group


def _population(code: str, number: Decimal) -> dict[str, Any]:
    population: dict[str, Any] = {"code": {"coding": [{"system": POPULATION_SYSTEM, "code": code}]}}
    whole = number.to_integral_value(rounding=ROUND_HALF_UP)
    if whole <= MAX_INTEGER:  # a FHIR integer is 32 bits: above that, only the extension carries the value
        population["count"] = int(whole)
    if whole != number or whole > MAX_INTEGER:
        population["extension"] = [{"url": EXACT_COUNT, "valueDecimal": _plain(number)}]
    return population


def _plain(number: Decimal, places: Decimal | None = None) -> int | float:
    """A JSON number: 12.5000 → 12.5, 10.0000 → 10. Exact as a float: a value has at most 14 significant digits
    (the model's), a score 10 places, and a float's repr round-trips 15."""
    if places is not None:
        number = number.quantize(places, rounding=ROUND_HALF_UP)
    return int(number) if number == number.to_integral_value() else float(number)


def _instant(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


# ---------------------------------------------------------------- import: reading and validating


class InvalidResource(Exception):
    """The body is not JSON, not a MeasureReport or a Bundle of them, or not valid FHIR."""

    def __init__(self, message: str, errors: dict[str, list[str]]) -> None:
        super().__init__(message)
        self.message = message
        self.errors = errors


def read_resource(content: bytes) -> MeasureReport | Bundle:
    """The body as a validated MeasureReport or Bundle; raises InvalidResource with the validator's messages."""
    try:
        return _read(content)
    except RecursionError:
        raise InvalidResource("The body is nested too deeply.", {"body": ["nested too deeply"]}) from None


def _read(content: bytes) -> MeasureReport | Bundle:
    try:
        data = json.loads(content, parse_float=Decimal)
    except (UnicodeDecodeError, ValueError) as exc:
        raise InvalidResource("The body is not JSON.", {"body": [str(exc)]}) from None
    _check_resource_types(data)
    model = Bundle if data["resourceType"] == "Bundle" else MeasureReport
    try:
        resource = model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise InvalidResource(_invalid(model), _validator_errors(exc)) from None
    codes = dict(_code_errors(resource))
    if codes:
        raise InvalidResource(_invalid(model), codes)
    return resource


def _validator_errors(exc: pydantic.ValidationError) -> dict[str, list[str]]:
    """The validator's messages by its own location ("entry.1.resource.status")."""
    errors: dict[str, list[str]] = defaultdict(list)
    for error in exc.errors(include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "body"
        errors[where].append(_squeeze(error["msg"]).removeprefix("Value error, "))
    return dict(errors)


def _invalid(model: type) -> str:
    return f"The {model.__name__} is not valid FHIR R4 (fhir.resources {model.__module__.split('.')[2]})."


def _squeeze(message: str) -> str:
    return " ".join(message.split())


def _check_resource_types(data: Any) -> None:
    """Before the validator: fhir.resources raises a bare KeyError for an unknown resourceType inside a Bundle."""
    if not isinstance(data, dict):
        raise InvalidResource("The body is not a FHIR resource.", {"body": ["expected a JSON object"]})
    kind = data.get("resourceType")
    if kind not in ("MeasureReport", "Bundle"):
        msg = f"expected “MeasureReport” or “Bundle”, not {_shown(kind)}"
        raise InvalidResource("The body is not a MeasureReport or a Bundle.", {"resourceType": [msg]})
    if kind != "Bundle" or not isinstance(data.get("entry"), list):
        return
    errors = {}
    for number, entry in enumerate(data["entry"]):
        resource = entry.get("resource") if isinstance(entry, dict) else None
        kind = resource.get("resourceType") if isinstance(resource, dict) else None
        if kind != "MeasureReport":
            errors[f"entry.{number}.resource.resourceType"] = [f"expected “MeasureReport”, not {_shown(kind)}"]
    if errors:
        raise InvalidResource("Every entry of the Bundle must be a MeasureReport.", errors)


def _shown(value: Any) -> str:
    return "nothing" if value is None else f"“{value}”"


def _code_errors(model: Any, path: str = "") -> Iterator[tuple[str, list[str]]]:
    """Codes outside their required value set. fhir.resources lists each such set in the field's `enum_values` but
    leaves enforcing it to the caller (status "bogus" passes its validator)."""
    for name, info in type(model).model_fields.items():
        value = getattr(model, name)
        if value is None:
            continue
        where = f"{path}{info.alias or name}"
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        allowed = extra.get("enum_values")
        items = value if isinstance(value, list) else [value]
        for number, item in enumerate(items):
            here = f"{where}.{number}" if isinstance(value, list) else where
            if allowed and isinstance(item, str) and item not in allowed:
                choices = ", ".join(f"“{a}”" for a in allowed)
                yield here, [f"“{item}” is not an allowed code here; expected one of {choices}"]
            elif isinstance(item, pydantic.BaseModel):
                yield from _code_errors(item, f"{here}.")


# ---------------------------------------------------------------- import: reports to rows


@dataclass(frozen=True)
class Place:
    """Where in the body: entry (of a Bundle) and group, both counted from 0 as in JSON paths."""

    entry: int | None
    group: int | None = None
    field: str = ""

    @property
    def label(self) -> str:
        """For people, counted from 1: "entry 2, group 1"."""
        parts = [f"entry {self.entry + 1}"] if self.entry is not None else []
        if self.group is not None:
            parts.append(f"group {self.group + 1}")
        return ", ".join(parts) or "the report"

    @property
    def path(self) -> str:
        """As the validator's locations: "entry.1.resource.group.0"."""
        parts = ["entry", str(self.entry), "resource"] if self.entry is not None else []
        if self.group is not None:
            parts += ["group", str(self.group)]
        if self.field:
            parts.append(self.field)
        return ".".join(parts) or "body"


@dataclass(frozen=True)
class Problem:
    place: Place | None  # None: the whole body
    text: str

    @property
    def message(self) -> str:
        return f"{self.place.label}: {self.text}" if self.place else self.text

    @property
    def path(self) -> str:
        return self.place.path if self.place else "body"


@dataclass
class Reports:
    """The groups of the body as SKDE aggregated rows: row i of `frame` came from `places[i]`."""

    frame: pd.DataFrame
    places: list[Place]
    reports: int
    problems: list[Problem] = field(default_factory=list)

    @property
    def indicator_ids(self) -> set[str]:
        return set(self.frame["ind_id"])


def to_rows(resource: MeasureReport | Bundle) -> Reports:
    """Every group as a row of strings (year, orgnr, var, denominator, ind_id), with the problems the rows
    themselves cannot show: not a summary, not one calendar year, no unit, no indicator, a population missing."""
    reports: list[tuple[int | None, Any]]  # read_resource made sure every entry is a MeasureReport
    if isinstance(resource, Bundle):
        reports = [(n, e.resource) for n, e in enumerate(resource.entry or [])]
    else:
        reports = [(None, resource)]
    rows: list[list[str]] = []
    places: list[Place] = []
    problems = [] if reports else [Problem(None, "the Bundle has no entry: there is nothing to import")]
    for entry, report in reports:
        for place, row in _report_rows(entry, report, problems):
            rows.append(row)
            places.append(place)
    problems += _duplicates(rows, places)
    return Reports(pd.DataFrame(rows, columns=COLUMNS, dtype=str), places, len(reports), problems)


def _report_rows(entry: int | None, report: MeasureReport, problems: list[Problem]) -> list[tuple[Place, list[str]]]:
    before = len(problems)
    here = Place(entry)
    if report.status != "complete":
        problems.append(Problem(Place(entry, field="status"), f"status must be “complete”, not “{report.status}”"))
    if report.type != "summary":
        problems.append(
            Problem(
                Place(entry, field="type"),
                f"type must be “summary”, not “{report.type}”: only a summary report gives a unit's numerator "
                "and denominator",
            )
        )
    year = _calendar_year(report.period, Place(entry, field="period"), problems)
    orgnr = _unit(report, here, problems)
    if not report.group:
        problems.append(Problem(Place(entry, field="group"), "the report has no group: there is nothing to import"))
    rows = []
    for number, group in enumerate(report.group or []):
        row = _group_row(group, Place(entry, number), problems)
        if row is not None:
            rows.append((Place(entry, number), [str(year), str(orgnr), row[1], row[2], row[0]]))
    return rows if len(problems) == before else []


def _calendar_year(period: Any, place: Place, problems: list[Problem]) -> int | None:
    start = _day(period.start, first=True) if period else None
    end = _day(period.end, first=False) if period else None
    if start and end and start.year == end.year and (start.month, start.day, end.month, end.day) == (1, 1, 12, 31):
        return start.year
    shown = f"{period.start} to {period.end}" if period else "missing"
    problems.append(Problem(place, f"period must be one calendar year (1 January to 31 December), not {shown}"))
    return None


def _day(value: Any, *, first: bool) -> date | None:
    """A period bound as a date: a date, the date of a dateTime, or a partial date "YYYY" (the year's first or
    last day). A partial "YYYY-MM" is never a whole year's bound."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and re.fullmatch(r"\d{4}", value):
        return date(int(value), 1, 1) if first else date(int(value), 12, 31)
    return None


def _unit(report: MeasureReport, place: Place, problems: list[Problem]) -> int | None:
    found = {}
    for name in ("reporter", "subject"):
        reference = getattr(report, name)
        identifier = reference.identifier if reference else None
        if identifier is not None and identifier.system in UNIT_SYSTEMS:
            found[name] = identifier.value or ""
    values = set(found.values())
    if len(values) > 1:
        text = f"reporter ({found['reporter']}) and subject ({found['subject']}) name different units"
        problems.append(Problem(Place(place.entry, field="reporter"), text))
        return None
    value = values.pop() if values else ""
    if not value.isdigit():
        text = (
            f"reporter.identifier must give the unit's organisation number (system {ORGNR_SYSTEM}, or "
            f"{SKDE_UNIT_SYSTEM} for SKDE's own unit numbers such as 1 for the nation)"
        )
        problems.append(Problem(Place(place.entry, field="reporter"), text if not value else f"{text}, not “{value}”"))
        return None
    return int(value)


def _group_row(group: Any, place: Place, problems: list[Problem]) -> tuple[str, str, str] | None:
    """(indicator id, numerator, denominator) as strings, or None after adding the group's problems."""
    codes = [c.code for c in (group.code.coding or [])] if group.code else []
    systems = [c.system for c in (group.code.coding or [])] if group.code else []
    indicator = next((c for c, s in zip(codes, systems, strict=True) if s == INDICATOR_SYSTEM and c), None)
    found: dict[str, Decimal | None] = {}  # None: given, but its count is wrong (a problem says so)
    for number, population in enumerate(group.population or []):
        _population_count(population, Place(place.entry, place.group, f"population.{number}"), found, problems)
    missing = [p for p in POPULATIONS if p not in found]
    if indicator is None:
        problems.append(Problem(place, f"code must have a coding with system {INDICATOR_SYSTEM}: the indicator id"))
    if missing:
        problems.append(Problem(place, f"population {' and '.join(missing)} missing"))
    numerator, denominator = found.get("numerator"), found.get("denominator")
    if indicator is None or numerator is None or denominator is None:
        return None
    return indicator, _text(numerator), _text(denominator)


def _population_count(population: Any, place: Place, found: dict[str, Decimal | None], problems: list[Problem]) -> None:
    codings = (population.code.coding or []) if population.code else []
    code = next((c.code for c in codings if c.system == POPULATION_SYSTEM), None)
    if code not in POPULATIONS:
        text = f"population {_shown(code)} is not supported: send “numerator” and “denominator” ({POPULATION_SYSTEM})"
        problems.append(Problem(place, text))
        return
    if code in found:
        problems.append(Problem(place, f"population “{code}” is given twice"))
        return
    exact = next((e.valueDecimal for e in population.extension or [] if e.url == EXACT_COUNT), None)
    count = population.count
    found[code] = None
    if exact is None and count is None:
        problems.append(Problem(place, f"population “{code}” has no count"))
    elif exact is not None and count is not None and abs(Decimal(count) - exact) >= 1:
        problems.append(Problem(place, f"population “{code}”: count {count} does not match the exact value {exact}"))
    elif (exact if exact is not None else Decimal(count)) > LARGEST:
        problems.append(Problem(place, f"population “{code}” is above the largest value stored ({LARGEST})"))
    else:
        found[code] = exact if exact is not None else Decimal(count)


def _text(number: Decimal) -> str:
    try:
        return f"{number:f}"
    except (InvalidOperation, ValueError):
        return str(number)


def _duplicates(rows: list[list[str]], places: list[Place]) -> list[Problem]:
    """Two groups for one indicator, unit and year: a file import would add them up, which is never meant here."""
    first: dict[tuple[str, str, str], Place] = {}
    problems = []
    for row, place in zip(rows, places, strict=True):
        key = (row[4], row[1], row[0])
        if key in first:
            text = f"indicator “{key[0]}” for unit {key[1]} in {key[2]} is already in {first[key].label}"
            problems.append(Problem(place, text))
        else:
            first[key] = place
    return problems


# ---------------------------------------------------------------- import: the domain rules


@dataclass
class Outcome:
    problems: list[Problem]
    reports: int
    groups: int
    dry_run: bool
    file: services.FileResult | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


LINE = re.compile(r"^(\d+): (.*)$", re.DOTALL)


def import_reports(
    reports: Reports, *, name: str, content: bytes, by: Any, dry_run: bool = False, registry: Any = None
) -> Outcome:
    """The rows through `services.import_table` (all or nothing, deliveries per indicator and year), with its
    problems mapped back from table lines to entries and groups."""
    outcome = Outcome(list(reports.problems), reports.reports, len(reports.frame), dry_run)
    if outcome.problems:
        return outcome
    result = services.import_table(name, reports.frame, content=content, by=by, dry_run=dry_run, registry=registry)
    outcome.problems = [_located(p.removeprefix(f"{name}:"), reports.places) for p in result.problems]
    outcome.file = result.files[0] if result.files else None
    return outcome


def _located(problem: str, places: list[Place]) -> Problem:
    """ "LINE: message" → the entry and group of that line (the table's header is line 1, row i is line i + 2)."""
    match = LINE.match(problem)
    if match is None:
        return Problem(None, problem)
    line, message = int(match[1]), _in_groups(match[2])
    index = line - 2
    return Problem(places[index] if 0 <= index < len(places) else None, message)


def _in_groups(message: str) -> str:
    """The file importer counts rows and speaks of files; here each row is a group of a report."""
    message = re.sub(r"\((\d+) rows?\)", lambda m: f"({m[1]} group{'' if m[1] == '1' else 's'})", message)
    return message.replace("the file is not imported", "nothing is imported")
