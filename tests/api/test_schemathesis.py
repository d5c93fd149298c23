"""Schemathesis fuzzes every operation of /api/v1/openapi.json against a small world of real objects.

Each operation gets a fresh world (the test's transaction is rolled back afterwards) and a secretariat token.
Path ids are drawn half from the world's real objects of the right kind and half by Hypothesis, and transition
names half from the real ones, so requests reach the services, not only the 404s. A request must never get a
server error, and every response must match what the document declares (status code, content type, body schema).
Generation is derandomized, so a failure is the same on every run; schemathesis prints the failing case as a
curl command with its body, and the world is fixed by this file.
"""

from datetime import date, timedelta
from typing import Any

import hypothesis
import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, Phase
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ApiToken
from config.api import api
from config.wsgi import application
from finance.services import PAYMENT_ACTIONS
from grants.services import APPLICATION_ACTIONS, CALL_ACTIONS
from projects.changes import CHANGE_ACTIONS
from projects.models import ChangeRequest, ProgressReport
from projects.progress import PROGRESS_ACTIONS
from projects.services import MILESTONE_ACTIONS, PROJECT_ACTIONS
from registries.models import IndicatorValue
from reviews.services import ROUND_ACTIONS
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    ConflictFactory,
    IndicatorFactory,
    MilestoneFactory,
    OrganisationFactory,
    ProjectFactory,
    RegistryFactory,
    ReviewFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = [pytest.mark.django_db, pytest.mark.fuzz]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]

# Which kind of object each path parameter names, by the path's first segment for `id`.
ID_KIND = {"registries": "registry", "indicators": "indicator", "calls": "call", "applications": "application"}
ID_KIND |= {"projects": "project", "payments": "payment"}
OTHER_KIND = {"mid": "milestone", "rid": "progress_report", "cid": "change_request", "pid": "payment", "user": "user"}
# Which kind of object a top-level body field names.
BODY_KIND = {"scheme": "scheme", "call": "call", "registry": "registry", "user": "user", "indicator": "indicator"}
# The transition names of each resource, by the path before /transitions/{name}.
ACTIONS = {
    "/calls/{id}": CALL_ACTIONS,
    "/calls/{id}/review_round": ROUND_ACTIONS,
    "/applications/{id}": APPLICATION_ACTIONS,
    "/projects/{id}": PROJECT_ACTIONS,
    "/projects/{id}/milestones/{mid}": MILESTONE_ACTIONS,
    "/projects/{id}/progress_reports/{rid}": PROGRESS_ACTIONS,
    "/projects/{id}/change_requests/{cid}": CHANGE_ACTIONS,
    "/projects/{id}/payments/{pid}": PAYMENT_ACTIONS,
    "/payments/{id}": PAYMENT_ACTIONS,
}


def build_world() -> dict[str, list[Any]]:
    """One registry with an applicant, a scheme with its expert group, calls and applications in several states
    (reviewed, conflicted), an active project with a milestone, payments, a progress report and a change request,
    and an indicator with a national value. Returns the ids of each kind."""
    scheme = SchemeFactory()
    registry = RegistryFactory()
    applicant = member_of(registry)
    reviewer = reviewer_for(scheme)
    indicator = IndicatorFactory(registry=registry)
    nation = OrganisationFactory(orgnr=1, name="Nasjonalt", level="nation")
    IndicatorValue.objects.create(indicator=indicator, organisation=nation, year=2025, numerator=20, denominator=100)
    draft_call = CallFactory(scheme=scheme, state="draft")
    call = CallFactory(scheme=scheme)
    applications = [
        ApplicationFactory(call=call, registry=registry, state=state) for state in ("draft", "submitted", "in_review")
    ]
    review = ReviewFactory(application=applications[2])
    conflict = ConflictFactory(application=applications[2], reviewer=UserFactory())
    AssignmentFactory(application=applications[2], reviewer=reviewer)
    project = ProjectFactory(state="active", registry=registry)
    milestone = MilestoneFactory(project=project)
    report = ProgressReport.objects.create(
        project=project,
        number=1,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 30),
    )
    change = ChangeRequest.objects.create(
        project=project,
        kind="end_date",
        proposal={"end_date": (project.end_date + timedelta(days=90)).isoformat()},
        reason="Forsinket datauttrekk.",
        created_by=applicant,
    )
    return {
        "scheme": [scheme.code],
        "registry": [registry.pk],
        "indicator": [indicator.pk],
        "call": [draft_call.pk, call.pk],
        "application": [a.pk for a in applications],
        "project": [project.pk],
        "milestone": [milestone.pk],
        "payment": list(project.payments.values_list("pk", flat=True)),
        "progress_report": [report.pk],
        "change_request": [change.pk],
        "user": [applicant.pk, reviewer.pk, review.reviewer_id, conflict.reviewer_id],
    }


def _real_or_generated(values: list[Any], generated: Any) -> st.SearchStrategy:
    return st.one_of(st.sampled_from(values), st.just(generated)) if values else st.just(generated)


def _parameter_kind(path: str, name: str) -> str | None:
    if name == "id":
        return ID_KIND.get(path.removeprefix("/api/v1/").split("/")[0])
    return OTHER_KIND.get(name)


# The running test's world, for the hook below (it runs inside the test).
WORLD: dict[str, list[Any]] = {}
# The secretariat's token is the same in every test: schemathesis builds its coverage-phase cases, auth included,
# while collecting, before any test's database exists.
TOKEN = "rg_schemathesis-secretariat-0123456789abcdef"


@pytest.fixture(autouse=True)
def world() -> Any:
    WORLD.update(build_world())
    secretariat = UserFactory(is_secretariat=True)
    ApiToken.objects.create(user=secretariat, name="schemathesis", prefix=TOKEN[:8], key_hash=ApiToken.hash(TOKEN))
    yield WORLD
    WORLD.clear()


@pytest.fixture(autouse=True)
def _requests_keep_the_test_transaction():
    """Django closes "old" database connections when a request starts and finishes; inside the test's transaction
    that would roll it back. Django's own test client disconnects these receivers the same way."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# Loaded from the app itself (no database needed). schemathesis.pytest.from_fixture would load it lazily, but it
# sets pytest's private Item._nodeid, which pytest 9 no longer has.
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())
schema.app = application


@schema.auth(refresh_interval=None)
class SecretariatToken:
    """Sent as schemathesis's own auth, so it leaves out the header in the cases that test a missing token."""

    def get(self, case: Any, context: Any) -> str:
        return TOKEN

    def set(self, case: Any, data: str, context: Any) -> None:
        case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}


@schema.hook("flatmap_path_parameters")
def real_objects(context: Any, parameters: dict[str, Any]) -> st.SearchStrategy:
    if not parameters:
        return st.just(parameters)
    path = context.operation.path
    strategies = {}
    for name, value in parameters.items():
        if name == "name":
            actions = ACTIONS.get(path.removeprefix("/api/v1").split("/transitions/")[0], {})
            strategies[name] = _real_or_generated(sorted(actions), value)
        else:
            kind = _parameter_kind(path, name)
            strategies[name] = _real_or_generated(WORLD.get(kind, []) if kind else [], value)
    return st.fixed_dictionaries(strategies)


@schema.hook("flatmap_body")
def real_references(context: Any, body: Any) -> st.SearchStrategy:
    """Half the time, the body's references (scheme, call, registry, user, indicator) name real objects, so a
    valid body can be accepted and its 201 checked against the document."""
    if not isinstance(body, dict) or not body.keys() & BODY_KIND.keys():
        return st.just(body)
    strategies = {
        name: _real_or_generated(WORLD.get(BODY_KIND[name], []), value) if name in BODY_KIND else st.just(value)
        for name, value in body.items()
    }
    return st.fixed_dictionaries(strategies)


@schema.parametrize()
@hypothesis.settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    database=None,
    phases=[Phase.explicit, Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_documented_responses(case):
    case.call_and_validate(checks=CHECKS)
