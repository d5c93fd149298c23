"""What the generator builds on: the schemes, registries, organisation tree, indicators and a pool of generated users.

Read once before planning. What is there (loaddemo's registries, SKDE's tree and indicators) is used as it is; what
is missing on an empty database is created under distinctive names ("Gen-…", orgnr 899…, `gen_` indicator ids,
`@generated.invalid` emails), so nothing clashes with real data. A second run on the same database finds the
generated users and reference rows again by those names and reuses them.
"""

import hashlib
import random
from dataclasses import dataclass, field
from decimal import Decimal

from accounts.models import User
from grants.models import Scheme, SchemeCriterion
from grants.schemes import DATA_QUALITY, QUALITY_IMPROVEMENT, install_national_schemes
from registries.enums import Direction, Region, UnitLevel
from registries.models import Indicator, Membership, Organisation, Registry
from reviews.models import ExpertGroup, ExpertGroupMember

from .clock import START

EMAIL_DOMAIN = "generated.invalid"  # RFC 2606: never a real mailbox
GEN_REGISTRIES = 50  # about the number of national registries (DOMAIN.md)
GEN_ORGNR = 899_000_000  # generated units take orgnr from here; SKDE's are real organisation numbers
APPLICANTS_PER_REGISTRY = 2
REVIEWERS_PER_GROUP = 10
SECRETARIAT = 3
DECIDERS = 2
FIRST_NAMES = [
    "Anne", "Kari", "Ingrid", "Marit", "Silje", "Hilde", "Tone", "Lise", "Nina", "Eva",
    "Ole", "Lars", "Per", "Jon", "Knut", "Arne", "Erik", "Geir", "Morten", "Trond",
]  # fmt: skip
LAST_NAMES = [
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen", "Karlsen",
    "Berg", "Haugen", "Hagen", "Eriksen", "Bakken", "Dahl", "Lie", "Moen", "Solberg", "Strand",
]  # fmt: skip


@dataclass
class World:
    schemes: dict[str, Scheme]
    criteria: dict[int, list[SchemeCriterion]]  # scheme id → its default criteria in order
    registries: list[Registry]
    indicators: dict[int, list[Indicator]]  # registry id → its indicators (only registries that have some)
    units: list[Organisation]  # health trusts and hospitals a project can take part in
    nation: Organisation | None
    secretariat: list[User]
    deciders: list[User]
    reviewers: dict[int, list[User]]  # scheme id → generated members of its expert group
    applicants: dict[int, list[User]]  # registry id → generated members
    reviewer_registries: dict[int, set[int]] = field(default_factory=dict)  # reviewer id → registries they belong to


def load_world(seed: int) -> World:
    schemes = install_national_schemes()
    scheme_ids = [schemes[QUALITY_IMPROVEMENT].pk, schemes[DATA_QUALITY].pk]
    criteria: dict[int, list[SchemeCriterion]] = {pk: [] for pk in scheme_ids}
    for c in SchemeCriterion.objects.filter(scheme_id__in=scheme_ids).order_by("scheme_id", "order", "id"):
        criteria[c.scheme_id].append(c)
    registries = _registries()
    nation, units = _units()
    indicators = _indicators(registries)
    world = World(schemes, criteria, registries, indicators, units, nation, [], [], {}, {})
    _users(world, random.Random(f"users-{seed}"))  # noqa: S311 (reproducible test data)
    return world


def _registries() -> list[Registry]:
    registries = list(Registry.objects.order_by("name", "pk"))
    if registries:
        return registries
    regions = list(Region)
    Registry.objects.bulk_create(
        Registry(
            name=f"Gen-register {n:03d}",
            short_name=f"GEN{n:03d}",
            region=regions[n % len(regions)],
            established_year=1995 + n % 25,
            skde_key=f"gen{n:03d}",
        )
        for n in range(1, GEN_REGISTRIES + 1)
    )
    return list(Registry.objects.order_by("name", "pk"))


def _units() -> tuple[Organisation | None, list[Organisation]]:
    levels = (UnitLevel.HF, UnitLevel.HOSPITAL)
    units = list(Organisation.objects.filter(level__in=levels).exclude(name__startswith="Ukjent").order_by("orgnr"))
    nation = Organisation.objects.filter(level=UnitLevel.NATION).order_by("orgnr").first()
    if units:
        return nation, units
    if nation is None:
        nation = Organisation.objects.create(orgnr=1, name="Norge", short_name="Norge", level=UnitLevel.NATION)
    rows = []
    for r in range(4):
        rhf = Organisation(orgnr=GEN_ORGNR + 100 * (r + 1), name=f"Gen-RHF {r + 1}", level=UnitLevel.RHF, parent=nation)
        rows.append(rhf)
        for h in range(2):
            hf_no = 2 * r + h + 1
            hf = Organisation(orgnr=rhf.orgnr + 10 * (h + 1), name=f"Gen-HF {hf_no}", level=UnitLevel.HF, parent=rhf)
            rows.append(hf)
            rows += [
                Organisation(
                    orgnr=hf.orgnr + s + 1, name=f"Gen-sykehus {hf_no}.{s + 1}", level=UnitLevel.HOSPITAL, parent=hf
                )
                for s in range(2)
            ]
    Organisation.objects.bulk_create(rows)
    return nation, list(Organisation.objects.filter(level__in=levels).order_by("orgnr"))


def _indicators(registries: list[Registry]) -> dict[int, list[Indicator]]:
    found: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.filter(registry__isnull=False, include=True).order_by("id"):
        found.setdefault(indicator.registry_id, []).append(indicator)  # type: ignore[arg-type]
    if found:
        return found
    # No registry has indicators (an empty database): two share indicators for each of the first registries.
    rows = []
    for n, registry in enumerate(registries[:GEN_REGISTRIES]):
        lower = n % 2 == 0
        rows += [
            Indicator(
                id=f"gen_{key(registry)}_{k}",
                registry=registry,
                title=f"Gen-indikator {k} for {registry.short_name or registry.name}",
                level_green=Decimal("0.15") if lower else Decimal("0.85"),
                level_yellow=Decimal("0.25") if lower else Decimal("0.70"),
                direction=Direction.LOWER_IS_BETTER if lower else Direction.HIGHER_IS_BETTER,
                measure_unit="%",
            )
            for k in (1, 2)
        ]
    Indicator.objects.bulk_create(rows, ignore_conflicts=True)
    return _indicators_again(registries)


def _indicators_again(registries: list[Registry]) -> dict[int, list[Indicator]]:
    found: dict[int, list[Indicator]] = {}
    for indicator in Indicator.objects.filter(id__startswith="gen_", registry__isnull=False).order_by("id"):
        found.setdefault(indicator.registry_id, []).append(indicator)  # type: ignore[arg-type]
    return found


# ---------------------------------------------------------------- the user pool


def key(registry: Registry) -> str:
    """A registry's part of generated names: from its (unique) name, not its pk, which differs between databases."""
    return hashlib.sha256(registry.name.encode()).hexdigest()[:10]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _users(world: World, rng: random.Random) -> None:
    """Secretariat, deciders, an expert group per scheme (one a chair; a few also belong to a registry, so they
    are conflicted on its applications) and two applicants per registry. Existing generated users are reused."""
    wanted: list[tuple[str, str, dict]] = []
    wanted += [(f"gen-secretariat-{n}", _person(rng), {"is_secretariat": True}) for n in range(1, SECRETARIAT + 1)]
    wanted += [(f"gen-decider-{n}", _person(rng), {"is_decider": True}) for n in range(1, DECIDERS + 1)]
    for code in (QUALITY_IMPROVEMENT, DATA_QUALITY):
        wanted += [(f"gen-reviewer-{code}-{n}", _person(rng), {}) for n in range(1, REVIEWERS_PER_GROUP + 1)]
    for registry in world.registries:
        wanted += [
            (f"gen-applicant-{key(registry)}-{n}", _person(rng), {}) for n in range(1, APPLICANTS_PER_REGISTRY + 1)
        ]
    emails = [f"{local}@{EMAIL_DOMAIN}" for local, _n, _f in wanted]
    existing = {u.email: u for u in User.objects.filter(email__in=emails)}
    new = [
        User(
            email=email,
            full_name=name,
            password=f"!generated-{rng.getrandbits(64):016x}",  # unusable: these users cannot log in
            date_joined=START,
            **flags,
        )
        for email, (_l, name, flags) in zip(emails, wanted, strict=True)
        if email not in existing
    ]
    User.objects.bulk_create(new)
    users = existing | {u.email: u for u in User.objects.filter(email__in=[u.email for u in new])}

    def user(local: str) -> User:
        return users[f"{local}@{EMAIL_DOMAIN}"]

    world.secretariat = [user(f"gen-secretariat-{n}") for n in range(1, SECRETARIAT + 1)]
    world.deciders = [user(f"gen-decider-{n}") for n in range(1, DECIDERS + 1)]
    memberships = []
    for registry in world.registries:
        members = [user(f"gen-applicant-{key(registry)}-{n}") for n in range(1, APPLICANTS_PER_REGISTRY + 1)]
        world.applicants[registry.pk] = members
        memberships += [Membership(user=m, registry=registry) for m in members]
    group_members = []
    for code in (QUALITY_IMPROVEMENT, DATA_QUALITY):
        scheme = world.schemes[code]
        group = ExpertGroup.objects.get(scheme=scheme)
        has_chair = group.memberships.filter(is_chair=True).exists()
        members = [user(f"gen-reviewer-{code}-{n}") for n in range(1, REVIEWERS_PER_GROUP + 1)]
        world.reviewers[scheme.pk] = members
        group_members += [
            ExpertGroupMember(group=group, user=m, is_chair=(i == 0 and not has_chair)) for i, m in enumerate(members)
        ]
        # Every third reviewer also works in a registry: a real conflict of interest on its applications.
        for i, member in enumerate(members[::3]):
            registry = world.registries[(i * 7 + len(code)) % len(world.registries)]
            world.reviewer_registries.setdefault(member.pk, set()).add(registry.pk)
            memberships.append(Membership(user=member, registry=registry))
    Membership.objects.bulk_create(memberships, ignore_conflicts=True)
    ExpertGroupMember.objects.bulk_create(group_members, ignore_conflicts=True)
