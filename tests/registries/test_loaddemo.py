"""`manage.py loaddemo` as a command: idempotence and demo users (about a second per load on SQLite)."""

from decimal import Decimal
from io import StringIO

import pytest
from allauth.account.models import EmailAddress
from django.core.management import call_command

from accounts.models import User
from audit.models import AuditEntry
from audit.services import history
from grants.models import Application, Call, Scheme, SchemeCriterion
from projects.models import Project
from registries.demo import DEMO_PASSWORD
from registries.models import Indicator, IndicatorValue, Membership, Organisation, Registry, RegistryYear
from reviews.models import ExpertGroup, ExpertGroupMember

pytestmark = pytest.mark.django_db

DEMO_EMAILS = [
    "admin@demo.no",
    "applicant@demo.no",
    "decider@demo.no",
    "other-applicant@demo.no",
    "reviewer2@demo.no",
    "reviewer@demo.no",
    "secretariat@demo.no",
]


def _loaddemo(*args):
    out = StringIO()
    call_command("loaddemo", *args, stdout=out)
    return out.getvalue()


def _snapshot():
    models = [
        Registry,
        RegistryYear,
        Organisation,
        Indicator,
        IndicatorValue,
        Scheme,
        SchemeCriterion,
        ExpertGroup,
        Call,
        Application,
        Project,
        User,
        Membership,
        ExpertGroupMember,
        AuditEntry,
    ]
    return {model.__name__: model.objects.count() for model in models}


def test_loaddemo_twice_changes_nothing_and_writes_no_audit_entries():
    output = _loaddemo()
    before = _snapshot()

    again = _loaddemo()

    assert _snapshot() == before
    assert "Registries: 0 created, 0 updated, 52 unchanged" in again
    assert "nkr_rygg_varighet_bensmerter as rygg_varighet_bensmerter (14850 rows)" in output
    assert "History (2021 report): 0 created, 0 updated, 10 unchanged" in again


def test_without_debug_or_flag_no_demo_users_or_demo_calls_are_made():
    output = _loaddemo()

    assert User.objects.count() == 0
    assert Call.objects.filter(state="open").count() == 0
    assert "No demo users (DEBUG is off)" in output


def test_debug_creates_the_demo_users(settings):
    settings.DEBUG = True

    _loaddemo()

    assert sorted(User.objects.values_list("email", flat=True)) == DEMO_EMAILS


def test_with_demo_users_creates_one_verified_user_per_role_and_live_applications():
    output = _loaddemo("--with-demo-users")
    before = _snapshot()
    again = _loaddemo("--with-demo-users")

    users = {u.email: u for u in User.objects.all()}
    applicant, reviewer2 = users["applicant@demo.no"], users["reviewer2@demo.no"]
    granted = Application.objects.get(is_historical=False, state="granted")
    assert sorted(users) == DEMO_EMAILS
    assert EmailAddress.objects.filter(verified=True, primary=True).count() == 7
    assert all(u.check_password(DEMO_PASSWORD) for u in users.values())
    assert (users["secretariat@demo.no"].is_secretariat, users["decider@demo.no"].is_decider) == (True, True)
    assert (users["admin@demo.no"].is_superuser, users["admin@demo.no"].is_staff) == (True, True)
    assert sorted(applicant.registries.values_list("name", flat=True)) == [
        "Nasjonalt kvalitetsregister for ryggkirurgi",
        "Norsk kvinnelig Inkontinensregister",
    ]
    assert list(reviewer2.registries.values_list("short_name", flat=True)) == ["NKR"]
    assert sorted(reviewer2.committee_memberships.values_list("group__scheme__code", flat=True)) == [
        "data_quality",
        "quality_improvement",
    ]
    assert sorted(Call.objects.filter(state="open").values_list("scheme__code", flat=True)) == [
        "data_quality",
        "quality_improvement",
    ]
    assert sorted(Application.objects.filter(is_historical=False).values_list("state", flat=True)) == [
        "changes_requested",
        "draft",
        "granted",
        "in_review",
        "submitted",
    ]
    assert [e.action for e in history(granted)] == [
        "grants.application.create",
        "grants.application.submit",
        "grants.application.send_to_review",
        "reviews.assignment.create",
        "reviews.assignment.create",
        "grants.application.complete_assessment",
        "grants.application.recommend",
        "grants.application.grant",
    ]
    assert granted.project.state == "active"
    assert "secretariat  secretariat@demo.no" in output
    assert _snapshot() == before
    assert "Demo applications: 0 created" in again


def test_the_demo_has_a_closed_project_whose_outcome_is_measured_on_skde_data():
    from projects.outcomes import frozen, project_outcomes

    output = _loaddemo("--with-demo-users")
    _loaddemo("--with-demo-users")

    [project] = Project.objects.filter(title__startswith="Raskere til prolapskirurgi")
    [outcome] = frozen(project.final_report)
    assert "Demo closed project with a measured outcome: Raskere til prolapskirurgi" in output
    assert (project.state, project.application.participating_units.count()) == ("closed", 2)
    assert (outcome.indicator_id, outcome.baseline_year, outcome.followup_year) == (
        "rygg_varighet_bensmerter",
        2016,
        2018,
    )
    # Møre og Romsdal 14/49 and Akershus 17/43 in 2016 (nkr_rygg.csv): 31/92 together; the nation 482/2005 (every
    # 2016 row of the indicator, the one from a unit outside the tree included).
    assert outcome.combined_before.value == Decimal(31) / Decimal(92)
    assert outcome.national_before.value == Decimal(482) / Decimal(2005)
    assert (outcome.target_reached, outcome.better_than_nation) == (True, True)
    assert outcome.did == outcome.change - outcome.national_change
    assert project_outcomes(project) == [outcome]  # frozen = what the data still says
