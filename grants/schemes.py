"""The two national schemes as data: codes, names, decision bodies, report templates and default criteria.

`install_national_schemes` creates what is missing and never overwrites what exists, so the secretariat's later
edits (a changed weight, a new criterion) survive another `loaddemo`. New schemes are made in the UI, not here.
"""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction

from audit.services import record
from projects.services import DATA_QUALITY_SECTIONS, SQUIRE_SECTIONS, sections_as_json

from .models import Scheme, SchemeCriterion

QUALITY_IMPROVEMENT = "quality_improvement"
DATA_QUALITY = "data_quality"


@dataclass(frozen=True)
class CriterionDef:
    code: str
    name: str
    name_en: str
    weight: Decimal
    description: str = ""


@dataclass(frozen=True)
class SchemeDef:
    code: str
    name: str
    name_en: str
    decision_body: str
    expert_group: str
    description: str
    final_report_sections: list[tuple[str, str, str]]
    criteria: list[CriterionDef] = field(default_factory=list)
    requires_indicators: bool = False
    default_max_amount_nok: Decimal | None = None


# Weights: the scheme exists to turn registry results into better care, so the anchoring in registry data and the
# improvement method count double; the rest are single-weighted (the report names no weights for QI).
QUALITY_IMPROVEMENT_SCHEME = SchemeDef(
    code=QUALITY_IMPROVEMENT,
    name="Kvalitetsforbedring",
    name_en="Quality improvement",
    decision_body="Interregionalt fagdirektørmøte",
    expert_group="Faggruppe for kvalitetsforbedring",
    description=(
        "Nasjonale midler til kvalitetsforbedringsprosjekter som bruker resultater fra et nasjonalt medisinsk "
        "kvalitetsregister. Indikatorene prosjektet tar utgangspunkt i, må allerede finnes i registeret. Midlene "
        "kan ikke dekke ordinær drift av register eller sykehus. Sluttrapport etter SQUIRE 2.0 senest tre måneder "
        "etter prosjektslutt."
    ),
    final_report_sections=SQUIRE_SECTIONS,
    requires_indicators=True,
    criteria=[
        CriterionDef(
            "registry_data",
            "Forankring i registerdata og kvalitetsindikatorer",
            "Anchoring in registry data and indicators",
            Decimal("2"),
            "Prosjektet tar utgangspunkt i resultater og indikatorer som allerede finnes i registeret, med "
            "utgangsverdi og mål. / The project starts from results and indicators that already exist in the "
            "registry, with baseline and target.",
        ),
        CriterionDef(
            "improvement_method",
            "Forbedringsmetodikk",
            "Improvement method",
            Decimal("2"),
            "En anerkjent forbedringsmodell (f.eks. Model for Improvement, PDSA) med målinger underveis. / "
            "A recognised improvement model (e.g. Model for Improvement, PDSA) with measurement along the way.",
        ),
        CriterionDef(
            "feasibility_budget",
            "Gjennomførbarhet og budsjett",
            "Feasibility and budget",
            Decimal("1"),
            "Realistisk plan, milepæler og budsjett; ingen driftsmidler. / A realistic plan, milestones and "
            "budget; no operating costs.",
        ),
        CriterionDef(
            "user_involvement",
            "Pasient- og brukermedvirkning",
            "Patient and user involvement",
            Decimal("1"),
            "Brukerrepresentanter er med i planlegging og gjennomføring. / User representatives take part in "
            "planning and carrying out the project.",
        ),
        CriterionDef(
            "transfer_value",
            "Overføringsverdi",
            "Transfer value",
            Decimal("1"),
            "Erfaringene kan tas i bruk ved andre enheter og i andre registre. / The experience can be used by "
            "other units and registries.",
        ),
    ],
)

DATA_QUALITY_SCHEME = SchemeDef(
    code=DATA_QUALITY,
    name="Datakvalitet",
    name_en="Data quality",
    decision_body="Interregional arbeidsgruppe (IRA)",
    expert_group="Faggruppen for datakvalitet",
    description=(
        "Nasjonale midler til prosjekter som bedrer datakvaliteten i medisinske kvalitetsregistre (relevans, "
        "kompletthet inkl. dekningsgrad, korrekthet, reliabilitet, sammenlignbarhet, aktualitet). Inntil "
        "100 000 kr per søknad (unntaksvis mer). Ved lik vurdering prioriteres førstegangssøkere."
    ),
    final_report_sections=DATA_QUALITY_SECTIONS,
    default_max_amount_nok=Decimal("100000.00"),
    criteria=[
        CriterionDef(
            "methodology",
            "Metodikk tilpasset datakvalitetsdimensjonen",
            "Methodology suited to the data-quality dimension",
            Decimal("2"),
            "Metoden passer til dimensjonen som skal undersøkes eller bedres. / The method fits the dimension "
            "to be studied or improved.",
        ),
        CriterionDef(
            "feasibility",
            "Gjennomførbarhet innenfor tid og ressurser",
            "Feasibility within time and resources",
            Decimal("1"),
        ),
        CriterionDef(
            "value_beyond",
            "Nytte utover eget register",
            "Value beyond the applicant's own registry",
            Decimal("1"),
        ),
    ],
)

NATIONAL_SCHEMES = [QUALITY_IMPROVEMENT_SCHEME, DATA_QUALITY_SCHEME]


def install_scheme(definition: SchemeDef, *, by: Any = None) -> tuple[Scheme, bool]:
    """Create the scheme, its default criteria and its expert group where missing. Returns (scheme, created)."""
    from reviews.models import ExpertGroup

    with transaction.atomic():
        scheme, created = Scheme.objects.get_or_create(code=definition.code, defaults=_scheme_fields(definition))
        if created:
            record(scheme, "grants.scheme.create", actor=by)
            SchemeCriterion.objects.bulk_create(
                SchemeCriterion(
                    scheme=scheme,
                    code=c.code,
                    name=c.name,
                    name_en=c.name_en,
                    description=c.description,
                    weight=c.weight,
                    order=order,
                )
                for order, c in enumerate(definition.criteria)
            )
        group, group_created = ExpertGroup.objects.get_or_create(
            scheme=scheme, defaults={"name": definition.expert_group}
        )
        if group_created:
            record(group, "reviews.expertgroup.create", actor=by)
    return scheme, created


def install_national_schemes(*, by: Any = None) -> dict[str, Scheme]:
    return {d.code: install_scheme(d, by=by)[0] for d in NATIONAL_SCHEMES}


def _scheme_fields(d: SchemeDef) -> dict[str, Any]:
    return {
        "name": d.name,
        "name_en": d.name_en,
        "description": d.description,
        "decision_body": d.decision_body,
        "default_max_amount_nok": d.default_max_amount_nok,
        "final_report_sections": sections_as_json(d.final_report_sections),
        "requires_indicators": d.requires_indicators,
    }
