"""The recommendation (innstilling): frozen as numbered versions when sent, audited, rendered to PDF in the worker
after commit, and only by those who may send it."""

import io
from decimal import Decimal

import pytest
from django.core import mail
from pypdf import PdfReader

from audit.services import history
from core.exceptions import ActionRefused, NotPermitted
from core.pdf import DataOnlyFetcher, render_pdf_template
from grants.models import Application
from reviews.models import Conflict, Consensus, ExpertGroupMember, RecommendationVersion, Score
from reviews.recommendation import pdf_context, send_recommendation
from tests.core.lifecycle import nb
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ExpertGroupFactory,
    MembershipFactory,
    RegistryFactory,
    ReviewFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


def pdf_text(field) -> str:
    field.open("rb")
    try:
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(field.read())).pages)
    finally:
        field.close()


def reviewed(application, value: int, comment: str = "Godt begrunnet."):
    """A submitted review scoring every criterion of the call with `value`."""
    review = ReviewFactory(application=application, state="submitted", scored=False, comment=comment)
    for criterion in application.call.criteria.all():
        Score.objects.create(review=review, criterion=criterion, value=value)
    return review


def chair_of(scheme, **kwargs):
    user = UserFactory(**kwargs)
    ExpertGroupMember.objects.create(group=ExpertGroupFactory(scheme=scheme), user=user, is_chair=True)
    return user


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


@pytest.fixture
def call():
    return three_assessed()


def three_assessed():
    """A call with three applications: two recommended (one with the chair's consensus), one not, each reviewed
    once."""
    call = CallFactory(state="closed", title="Datakvalitet 2026", budget_nok=Decimal("180000.00"))
    first = ApplicationFactory(
        call=call,
        registry=RegistryFactory(short_name="NKR", name="Norsk kvalitetsregister for ryggkirurgi"),
        title="Bedre dekningsgrad",
        state="recommended",
        proposed_amount_nok=Decimal("85000.00"),
        recommendation="Solid metode og klar nytte.",
    )
    second = ApplicationFactory(
        call=call,
        registry=RegistryFactory(short_name="NGER", name="Norsk gynekologisk endoskopiregister"),
        title="Validering mot pasientjournal",
        state="recommended",
        requested_amount_nok=Decimal("95000.00"),
        proposed_amount_nok=Decimal("92300.00"),
        recommendation="Gjennomførbart innen rammen.",
    )
    third = ApplicationFactory(
        call=call,
        registry=RegistryFactory(short_name="NorKog", name="Norsk register for kognitiv svikt"),
        title="Ny variabelliste",
        state="not_recommended",
        recommendation="Svak begrunnelse for nytten utenfor registeret.",
    )
    reviewed(first, 6)
    reviewed(second, 5)
    reviewed(third, 3)
    Consensus.objects.create(application=first, score=Decimal("6.50"), assessment="Gruppen er samlet om prosjektet.")
    return call


def summary_of(version: RecommendationVersion) -> list[tuple]:
    return [
        (r["rank"], r["title"], r["registry"], r["state"], r["proposed_amount_nok"], r["cumulative_nok"], r["reason"])
        for r in version.rows
    ]


EXPECTED_ROWS = [
    (1, "Bedre dekningsgrad", "NKR", "recommended", "85000.00", "85000.00", "Solid metode og klar nytte."),
    (
        2,
        "Validering mot pasientjournal",
        "NGER",
        "recommended",
        "92300.00",
        "177300.00",
        "Gjennomførbart innen rammen.",
    ),
    (
        3,
        "Ny variabelliste",
        "NorKog",
        "not_recommended",
        None,
        "267300.00",
        "Svak begrunnelse for nytten utenfor registeret.",
    ),
]


# ---------------------------------------------------------------- freezing


def test_send_freezes_the_ranked_list_with_reasons_and_proposals_as_version_1(call, secretariat):
    version = send_recommendation(call, by=secretariat, summary="  Tre søknader vurdert.  ")

    assert (version.version, version.summary, version.sent_by, summary_of(version)) == (
        1,
        "Tre søknader vurdert.",
        secretariat,
        EXPECTED_ROWS,
    )


def test_the_snapshot_keeps_every_field_shown_with_money_and_scores_as_exact_strings(call, secretariat):
    version = send_recommendation(call, by=secretariat)

    first = RecommendationVersion.objects.get(pk=version.pk).rows[0]
    assert {key: first[key] for key in sorted(first) if key != "application_id" and key != "registry_id"} == {
        "consensus_assessment": "Gruppen er samlet om prosjektet.",
        "consensus_score": "6.50",
        "cumulative_nok": "85000.00",
        "median": "6",
        "normalised_score": "0",
        "proposed_amount_nok": "85000.00",
        "rank": 1,
        "reason": "Solid metode og klar nytte.",
        "registry": "NKR",
        "registry_name": "Norsk kvalitetsregister for ryggkirurgi",
        "requested_amount_nok": "90000.00",
        "reviews": 1,
        "spread": "0",
        "state": "recommended",
        "title": "Bedre dekningsgrad",
        "weighted_mean": "6",
        "within_budget": True,
    }


def test_sending_again_makes_version_2_and_version_1_keeps_what_was_sent(call, secretariat):
    first = send_recommendation(call, by=secretariat, summary="Første utkast.")
    Application.objects.filter(title="Bedre dekningsgrad").update(proposed_amount_nok=Decimal("80000.00"))

    second = send_recommendation(call, by=secretariat, summary="Justert beløp.")

    versions = list(call.recommendations.values_list("version", "summary"))
    assert (
        versions,
        summary_of(RecommendationVersion.objects.get(pk=first.pk)),
        second.rows[0]["proposed_amount_nok"],
    ) == (
        [(2, "Justert beløp."), (1, "Første utkast.")],
        EXPECTED_ROWS,
        "80000.00",
    )


def test_send_is_audited_with_the_version_and_the_applications(call, secretariat):
    version = send_recommendation(call, by=secretariat)

    entry = history(version).get()
    ids = [r["application_id"] for r in version.rows]
    assert (entry.action, entry.actor, entry.data) == (
        "reviews.recommendationversion.send",
        secretariat,
        {"call": call.pk, "version": 1, "applications": ids},
    )


# ---------------------------------------------------------------- refused


def test_send_while_an_application_has_no_recommendation_yet_is_refused_and_freezes_nothing(call, secretariat):
    pending = ApplicationFactory(call=call, title="Fortsatt til vurdering", state="assessed")
    reviewed(pending, 4)

    with pytest.raises(ActionRefused) as refused:
        send_recommendation(call, by=secretariat)

    assert (refused.value.message, refused.value.errors, RecommendationVersion.objects.count()) == (
        "1 application has no recommendation yet: recommend it or not before you send the list.",
        {f"applications.{pending.pk}": ["“Fortsatt til vurdering” has no recommendation yet."]},
        0,
    )


def test_send_without_any_assessed_application_is_refused(secretariat):
    empty = CallFactory(state="closed")

    with pytest.raises(ActionRefused) as refused:
        send_recommendation(empty, by=secretariat)

    assert refused.value.message == "There is nothing to send yet: no application of this call has been assessed."


def test_the_chair_may_send(call):
    chair = chair_of(call.scheme)

    version = send_recommendation(call, by=chair)

    assert (version.version, version.sent_by) == (1, chair)


@pytest.mark.parametrize("who", ["member", "conflicted_chair", "registry_chair", "decider", "applicant"])
def test_send_by_anyone_but_the_secretariat_and_an_unconflicted_chair_is_not_permitted(call, who):
    application = call.applications.get(title="Ny variabelliste")
    if who == "member":
        user = reviewer_for(call.scheme)
    elif who == "conflicted_chair":
        user = chair_of(call.scheme)
        Conflict.objects.create(application=application, reviewer=user, reason="Kollega.")
    elif who == "registry_chair":
        user = chair_of(call.scheme)
        MembershipFactory(user=user, registry=application.registry)
    elif who == "decider":
        user = UserFactory(is_decider=True)
    else:
        user = member_of(application.registry)

    with pytest.raises(NotPermitted):
        send_recommendation(call, by=user)

    assert RecommendationVersion.objects.count() == 0


# ---------------------------------------------------------------- the PDF, in the worker, after commit


def test_the_pdf_is_rendered_after_commit_with_the_ranked_list_amounts_and_reasons(
    call, secretariat, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        version = send_recommendation(call, by=secretariat, summary="Tre søknader vurdert.")

    version.refresh_from_db()
    text = pdf_text(version.pdf)
    lines = text.splitlines()
    with version.pdf.open("rb") as pdf:
        first_page = PdfReader(io.BytesIO(pdf.read())).pages[0].mediabox
    assert (round(first_page.width), round(first_page.height)) == (842, 595)  # A4 landscape, for the wide table
    ranked = " ".join(text.split("Ranked list")[1].split("The expert group's reasons")[0].split())
    assert ranked.split(" budget ")[1] == (
        "1 Bedre dekningsgrad NKR Recommended 1 6.00 0.00 6.50 90,000.00 85,000.00 85,000.00 Yes "
        "2 Validering mot pasientjournal NGER Recommended 1 5.00 0.00 – 95,000.00 92,300.00 177,300.00 Yes "
        "3 Ny variabelliste NorKog Not recommended 1 3.00 0.00 – 90,000.00 – 267,300.00 No"
    )
    assert [line for line in lines if line.startswith(("Budget", "Proposed in total", "Left of"))] == [
        "Budget 180,000.00 NOK",
        "Proposed in total 177,300.00 NOK",
        "Left of the budget 2,700.00 NOK",
    ]
    for expected in (
        "The expert group's recommendation: Datakvalitet 2026",
        "Tre søknader vurdert.",
        "1. Bedre dekningsgrad (Norsk kvalitetsregister for ryggkirurgi)",
        "Consensus score: 6.50",
        "Gruppen er samlet om prosjektet.",
        "Svak begrunnelse for nytten utenfor registeret.",
    ):
        assert expected in lines


def test_the_decision_body_is_told_once_the_pdf_is_ready(call, secretariat, django_capture_on_commit_callbacks):
    decider = UserFactory(is_decider=True, email="ira@example.no")

    with django_capture_on_commit_callbacks(execute=True):
        version = send_recommendation(call, by=secretariat)

    message = mail.outbox[0]
    assert (len(mail.outbox), message.to, message.subject, message.attachments) == (
        1,
        [decider.email],
        nb("Recommendation for %(title)s (version %(version)s)", title="Datakvalitet 2026", version=1),
        [],
    )
    assert f"/reviews/calls/{call.pk}/recommendation/" in message.body
    assert RecommendationVersion.objects.get(pk=version.pk).pdf.name.startswith("recommendations/")


def test_nothing_is_rendered_or_sent_before_the_commit(call, secretariat, django_capture_on_commit_callbacks):
    UserFactory(is_decider=True)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        version = send_recommendation(call, by=secretariat)

    assert (len(callbacks), RecommendationVersion.objects.get(pk=version.pk).pdf.name, mail.outbox) == (1, "", [])


def test_user_text_in_the_recommendation_fetches_no_file_and_no_external_url(call, secretariat):
    hostile = '<img src="file:///etc/passwd"><link rel="stylesheet" href="https://example.com/x.css">'
    Application.objects.filter(title="Bedre dekningsgrad").update(recommendation=hostile)
    version = send_recommendation(call, by=secretariat, summary='<img src="https://example.com/track.gif">')
    fetcher = DataOnlyFetcher()

    pdf = render_pdf_template("pdf/recommendation.html", pdf_context(version), fetcher=fetcher)

    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    assert (fetcher.refused, "file:///etc/passwd" in text, "https://example.com/track.gif" in text) == ([], True, True)
