"""Recording the decision body's meeting: every decision fires grant/reject with all their rules, all or nothing;
the secretariat records on a named decider's behalf."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core import mail
from django.utils import timezone

from audit.models import AuditEntry
from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from grants.decisions import DecisionInput, record_decision_meeting
from grants.models import Application, Decision, DecisionLetter, DecisionMeeting
from projects.models import Project
from reviews.models import RecommendationVersion
from tests.core.lifecycle import nb
from tests.factories import ApplicationFactory, CallFactory, RegistryFactory, UserFactory, member_of, reviewer_for

pytestmark = pytest.mark.django_db

HELD_ON = date(2026, 10, 15)


@pytest.fixture(autouse=True)
def _after_the_meeting(time_machine):
    time_machine.move_to("2026-10-20 12:00 +02:00")


@pytest.fixture
def call():
    call = CallFactory(state="closed", title="Datakvalitet 2026", max_amount_nok=Decimal("100000.00"))
    ApplicationFactory(
        call=call,
        title="Bedre dekningsgrad",
        registry=RegistryFactory(short_name="NKR"),
        state="recommended",
        proposed_amount_nok=Decimal("85000.00"),
    )
    ApplicationFactory(
        call=call,
        title="Validering mot pasientjournal",
        registry=RegistryFactory(short_name="NGER"),
        state="recommended",
        requested_amount_nok=Decimal("95000.00"),
        proposed_amount_nok=Decimal("92300.00"),
    )
    ApplicationFactory(call=call, title="Ny variabelliste", state="not_recommended")
    return call


@pytest.fixture
def decider():
    return UserFactory(is_decider=True, full_name="Ida Beslutter", email="ida@example.no")


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


def app(call, title: str) -> Application:
    return call.applications.get(title=title)


def decisions(call, **overrides) -> list[DecisionInput]:
    """IRA follows the recommendation: grant the two recommended at the proposed amounts, reject the third."""
    rows = {
        "Bedre dekningsgrad": DecisionInput(
            app(call, "Bedre dekningsgrad").pk, "grant", Decimal("85000.00"), "Sluttrapport innen 1. mars 2028."
        ),
        "Validering mot pasientjournal": DecisionInput(
            app(call, "Validering mot pasientjournal").pk, "grant", Decimal("92300.00")
        ),
        "Ny variabelliste": DecisionInput(app(call, "Ny variabelliste").pk, "reject"),
    }
    rows.update(overrides)
    return [row for row in rows.values() if row is not None]


def record(call, by, decided_by=None, **kwargs):
    args = {
        "held_on": HELD_ON,
        "body": "IRA",
        "attendees": "Leder og fire medlemmer.",
        "minutes": "Innstillingen ble fulgt.",
        "recommendation": None,
        "decisions": decisions(call),
    } | kwargs
    return record_decision_meeting(call, by=by, decided_by=decided_by, **args)


def states(call) -> list[tuple]:
    return list(call.applications.order_by("title").values_list("title", "state", "granted_amount_nok", "conditions"))


UNDECIDED = [
    ("Bedre dekningsgrad", "recommended", None, ""),
    ("Ny variabelliste", "not_recommended", None, ""),
    ("Validering mot pasientjournal", "recommended", None, ""),
]
DECIDED = [
    ("Bedre dekningsgrad", "granted", Decimal("85000.00"), "Sluttrapport innen 1. mars 2028."),
    ("Ny variabelliste", "rejected", None, ""),
    ("Validering mot pasientjournal", "granted", Decimal("92300.00"), ""),
]


def nothing_stored(call) -> tuple:
    return (
        states(call),
        DecisionMeeting.objects.count(),
        Decision.objects.count(),
        Project.objects.count(),
        AuditEntry.objects.count(),
    )


# ---------------------------------------------------------------- recording


def test_a_decider_records_the_meeting_and_every_decision_fires_grant_or_reject(call, decider):
    version = RecommendationVersion.objects.create(call=call, version=1)

    meeting = record(call, decider, recommendation=version)

    assert states(call) == DECIDED
    assert (meeting.held_on, meeting.body, meeting.attendees, meeting.minutes, meeting.recommendation) == (
        HELD_ON,
        "IRA",
        "Leder og fire medlemmer.",
        "Innstillingen ble fulgt.",
        version,
    )
    assert sorted(meeting.decisions.values_list("application__title", "outcome", "amount_nok", "conditions")) == [
        ("Bedre dekningsgrad", "grant", Decimal("85000.00"), "Sluttrapport innen 1. mars 2028."),
        ("Ny variabelliste", "reject", None, ""),
        ("Validering mot pasientjournal", "grant", Decimal("92300.00"), ""),
    ]


def test_each_grant_creates_its_project(call, decider):
    record(call, decider)

    assert sorted(Project.objects.values_list("title", "granted_amount_nok")) == [
        ("Bedre dekningsgrad", Decimal("85000.00")),
        ("Validering mot pasientjournal", Decimal("92300.00")),
    ]


def test_the_transitions_and_the_meeting_are_audited(call, decider):
    meeting = record(call, decider)

    transitions = [
        (e.action, e.actor, e.source, e.target) for a in call.applications.order_by("title") for e in history(a)
    ]
    entry = history(meeting).get()
    assert transitions == [
        ("grants.application.grant", decider, "recommended", "granted"),
        ("grants.application.reject", decider, "not_recommended", "rejected"),
        ("grants.application.grant", decider, "recommended", "granted"),
    ]
    assert (entry.action, entry.actor, entry.data) == (
        "grants.decisionmeeting.record",
        decider,
        {
            "call": call.pk,
            "decided_by": decider.pk,
            "recommendation": None,
            "decisions": {str(d.application_id): d.outcome for d in decisions(call)},
        },
    )


def test_the_secretariat_records_on_a_deciders_behalf_and_the_decider_is_told_after_commit(
    call, secretariat, decider, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        meeting = record(call, secretariat, decided_by=decider)

    grant = history(app(call, "Bedre dekningsgrad")).get(action="grants.application.grant")
    entry = history(meeting).get()
    told = [m for m in mail.outbox if m.to == [decider.email]]
    assert (states(call), grant.actor, entry.actor, entry.data["decided_by"], meeting.recorded_by) == (
        DECIDED,
        decider,
        secretariat,
        decider.pk,
        secretariat,
    )
    assert [m.subject for m in told] == [nb("Decisions recorded in your name: %(title)s", title="Datakvalitet 2026")]


def test_an_application_left_undecided_stays_awaiting_a_decision(call, decider):
    record(call, decider, decisions=decisions(call, **{"Ny variabelliste": None}))

    assert app(call, "Ny variabelliste").state == "not_recommended"


def test_the_body_may_grant_an_application_the_group_did_not_recommend(call, decider):
    late = app(call, "Ny variabelliste")

    record(call, decider, decisions=[DecisionInput(late.pk, "grant", Decimal("50000.00"), "Halvt beløp.")])

    assert states(call)[1] == ("Ny variabelliste", "granted", Decimal("50000.00"), "Halvt beløp.")


def test_above_the_cap_with_the_reason_in_the_note_is_granted(call, decider):
    big = ApplicationFactory(
        call=call, title="Stort prosjekt", state="recommended", requested_amount_nok=Decimal("120000.00")
    )
    reason = "Unntaksvis: nasjonal nytte."

    record(call, decider, decisions=[DecisionInput(big.pk, "grant", Decimal("110000.00"), comment=reason)])

    entry = history(big).get(action="grants.application.grant")
    assert (Application.objects.get(pk=big.pk).granted_amount_nok, entry.comment) == (Decimal("110000.00"), reason)


# ---------------------------------------------------------------- all or nothing


def test_one_refused_grant_aborts_the_whole_meeting_naming_the_application(
    call, decider, django_capture_on_commit_callbacks
):
    first = app(call, "Bedre dekningsgrad")
    too_much = DecisionInput(first.pk, "grant", Decimal("90000.01"))
    before = nothing_stored(call)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(ActionRefused) as refused:
        record(call, decider, decisions=decisions(call, **{"Bedre dekningsgrad": too_much}))

    assert (refused.value.message, refused.value.errors) == (
        "The meeting was not recorded: 1 decision was refused.",
        {
            f"decisions.{first.pk}.granted_amount_nok": [
                "“Bedre dekningsgrad”: The granted amount cannot be more than the requested 90,000.00 NOK."
            ]
        },
    )
    assert (nothing_stored(call), callbacks, mail.outbox, DecisionLetter.objects.count()) == (before, [], [], 0)
    assert before[0] == UNDECIDED


def test_every_refused_decision_is_named_at_once(call, decider):
    first, second = app(call, "Bedre dekningsgrad"), app(call, "Validering mot pasientjournal")
    big = ApplicationFactory(
        call=call, title="Stort prosjekt", state="recommended", requested_amount_nok=Decimal("120000.00")
    )

    with pytest.raises(ActionRefused) as refused:
        record(
            call,
            decider,
            decisions=[
                DecisionInput(first.pk, "grant", None),
                DecisionInput(second.pk, "grant", Decimal("92300.00")),
                DecisionInput(big.pk, "grant", Decimal("110000.00")),
            ],
        )

    assert refused.value.errors == {
        f"decisions.{first.pk}.granted_amount_nok": ["“Bedre dekningsgrad”: Enter the granted amount."],
        f"decisions.{big.pk}.granted_amount_nok": [
            "“Stort prosjekt”: 110,000.00 NOK is above the call's cap of 100,000.00 NOK; give the reason in the "
            "comment."
        ],
    }
    assert app(call, "Validering mot pasientjournal").state == "recommended"


def test_an_application_not_awaiting_a_decision_is_refused(call, decider):
    in_review = ApplicationFactory(call=call, state="in_review")
    before = nothing_stored(call)

    with pytest.raises(ActionRefused) as refused:
        record(call, decider, decisions=[*decisions(call), DecisionInput(in_review.pk, "grant", Decimal("1000"))])

    assert refused.value.errors == {
        f"decisions.{in_review.pk}.outcome": [f"Application {in_review.pk} is not awaiting a decision in this call."]
    }
    assert nothing_stored(call) == before


def test_an_application_of_another_call_is_refused(call, decider):
    other = ApplicationFactory(call=CallFactory(), state="recommended")

    with pytest.raises(ActionRefused) as refused:
        record(call, decider, decisions=[DecisionInput(other.pk, "reject")])

    assert (list(refused.value.errors), Application.objects.get(pk=other.pk).state) == (
        [f"decisions.{other.pk}.outcome"],
        "recommended",
    )


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"held_on": date(2026, 10, 21)}, {"held_on": ["The meeting date cannot be in the future."]}),
        ({"held_on": None}, {"held_on": ["Enter the meeting date."]}),
        ({"body": "  "}, {"body": ["Name the decision body."]}),
        ({"attendees": ""}, {"attendees": ["List who attended."]}),
        ({"decisions": []}, {"decisions": ["Record at least one decision."]}),
    ],
)
def test_an_incomplete_meeting_is_refused_field_by_field(call, decider, changes, errors):
    before = nothing_stored(call)

    with pytest.raises(ActionRefused) as refused:
        record(call, decider, **changes)

    assert (refused.value.errors, nothing_stored(call)) == (errors, before)


def test_a_recommendation_of_another_call_is_refused(call, decider):
    other = RecommendationVersion.objects.create(call=CallFactory(), version=1)

    with pytest.raises(ActionRefused) as refused:
        record(call, decider, recommendation=other)

    assert refused.value.errors == {"recommendation": ["This recommendation belongs to another call."]}


# ---------------------------------------------------------------- who may record


def test_the_secretariat_must_name_the_decider_it_records_for(call, secretariat):
    before = nothing_stored(call)

    with pytest.raises(ActionRefused) as refused:
        record(call, secretariat)

    msg = "Name the decider on whose behalf you record the meeting."
    assert (refused.value.errors, nothing_stored(call)) == ({"decided_by": [msg]}, before)


@pytest.mark.parametrize("named", ["secretariat", "inactive decider"])
def test_the_secretariat_may_not_name_someone_who_cannot_decide(call, secretariat, named):
    user = UserFactory(is_secretariat=True) if named == "secretariat" else UserFactory(is_decider=True, is_active=False)

    with pytest.raises(ActionRefused) as refused:
        record(call, secretariat, decided_by=user)

    assert list(refused.value.errors) == ["decided_by"]


@pytest.mark.parametrize("who", ["applicant", "reviewer", "stranger"])
def test_no_one_else_may_record_a_meeting(call, decider, who):
    if who == "applicant":
        user = member_of(app(call, "Bedre dekningsgrad").registry)
    elif who == "reviewer":
        user = reviewer_for(call.scheme)
    else:
        user = UserFactory()
    before = nothing_stored(call)

    with pytest.raises(NotPermitted):
        record(call, user, decided_by=decider)

    assert nothing_stored(call) == before


def test_a_meeting_date_today_is_accepted(call, decider):
    meeting = record(call, decider, held_on=timezone.localdate())

    assert meeting.held_on == date(2026, 10, 20)


def test_a_decision_is_unique_per_application(call, decider):
    record(call, decider)

    with pytest.raises(ActionRefused):
        record(call, decider, held_on=HELD_ON + timedelta(days=1))

    assert Decision.objects.count() == 3
