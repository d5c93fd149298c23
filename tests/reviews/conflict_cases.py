"""Shared set-ups for the conflict-of-interest tests: each source made real, an organisation tree, API and web calls."""

from types import SimpleNamespace
from typing import Any

from django.test import Client

from reviews import services
from tests.api.helpers import ApiClient
from tests.factories import OrganisationFactory, RegistryFactory, UserFactory, api_token_for

SOURCES = ["registry_member", "participating_registry", "health_trust", "named_in_project", "declared"]
WAIVABLE = [s for s in SOURCES if s != "registry_member"]


def tree() -> SimpleNamespace:
    """Helse Vest RHF → Helse Bergen HF → Haukeland, Voss; Helse Stavanger HF → SUS."""
    rhf = OrganisationFactory(level="rhf", name="Helse Vest RHF")
    bergen = OrganisationFactory(level="hf", parent=rhf, name="Helse Bergen HF")
    stavanger = OrganisationFactory(level="hf", parent=rhf, name="Helse Stavanger HF")
    return SimpleNamespace(
        rhf=rhf,
        bergen=bergen,
        haukeland=OrganisationFactory(level="hospital", parent=bergen, name="Haukeland"),
        voss=OrganisationFactory(level="hospital", parent=bergen, name="Voss"),
        stavanger=stavanger,
        sus=OrganisationFactory(level="hospital", parent=stavanger, name="SUS"),
    )


def make_conflict(source: str, application: Any, user: Any) -> None:
    """Give `user` (a member of the scheme's expert group) a conflict of interest with `application` by `source`."""
    if source == "registry_member":
        user.memberships.create(registry=application.registry)
    elif source == "participating_registry":
        registry = RegistryFactory()
        application.participating_registries.add(registry)
        user.memberships.create(registry=registry)
    elif source == "health_trust":
        units = tree()
        application.participating_units.add(units.voss)
        user.organisation = units.haukeland
        user.save()
    elif source == "named_in_project":
        application.team.add(user)
    elif source == "declared":
        services.declare_conflict(application, by=user, reason="Min svoger leder prosjektet.")
    for attr in ("_registry_ids", "_committee_scheme_ids"):
        user.__dict__.pop(attr, None)


def waive(application: Any, reviewer: Any, secretariat: Any = None) -> Any:
    secretariat = secretariat or UserFactory(is_secretariat=True)
    return services.waive_conflict(application, by=secretariat, reviewer=reviewer, reason="Fjern relasjon; vurdert.")


def discussion(call: Any) -> None:
    services.start_discussion(call, by=UserFactory(is_secretariat=True))


def api(user: Any) -> ApiClient:
    return ApiClient(f"Bearer {api_token_for(user)}")


def web(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client
