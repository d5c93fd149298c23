"""What `manage.py loaddemo` loads: the report's registries, SKDE's organisation tree and indicators, the two
national schemes, the 2021 grants as history and, for a demo, one user per role with live calls and applications.

Every step creates what is missing and leaves what exists alone, so a second run changes nothing (and writes no
audit entries). The data ships in registries/data/ (see its README files); nothing is fetched.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from audit.services import record
from grants.enums import ApplicationState, CallState
from grants.models import Application, Call, CallCriterion, Scheme
from grants.schemes import DATA_QUALITY, QUALITY_IMPROVEMENT, install_national_schemes
from projects.enums import ProjectState

from . import importers as imp
from .models import Indicator, IndicatorAlias, Organisation, Registry

DATA_DIR = Path(__file__).resolve().parent / "data"
SKDE_DIR = DATA_DIR / "skde"
VALUE_FILES = [
    "nkr_rygg.csv",
    "nnrr.csv",
    "norgastdata.csv",
    "nra.csv",
    "norvas.csv",
    "nger.csv",
    "lymfoide_maligniteter.csv",
    "hoftebrudd_dg.csv",
    "korsband_DG.csv",
]
# Units the data files use that neither tree lists. The two Oslofjordklinikken units are named in SKDE's own
# registry code (ReshId → orgnr maps in the registries' public R packages) and are private, so they go under
# "Private" (999); the others are unknown and get no parent.
UNPLACED_UNITS = {
    991835083: ("Oslofjordklinikken Sandvika", 999),
    913758862: ("Oslofjordklinikken Sandnes", 999),
}
OSLO = ZoneInfo("Europe/Oslo")

Say = Callable[[str], None]


@dataclass
class LoadReport:
    registries: imp.Counts = field(default_factory=imp.Counts)
    registry_years: imp.Counts = field(default_factory=imp.Counts)
    organisations: imp.Counts = field(default_factory=imp.Counts)
    unplaced_units: list[int] = field(default_factory=list)
    indicators: imp.Counts = field(default_factory=imp.Counts)
    unmatched_registries: list[tuple[str, str]] = field(default_factory=list)
    values: imp.Counts = field(default_factory=imp.Counts)
    # file name → {ind_id without a definition: rows not imported}
    unknown_ids: dict[str, dict[str, int]] = field(default_factory=dict)
    aliased: dict[str, dict[str, tuple[str, int]]] = field(default_factory=dict)
    problems: dict[str, list[imp.Problem]] = field(default_factory=dict)
    history: imp.Counts = field(default_factory=imp.Counts)
    history_skipped: list[str] = field(default_factory=list)
    demo_users: list[str] = field(default_factory=list)


def load_demo(*, with_users: bool, say: Say = print) -> LoadReport:
    report = LoadReport()
    with transaction.atomic():
        load_registries(report, say)
        load_organisations(report, say)
        load_indicators(report, say)
        load_indicator_values(report, say)
        schemes = install_national_schemes()
        say(f"Schemes: {', '.join(sorted(schemes))} (with criteria and expert groups)")
        load_history(schemes, report, say)
        if with_users:
            create_demo_content(schemes, report, say)
    return report


# ---------------------------------------------------------------- registries, tree, indicators


def load_registries(report: LoadReport, say: Say) -> None:
    rows, problems = imp.parse_registries(imp.read_table(DATA_DIR / "registries.csv"))
    _keep_problems(report, "registries.csv", problems, say)
    report.registries, report.registry_years = imp.save_registries(rows)
    say(f"Registries: {report.registries}; registry years: {report.registry_years}")


def load_organisations(report: LoadReport, say: Say) -> None:
    rows, problems = imp.parse_tree(imp.read_table(SKDE_DIR / "hospital_structure.csv"))
    _keep_problems(report, "hospital_structure.csv", problems, say)
    report.organisations = imp.save_organisations(rows)
    # SykehusNavnStruktur.csv lists the same tree by hospital; it only fills units the parent list lacks.
    wide, problems = imp.parse_tree_wide(imp.read_table(SKDE_DIR / "SykehusNavnStruktur.csv"))
    _keep_problems(report, "SykehusNavnStruktur.csv", problems, say)
    filled = imp.save_organisations(wide, fill_only=True)
    report.organisations.created += filled.created
    say(f"Organisations: {report.organisations} ({filled.created} added from SykehusNavnStruktur.csv)")


def load_indicators(report: LoadReport, say: Say) -> None:
    rows, problems = imp.parse_definitions(imp.read_table(SKDE_DIR / "IndBeskr.csv"))
    _keep_problems(report, "IndBeskr.csv", problems, say)
    # Definitions SKDE's file lacks although its data files deliver them (korsband_DG), in the same format.
    extra, problems = imp.parse_definitions(imp.read_table(DATA_DIR / "extra_definitions.csv"))
    _keep_problems(report, "extra_definitions.csv", problems, say)
    rows += extra
    report.unmatched_registries = imp.link_registries(rows)
    report.indicators = imp.save_indicators(rows)
    say(f"Indicator definitions: {report.indicators} ({len(extra)} from extra_definitions.csv)")
    for key, name in report.unmatched_registries:
        say(f"  no registry matches SKDE registry “{key}” ({name}); its indicators have no registry")
    aliases = imp.read_aliases(DATA_DIR / "indicator_aliases.csv")
    for alias, indicator_id, note in aliases:
        IndicatorAlias.objects.update_or_create(alias=alias, defaults={"indicator_id": indicator_id, "note": note})
    say(f"Indicator aliases (ids the data files use for defined indicators): {len(aliases)}")


def load_indicator_values(report: LoadReport, say: Say) -> None:
    known_ids = set(Indicator.objects.values_list("id", flat=True))
    aliases = dict(IndicatorAlias.objects.values_list("alias", "indicator_id"))
    for name in VALUE_FILES:
        values, problems = imp.parse_values(imp.read_table(SKDE_DIR / name))
        _keep_problems(report, name, problems, say)
        values, renamed = imp.resolve_aliases(values, aliases)
        report.aliased[name] = renamed
        values, unknown = imp.split_unknown(values, known_ids)
        report.unknown_ids[name] = unknown
        aggregated = imp.aggregate(values)
        unplaced = imp.add_unplaced_organisations(aggregated["orgnr"].unique().tolist(), UNPLACED_UNITS)
        report.unplaced_units += unplaced
        counts = imp.save_values(aggregated)
        for attr in ("created", "updated", "unchanged"):
            setattr(report.values, attr, getattr(report.values, attr) + getattr(counts, attr))
        say(f"Indicator values from {name}: {len(values)} rows → {counts}")
        if unplaced:
            say(f"  units missing from the organisation tree, added as hospitals: {_join(unplaced)}")
        if renamed:
            say("  read under an alias: " + ", ".join(f"{a} as {i} ({n} rows)" for a, (i, n) in renamed.items()))
        if unknown:
            say(
                f"  {len(unknown)} ind_id(s) have no definition in IndBeskr.csv; {sum(unknown.values())} rows "
                f"not imported: " + ", ".join(f"{k} ({n} rows)" for k, n in unknown.items())
            )


def _keep_problems(report: LoadReport, name: str, problems: list[imp.Problem], say: Say) -> None:
    if problems:
        report.problems[name] = problems
        for problem in problems:
            say(f"  {problem.format(name)} (row skipped)")


def _join(items: list[Any]) -> str:
    return ", ".join(str(i) for i in items)


# ---------------------------------------------------------------- the 2021 grants as history

HISTORY_SOURCE = "grants_2021.csv"
# Rows of grants_2021.csv that are not national grants of their own (see registries/data/README.md).
HISTORY_SKIP = {
    ("Nasjonalt korbåndregister", "kompletthet og korrekthet"): "same project as the 92 300 NOK grant of 2021",
    ("Nasjonalt kvalitetsregister for behandling av skadelig bruk eller avhengighet av rusmidler", "kompletthet"): (
        "same project as the 90 000 NOK grant of 2021"
    ),
    (
        "Nasjonalt kvalitetsregister for behandling av skadelig bruk eller avhengighet av rusmidler",
        "tilgjengeliggjøring av resultater",
    ): "same project as the 95 000 NOK grant of 2021",
    ("Norsk Parkinsonregister og biobank", "tilslutning og dekningsgrad"): (
        "not among the national grants; presumably regional funds"
    ),
    ("Norsk kvalitetsregister for fedmekirurgi", "reliabilitet"): "the report does not say national or regional funds",
}
# The report states no pot for the historical calls. Data quality: DOMAIN.md's "about 500 000 NOK". Quality
# improvement: no figure is published, so 2 000 000 NOK stands in (it only has to exceed the grants it holds).
HISTORY_BUDGETS = {DATA_QUALITY: Decimal("500000.00"), QUALITY_IMPROVEMENT: Decimal("2000000.00")}
# The completed NKR project started in 2019 (Helse Nord section); its grant year is not stated. QI grants are
# decided in the year before the start (the 2021 grants start in 2022), so it goes in the 2018 call.
NKR_GRANT_YEAR = 2018
# Project.granted_amount_nok cannot be empty. Where the report states no amount, the application keeps
# granted_amount_nok = None (unknown) and its project gets 0 NOK as a placeholder, so totals over projects stay
# the sum of the known amounts; the application's summary says the amount was not stated.
UNKNOWN_AMOUNT_PLACEHOLDER = Decimal("0.00")


def load_history(schemes: dict[str, Scheme], report: LoadReport, say: Say) -> None:
    index = imp.RegistryIndex()
    for line, row in enumerate(imp.read_csv_rows(DATA_DIR / HISTORY_SOURCE), start=2):
        skip = HISTORY_SKIP.get((row["registry"], row["title"]))
        registry = index.find(row["registry"])
        if skip or registry is None:
            reason = skip or "no registry of that name"
            report.history_skipped.append(f"{HISTORY_SOURCE}:{line}: {row['registry']} – {row['title']}: {reason}")
            continue
        _import_grant(schemes[row["scheme"]], registry, row, line, report)
    say(f"History (2021 report): {report.history}; skipped {len(report.history_skipped)} rows:")
    for text in report.history_skipped:
        say(f"  {text}")


def _import_grant(scheme: Scheme, registry: Registry, row: dict[str, str], line: int, report: LoadReport) -> None:
    completed = row["status"] == "completed"
    year = NKR_GRANT_YEAR if completed else int(row["year"])
    call = _historical_call(scheme, year, report)
    title = row["title"].strip() or f"{scheme.name}sprosjekt (tittel ikke oppgitt)"
    if Application.objects.filter(call=call, registry=registry, title=title, is_historical=True).exists():
        report.history.unchanged += 1
        return
    amount = imp._decimal(row["amount_nok"])
    source = {"source": HISTORY_SOURCE, "line": line, "amount_stated": amount is not None}
    application = Application.objects.create(
        call=call,
        registry=registry,
        title=title,
        summary=_history_summary(row, amount),
        requested_amount_nok=amount,
        granted_amount_nok=amount,
        state=ApplicationState.GRANTED,
        is_historical=True,
    )
    record(application, "grants.application.import", target=application.state, data=source)
    project = _historical_project(application, amount, completed)
    record(project, "projects.project.import", target=project.state, data=source)
    report.history.created += 1


def _historical_project(application: Application, amount: Decimal | None, completed: bool) -> Any:
    from projects.models import Project

    return Project.objects.create(
        application=application,
        registry_id=application.registry_id,
        title=application.title,
        granted_amount_nok=UNKNOWN_AMOUNT_PLACEHOLDER if amount is None else amount,
        state=ProjectState.CLOSED if completed else ProjectState.ACTIVE,
        # "Avsluttet 2021": the day is not stated, so the end of that year.
        closed_at=datetime(2021, 12, 31, 12, tzinfo=OSLO) if completed else None,
    )


def _history_summary(row: dict[str, str], amount: Decimal | None) -> str:
    parts = ["Historisk tildeling, registrert fra SKDEs årsrapport 2021 (Nasjonalt servicemiljø)."]
    if amount is None:
        parts.append("Beløpet er ikke oppgitt i kilden.")
    if row["note"]:
        parts.append(f"Merknad: {row['note']}")
    return " ".join(parts)


def _historical_call(scheme: Scheme, year: int, report: LoadReport) -> Call:
    title = f"{scheme.name} {year}"
    call = Call.objects.filter(scheme=scheme, year=year, title=title).first()
    if call is not None:
        return call
    call = Call.objects.create(
        scheme=scheme,
        title=title,
        description="Historisk utlysning, registrert fra SKDEs årsrapport 2021.",
        year=year,
        budget_nok=HISTORY_BUDGETS[scheme.code],
        max_amount_nok=scheme.default_max_amount_nok,
        # Deadline 1 September (DOMAIN.md); the opening day is not recorded.
        opens_at=datetime.combine(date(year, 3, 1), time(0), tzinfo=OSLO),
        closes_at=datetime.combine(date(year, 9, 1), time(12), tzinfo=OSLO),
        state=CallState.DECIDED,
    )
    CallCriterion.objects.bulk_create(
        CallCriterion(
            call=call,
            code=c.code,
            name=c.name,
            name_en=c.name_en,
            description=c.description,
            weight=c.weight,
            order=c.order,
        )
        for c in scheme.criteria.all()
    )
    record(call, "grants.call.import", target=call.state, data={"source": HISTORY_SOURCE})
    return call


# ---------------------------------------------------------------- demo users, calls and applications

DEMO_PASSWORD = "demo-password-2026"  # noqa: S105 (printed for the demo; only with DEBUG or --with-demo-users)
BOTH_SCHEMES = (QUALITY_IMPROVEMENT, DATA_QUALITY)


@dataclass(frozen=True)
class DemoUser:
    email: str
    full_name: str
    role: str
    registries: tuple[str, ...] = ()
    committees: tuple[str, ...] = ()
    note: str = ""


DEMO_USERS = [
    DemoUser("secretariat@demo.no", "Siri Sekretær", "secretariat", note="screens, assigns reviewers, follows up"),
    DemoUser(
        "applicant@demo.no",
        "Anders Søker",
        "applicant",
        ("NKR", "Norsk kvinnelig Inkontinensregister"),
        note="member of NKR and Norsk kvinnelig inkontinensregister",
    ),
    DemoUser("other-applicant@demo.no", "Olga Annen", "applicant", ("NoRGast",), note="member of NoRGast"),
    DemoUser("reviewer@demo.no", "Rita Fagfelle", "reviewer", committees=BOTH_SCHEMES, note="both expert groups"),
    DemoUser(
        "reviewer2@demo.no",
        "Rolf Fagfelle",
        "reviewer",
        ("NKR",),
        BOTH_SCHEMES,
        note="both expert groups; member of NKR, so conflicted on NKR's applications",
    ),
    DemoUser("decider@demo.no", "Dina Beslutter", "decider", note="grants or rejects recommended applications"),
    DemoUser("admin@demo.no", "Ada Admin", "admin", note="superuser; Django admin at /admin/"),
]


def create_demo_content(schemes: dict[str, Scheme], report: LoadReport, say: Say) -> None:
    users = create_demo_users(report)
    calls = {code: _demo_call(scheme, users["secretariat@demo.no"]) for code, scheme in schemes.items()}
    say(f"Demo calls: {', '.join(f'{c.title} ({c.state})' for c in calls.values())}")
    created = _demo_applications(calls, users)
    say(f"Demo applications: {created} created through the services")
    closed = _demo_closed_project(schemes[QUALITY_IMPROVEMENT], report)
    if closed is not None:
        say(f"Demo closed project with a measured outcome: {closed.title}")


# A finished quality-improvement project measured on SKDE's own nkr_rygg data: two health trusts set out in 2016 to
# cut the share of patients who wait more than a year with leg pain before disc surgery (lower is better, green
# 20 %). Their rows are real; the project is invented for the demo, so it is loaded with the demo users only.
DEMO_CLOSED = {
    "title": "Raskere til prolapskirurgi: færre med langvarige bensmerter før operasjon",
    "indicator": "rygg_varighet_bensmerter",
    "units": [997005562, 983971636],  # Helse Møre og Romsdal HF, Akershus universitetssykehus HF
    "baseline_year": 2016,
    "target": Decimal("0.20"),
    "start": date(2017, 1, 1),
    "end": date(2018, 12, 31),
}


def _demo_closed_project(scheme: Scheme, report: LoadReport) -> Any:
    from grants.models import ApplicationIndicator
    from projects.models import FinalReport, Project
    from projects.outcomes import freeze, project_outcomes

    spec = DEMO_CLOSED
    known = set(Organisation.objects.filter(orgnr__in=spec["units"]).values_list("orgnr", flat=True))
    if not Indicator.objects.filter(pk=spec["indicator"]).exists() or known != set(spec["units"]):
        return None
    call = _historical_call(scheme, 2016, report)
    nkr = _registry(imp.RegistryIndex(), "NKR")
    if Application.objects.filter(call=call, registry=nkr, title=spec["title"]).exists():
        return None
    application = Application.objects.create(
        call=call,
        registry=nkr,
        title=spec["title"],
        summary="Demo: pasientforløp for prolapskirurgi med fast vurdering innen seks uker ved to helseforetak.",
        requested_amount_nok=Decimal("400000.00"),
        granted_amount_nok=Decimal("400000.00"),
        start_date=spec["start"],
        end_date=spec["end"],
        state=ApplicationState.GRANTED,
        is_historical=True,
    )
    application.participating_units.set(spec["units"])
    ApplicationIndicator.objects.create(
        application=application,
        indicator_id=spec["indicator"],
        baseline_year=spec["baseline_year"],
        target_value=spec["target"],
        target_date=spec["end"],
    )
    record(application, "grants.application.import", target=application.state, data={"source": "demo"})
    project = Project.objects.create(
        application=application,
        registry=nkr,
        title=application.title,
        granted_amount_nok=application.granted_amount_nok,
        start_date=spec["start"],
        end_date=spec["end"],
        state=ProjectState.CLOSED,
        closed_at=datetime(2019, 6, 28, 12, tzinfo=OSLO),
    )
    sections = {s["key"]: f"{s['title']} (demo)." for s in scheme.final_report_sections}
    FinalReport.objects.create(
        project=project,
        sections=sections,
        submitted_at=project.closed_at,
        outcome=freeze(project_outcomes(project)),
        outcome_at=project.closed_at,
    )
    record(project, "projects.project.import", target=project.state, data={"source": "demo"})
    return project


def create_demo_users(report: LoadReport) -> dict[str, Any]:
    from accounts import services as accounts
    from accounts.models import User

    index = imp.RegistryIndex()
    users = {}
    for demo in DEMO_USERS:
        new = not User.objects.filter(email=demo.email).exists()
        # An existing demo user keeps whatever name and password it has now: a second run changes nothing.
        user, _created = accounts.create_or_update_user(
            demo.email, full_name=demo.full_name if new else None, password=DEMO_PASSWORD if new else None
        )
        accounts.set_roles(user, accounts.flag_roles(user) | {demo.role})
        for name in demo.registries:
            accounts.add_membership(user, _registry(index, name))
        for code in demo.committees:
            accounts.add_committee_membership(user, Scheme.objects.get(code=code))
        users[demo.email] = user
        report.demo_users.append(demo.email)
    return users


def _registry(index: imp.RegistryIndex, name: str) -> Registry:
    registry = index.find(name)
    if registry is None:
        raise LookupError(f"demo registry {name!r} is not loaded")
    return registry


DEMO_CALLS = {
    QUALITY_IMPROVEMENT: {"budget_nok": Decimal("2000000.00"), "max_amount_nok": None},
    DATA_QUALITY: {"budget_nok": Decimal("500000.00"), "max_amount_nok": Decimal("100000.00")},
}


def _demo_call(scheme: Scheme, secretariat: Any) -> Call:
    """This year's call of the scheme, open since a month ago with the deadline two months ahead."""
    from grants import services as grants

    year = timezone.localdate().year
    title = f"{scheme.name} {year}"
    call = Call.objects.filter(scheme=scheme, year=year, title=title).first()
    if call is not None:
        return call
    now = timezone.now().replace(minute=0, second=0, microsecond=0)
    data = {
        "scheme": scheme,
        "title": title,
        "description": f"Utlysning av nasjonale midler til {scheme.name.lower()} {year} (demo).",
        "year": year,
        "opens_at": now - timedelta(days=30),
        "closes_at": now + timedelta(days=60),
        **DEMO_CALLS[scheme.code],
    }
    call = grants.create_call(by=secretariat, data=data)
    return grants.open_call(call, by=secretariat, comment="Demo: utlysningen er åpen.")


def _demo_applications(calls: dict[str, Call], users: dict[str, Any]) -> int:
    """A handful of applications in different states, each moved by the service a real user would call."""
    qi, dq = calls[QUALITY_IMPROVEMENT], calls[DATA_QUALITY]
    if not (qi.is_accepting() and dq.is_accepting()):
        return 0
    index = imp.RegistryIndex()
    nkr, norgast = _registry(index, "NKR"), _registry(index, "NoRGast")
    inkontinens = _registry(index, "Norsk kvinnelig Inkontinensregister")
    applicant, other = users["applicant@demo.no"], users["other-applicant@demo.no"]
    scenarios = [
        (
            qi,
            nkr,
            applicant,
            "Færre svelgevansker etter fremre nakkekirurgi – spredning til flere sykehus",
            Decimal("450000.00"),
            [("nakke1", "0.21", "0.17")],
            _in_review_with_one_review,
        ),
        (
            qi,
            norgast,
            other,
            "Færre anastomoselekkasjer etter tykktarmskirurgi",
            Decimal("380000.00"),
            [("norgast_lekkasje_tykktarm", "0.06", "0.04")],
            _submitted,
        ),
        (
            dq,
            inkontinens,
            applicant,
            "Validering av komplikasjonsregistreringen mot pasientjournal",
            Decimal("80000.00"),
            [],
            None,
        ),
        (
            dq,
            nkr,
            applicant,
            "Kompletthetsanalyse mot Norsk pasientregister for nakkekirurgi",
            Decimal("95000.00"),
            [],
            _changes_requested,
        ),
        (
            dq,
            norgast,
            other,
            "Korrekthetsstudie av komplikasjonsregistreringen ved fire sykehus",
            Decimal("90000.00"),
            [],
            _granted_and_running,
        ),
    ]
    created = 0
    for call, registry, by, title, amount, indicators, advance in scenarios:
        if Application.objects.filter(call=call, registry=registry, title=title).exists():
            continue
        application = _create_draft(call, registry, by, title, amount, indicators, complete=advance is not None)
        if advance is not None:
            advance(application, by, users)
        created += 1
    return created


def _create_draft(
    call: Call,
    registry: Registry,
    by: Any,
    title: str,
    amount: Decimal,
    indicators: list[tuple[str, str, str]],
    *,
    complete: bool,
) -> Application:
    from grants import services as grants

    year = call.year + 1
    data: dict[str, Any] = {
        "title": title,
        "summary": f"{title}. Prosjektet bygger på registerets egne resultater (demodata).",
        "aims": "Bedre måloppnåelse på registerets indikatorer innen prosjektslutt.",
        "requested_amount_nok": amount,
        "start_date": date(year, 1, 1),
        "end_date": date(year, 12, 31),
    }
    if complete:
        salary = (amount * Decimal("0.8")).quantize(Decimal("1"))
        data |= {
            "budget_lines": [
                {"category": "salary", "year": year, "amount_nok": salary, "description": "Prosjektmedarbeider"},
                {"category": "travel", "year": year, "amount_nok": amount - salary, "description": "Samlinger"},
            ],
            "milestones": [
                {"title": "Kartlegging og utgangsverdier", "due_date": date(year, 4, 30)},
                {"title": "Tiltak innført ved deltakende enheter", "due_date": date(year, 9, 30)},
                {"title": "Sluttrapport", "due_date": date(year, 12, 15)},
            ],
            "indicators": [
                {
                    "indicator": ind,
                    "baseline_value": Decimal(base),
                    "baseline_year": call.year - 1,
                    "target_value": Decimal(target),
                    "target_date": date(year, 12, 31),
                }
                for ind, base, target in indicators
            ],
        }
    return grants.create_application(by=by, call=call, registry=registry, data=data)


def _submitted(application: Application, applicant: Any, users: dict[str, Any]) -> Application:
    from grants import services as grants

    return grants.submit_application(application, by=applicant, comment="Sendt inn (demo).")


def _changes_requested(application: Application, applicant: Any, users: dict[str, Any]) -> Application:
    from grants import services as grants

    application = _submitted(application, applicant, users)
    return grants.request_changes(
        application,
        by=users["secretariat@demo.no"],
        comment="Beskriv hvilken datakvalitetsdimensjon prosjektet gjelder, og legg ved plan for datauttrekk.",
    )


def _in_review(application: Application, applicant: Any, users: dict[str, Any], reviewers: list[str]) -> Application:
    from grants import services as grants
    from reviews import services as reviews

    secretariat = users["secretariat@demo.no"]
    application = _submitted(application, applicant, users)
    application = grants.send_to_review(application, by=secretariat)
    for email in reviewers:
        reviews.assign_reviewer(application, by=secretariat, reviewer=users[email])
    return application


def _review(application: Application, reviewer: Any, base: int) -> None:
    from reviews import services as reviews

    codes = list(application.call.criteria.values_list("code", flat=True))
    scores = {code: min(7, base + i % 2) for i, code in enumerate(codes)}
    reviews.save_review(application, by=reviewer, scores=scores, comment="Godt forankret i registerdata (demo).")
    reviews.submit_review(application, by=reviewer)


def _in_review_with_one_review(application: Application, applicant: Any, users: dict[str, Any]) -> Application:
    # reviewer2 is a member of NKR, so only reviewer@demo.no can be assigned (the conflict shows in the UI).
    application = _in_review(application, applicant, users, ["reviewer@demo.no"])
    _review(application, users["reviewer@demo.no"], 5)
    return application


def _granted_and_running(application: Application, applicant: Any, users: dict[str, Any]) -> Application:
    from grants import services as grants
    from projects import services as projects

    secretariat, decider = users["secretariat@demo.no"], users["decider@demo.no"]
    application = _in_review(application, applicant, users, ["reviewer@demo.no", "reviewer2@demo.no"])
    _review(application, users["reviewer@demo.no"], 6)
    _review(application, users["reviewer2@demo.no"], 5)
    application = grants.complete_assessment(application, by=secretariat, comment="To vurderinger levert.")
    amount = application.requested_amount_nok
    application = grants.recommend(
        application,
        by=secretariat,
        proposed_amount_nok=amount,
        comment="Faggruppen anbefaler full støtte: god metode og nytte for flere registre.",
    )
    application = grants.grant(application, by=decider, granted_amount_nok=amount, comment="Innvilget (demo).")
    projects.accept_agreement(application.project, by=applicant, comment="Avtalen er akseptert.")
    return application
