"""Indicator values as FHIR R4 MeasureReports (registries.fhir): export as a Bundle, import a report or a Bundle."""

from typing import Any

from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from accounts.rules import is_secretariat, registry_ids
from core.api import problem, problem_responses
from core.exceptions import ActionRefused, NotPermitted

from . import fhir
from .models import Indicator, IndicatorValue, Organisation, Registry
from .rules import can_import_for, can_import_indicators
from .selectors import Tree, rolled_up_values

router = Router(tags=["fhir"])

FHIR_JSON = "application/fhir+json"
ANY_JSON_OBJECT = {"type": "object", "additionalProperties": True}
EXPORT_DESCRIPTION = f"""Indicator values as a FHIR R4 `Bundle` (type `collection`) of `MeasureReport`s, one per unit
and year, each with one group per indicator (`group.code`: system `{fhir.INDICATOR_SYSTEM}`, the SKDE id). The unit is
`reporter.identifier` (system `{fhir.ORGNR_SYSTEM}`, Norwegian organisation numbers; `{fhir.SKDE_UNIT_SYSTEM}` for
SKDE's own unit numbers, 1 = the nation), `period` the calendar year, populations `numerator` and `denominator` with
`count` (a decimal value rounded, with the exact value in the extension `{fhir.EXACT_COUNT}`) and `measureScore` their
share (left out when the denominator is 0). The answer is `{FHIR_JSON}`.

`indicator` is required and may be repeated; without `unit`, every unit; without `year`, every year. By default the
reports hold the values as delivered (what an import of the Bundle stores again); `rolled_up=true` gives every unit at
every level, hospitals summed up to HF, RHF and the nation as in `/indicators/{{id}}/values`."""
IMPORT_DESCRIPTION = f"""Import indicator values from a FHIR R4 `MeasureReport` or a `Bundle` of them
(`{FHIR_JSON}` or `application/json`), in the shape `GET /fhir/MeasureReport` writes: `status` complete, `type`
summary, `period` one calendar year, the unit in `reporter.identifier` (or `subject.identifier`), one group per
indicator with populations `numerator` and `denominator`. `measureScore` is not read.

The reports are checked with fhir.resources (R4B models, the same as R4 for MeasureReport) and then imported as SKDE's
aggregated rows under the rules of a file import: all or nothing, one delivery per indicator and year. A delivery is
the whole set of units for its indicator and year: units it does not list lose their value; the same values again
change nothing. `dry_run=true` checks without storing.

The secretariat imports any indicator; a registry member only their own registry's indicators (one registry per
request). Invalid FHIR answers 400 with the validator's messages in `errors`, keyed by location
(`entry.1.resource.status`). Broken rules answer 400 with every problem in `errors`, each message naming its entry and
group counted from 1 (`entry 2, group 1: unknown indicator “x” ...`). Success answers 201 when a delivery was stored,
otherwise 200."""


class ExportQuery(Schema):
    indicator: list[str] = Field(..., min_length=1, description="SKDE indicator id; repeat for several.")
    unit: int | None = Field(None, description="Organisation number of a hospital, HF or RHF; 1 is the nation.")
    year: int | None = None
    rolled_up: bool = Field(False, description="Every unit at every level (sums up the organisation tree).")


class ImportQuery(Schema):
    dry_run: bool = Field(False, description="Check everything, store nothing.")


class DeliveriesOut(Schema):
    created: int = Field(description="New deliveries (one per indicator and year), including replacing ones.")
    replaced: int = Field(description="New deliveries that replace an older delivery for their indicator and year.")
    unchanged: int = Field(description="Indicator-years delivered again with exactly the current values.")


class ImportOut(Schema):
    dry_run: bool
    reports: int = Field(description="MeasureReports read.")
    groups: int = Field(description="Groups read: one value of one indicator, unit and year each.")
    deliveries: DeliveriesOut
    read_as: dict[str, str] = Field(description="Indicator ids read as another indicator (SKDE's aliases).")


@router.get(
    "/fhir/MeasureReport",
    response=problem_responses(400, 404),
    summary="Export indicator values as FHIR MeasureReports",
    description=EXPORT_DESCRIPTION,
    openapi_extra={
        "responses": {
            200: {
                "description": "A FHIR R4 Bundle of type collection.",
                "content": {FHIR_JSON: {"schema": ANY_JSON_OBJECT}},
            }
        }
    },
)
def export_measure_reports(request: HttpRequest, filters: Query[ExportQuery]) -> HttpResponse:
    ids = list(dict.fromkeys(filters.indicator))
    titles = dict(Indicator.objects.filter(pk__in=ids).values_list("id", "title"))
    unknown = [ind_id for ind_id in ids if ind_id not in titles]
    if unknown:
        raise Http404(f"No indicator with id {', '.join(unknown)}.")
    if filters.unit is not None and not Organisation.objects.filter(orgnr=filters.unit).exists():
        msg = f"No organisation with number {filters.unit}."
        raise ActionRefused(msg, {"unit": [msg]})
    values = (_rolled_up if filters.rolled_up else _delivered)(ids, filters.unit, filters.year)
    units = dict(Organisation.objects.filter(orgnr__in={v.orgnr for v in values}).values_list("orgnr", "name"))
    bundle = fhir.export_bundle(values, titles=titles, units=units, now=timezone.now())
    return HttpResponse(fhir.to_json(bundle), content_type=FHIR_JSON)


def _delivered(ids: list[str], unit: int | None, year: int | None) -> list[fhir.Value]:
    rows = IndicatorValue.objects.filter(indicator_id__in=ids)
    if unit is not None:
        rows = rows.filter(organisation_id=unit)
    if year is not None:
        rows = rows.filter(year=year)
    fields = ("indicator_id", "organisation_id", "year", "numerator", "denominator")
    return [fhir.Value(*row) for row in rows.values_list(*fields)]


def _rolled_up(ids: list[str], unit: int | None, year: int | None) -> list[fhir.Value]:
    values = []
    for ind_id, years in rolled_up_values(ids, year=year, tree=Tree.load()).items():
        for yr, units in years.items():
            for orgnr, sums in units.items():
                if unit is None or orgnr == unit:
                    values.append(fhir.Value(ind_id, orgnr, yr, sums.numerator, sums.denominator))
    return values


@router.post(
    "/fhir/MeasureReport",
    response={200: ImportOut, 201: ImportOut, **problem_responses(400, 403)},
    summary="Import indicator values from FHIR MeasureReports",
    description=IMPORT_DESCRIPTION,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                FHIR_JSON: {"schema": ANY_JSON_OBJECT},
                "application/json": {"schema": ANY_JSON_OBJECT},
            },
        }
    },
)
def import_measure_reports(request: HttpRequest, params: Query[ImportQuery]) -> Any:
    user = request.user
    if not can_import_indicators(user):
        raise NotPermitted("Only the secretariat and registry members import indicator values.")
    content = request.body
    try:
        resource = fhir.read_resource(content)
    except fhir.InvalidResource as exc:
        return problem(400, exc.message, exc.errors)
    reports = fhir.to_rows(resource)
    registry = None if is_secretariat(user) else _registry_of(user, reports.indicator_ids)
    name = "fhir-bundle.json" if resource.__resource_type__ == "Bundle" else "fhir-measurereport.json"
    outcome = fhir.import_reports(
        reports, name=name, content=content, by=user, dry_run=params.dry_run, registry=registry
    )
    if not outcome.ok:
        return _refused(outcome.problems)
    return _summary(outcome)


def _registry_of(user: Any, indicator_ids: set[str]) -> Registry:
    """The member's registry these indicators belong to; the import then refuses any other registry's indicator."""
    mine = registry_ids(user)
    owners = set(
        Indicator.objects.filter(Q(pk__in=indicator_ids) | Q(aliases__alias__in=indicator_ids))
        .filter(registry_id__in=mine)
        .values_list("registry_id", flat=True)
    )
    if len(owners) > 1:
        names = ", ".join(r.label for r in Registry.objects.filter(pk__in=owners).order_by("name"))
        msg = f"These reports hold indicators of several of your registries ({names}); send one registry's per request."
        raise ActionRefused(msg, {"body": [msg]})
    registry = Registry.objects.get(pk=owners.pop() if owners else min(mine))
    if not can_import_for(user, registry):
        raise NotPermitted()
    return registry


def _refused(problems: list[fhir.Problem]) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    for item in problems:
        errors.setdefault(item.path, []).append(item.message)
    count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
    return problem(400, f"Nothing was imported: {count}. {problems[0].message}", errors)


def _summary(outcome: fhir.Outcome) -> Status:
    file = outcome.file
    created = file.created if file else 0
    body = {
        "dry_run": outcome.dry_run,
        "reports": outcome.reports,
        "groups": outcome.groups,
        "deliveries": {
            "created": created,
            "replaced": file.replaced if file else 0,
            "unchanged": file.unchanged if file else 0,
        },
        "read_as": {alias: ind_id for alias, (ind_id, _n) in (file.aliased if file else {}).items()},
    }
    return Status(201 if created and not outcome.dry_run else 200, body)
