"""Decision letters: rendered in the worker after the meeting commits, emailed to the registry with the PDF, and
shown on the application page; the reviewers' comments without their names, only from counted reviews."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader
from pytest_django.asserts import assertContains, assertNotContains

from audit.services import history
from core.pdf import DataOnlyFetcher, render_pdf_template
from core.tasks import deliver_decision_letter
from grants.decisions import DecisionInput, letter_context, record_decision_meeting
from grants.models import Application, DecisionLetter
from reviews.models import Conflict, Consensus
from tests.core.lifecycle import nb
from tests.factories import (
    ApplicationFactory,
    AssignmentFactory,
    CallFactory,
    RegistryFactory,
    ReviewFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _after_the_meeting(time_machine):
    time_machine.move_to("2026-10-20 12:00 +02:00")


def text_of(content: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def stored_text(letter: DecisionLetter) -> str:
    with letter.pdf.open("rb") as pdf:
        return text_of(pdf.read())


@pytest.fixture
def decider():
    return UserFactory(is_decider=True)


@pytest.fixture
def registry():
    return RegistryFactory(short_name="NKR", name="Norsk kvalitetsregister for ryggkirurgi")


@pytest.fixture
def applicants(registry):
    return [member_of(registry, email="leder@nkr.no"), member_of(registry, email="kontakt@nkr.no")]


@pytest.fixture
def application(registry):
    """Recommended, with the chair's consensus and four reviews: two counted, one by a conflicted reviewer, one
    draft."""
    call = CallFactory(state="closed", title="Datakvalitet 2026")
    app = ApplicationFactory(
        call=call,
        registry=registry,
        title="Bedre dekningsgrad",
        state="recommended",
        proposed_amount_nok=Decimal("85000.00"),
        recommendation="Solid metode og klar nytte.",
    )
    Consensus.objects.create(application=app, score=Decimal("6.50"), assessment="Gruppen er samlet om prosjektet.")
    for name, email, comment in (
        ("Kari Fagfelle", "kari@example.no", "Metoden passer godt til dimensjonen."),
        ("Ola Vurderer", "ola@example.no", "Tidsplanen er stram, men realistisk."),
    ):
        assigned = AssignmentFactory(application=app, reviewer=reviewer_for(call.scheme, full_name=name, email=email))
        ReviewFactory(application=app, reviewer=assigned.reviewer, state="submitted", comment=comment)
    conflicted = reviewer_for(call.scheme, full_name="Per Inhabil")
    ReviewFactory(application=app, reviewer=conflicted, state="submitted", comment="Skjult: inhabil kommentar.")
    Conflict.objects.create(application=app, reviewer=conflicted, reason="Kollega av prosjektlederen.")
    ReviewFactory(application=app, state="draft", comment="Skjult: utkast.")
    return app


def decide(application, decider, decision: DecisionInput | None = None):
    decision = decision or DecisionInput(
        application.pk, "grant", Decimal("85000.00"), "Sluttrapport innen 1. mars 2028."
    )
    return record_decision_meeting(
        application.call,
        by=decider,
        held_on=date(2026, 10, 15),
        body="IRA",
        attendees="Leder og fire medlemmer.",
        decisions=[decision],
    )


def letter_mails() -> list:
    return [m for m in mail.outbox if m.attachments]


# ---------------------------------------------------------------- the letter


def test_the_letter_states_the_grant_amount_conditions_consensus_and_anonymous_comments(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider)

    text = stored_text(DecisionLetter.objects.get(application=application))
    lines = text.splitlines()
    for expected in (
        "Decision on your application: Bedre dekningsgrad",
        "IRA decided at its meeting on 15 October 2026 to grant the application.",
        "Granted amount 85,000.00 NOK",
        "Requested 90,000.00 NOK",
        "Sluttrapport innen 1. mars 2028.",
        "Solid metode og klar nytte.",
        "Consensus score: 6.50 on a scale from 1 to 7",
        "Gruppen er samlet om prosjektet.",
        "Reviewer 1",
        "Metoden passer godt til dimensjonen.",
        "Reviewer 2",
        "Tidsplanen er stram, men realistisk.",
    ):
        assert expected in lines


def test_the_letter_names_no_reviewer_and_leaves_out_conflicted_and_draft_reviews(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider)

    text = stored_text(DecisionLetter.objects.get(application=application))
    leaked = [
        word
        for word in ("Kari", "Fagfelle", "Ola", "Vurderer", "kari@example.no", "Per Inhabil", "Skjult")
        if word in text
    ]
    assert leaked == []


def test_a_rejection_letter_gives_the_reasons_without_an_amount(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider, DecisionInput(application.pk, "reject"))

    lines = stored_text(DecisionLetter.objects.get(application=application)).splitlines()
    assert "IRA decided at its meeting on 15 October 2026 not to grant the application." in lines
    assert [line for line in lines if line.startswith(("Granted amount", "Conditions"))] == []
    assert "Metoden passer godt til dimensjonen." in lines


# ---------------------------------------------------------------- the email, after commit


def test_the_letter_is_emailed_to_the_registry_as_a_pdf_after_commit(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider)

    letter = DecisionLetter.objects.get(application=application)
    [message] = letter_mails()
    [(filename, content, mimetype)] = message.attachments
    with letter.pdf.open("rb") as pdf:
        stored = pdf.read()
    assert (message.bcc, message.subject, filename, mimetype, content, letter.sent_at is not None) == (
        ["kontakt@nkr.no", "leder@nkr.no"],
        nb("Decision letter: %(title)s", title="Bedre dekningsgrad"),
        f"decision-{application.pk}.pdf",
        "application/pdf",
        stored,
        True,
    )
    assert content.startswith(b"%PDF-")


def test_no_letter_is_made_or_sent_before_the_commit(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        decide(application, decider)

    assert (DecisionLetter.objects.count(), mail.outbox) == (0, [])
    assert [c.func.__name__ for c in callbacks if hasattr(c, "func")].count("_queue_letter") == 1


def test_running_the_letter_task_again_sends_nothing_new(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider)
    name = DecisionLetter.objects.get(application=application).pdf.name

    deliver_decision_letter.enqueue(application.pk)

    assert (len(letter_mails()), DecisionLetter.objects.get(application=application).pdf.name) == (1, name)


def test_user_text_in_a_letter_fetches_no_file_and_no_external_url(application, decider):
    hostile = '<img src="file:///etc/passwd"> <link rel="stylesheet" href="https://example.com/x.css">'
    ReviewFactory(application=application, state="submitted", comment=hostile)
    decide(application, decider, DecisionInput(application.pk, "grant", Decimal("85000.00"), hostile))
    fetcher = DataOnlyFetcher()

    pdf = render_pdf_template("pdf/decision_letter.html", letter_context(application), fetcher=fetcher)

    text = text_of(pdf)
    assert (fetcher.refused, text.count("file:///etc/passwd"), text.count("https://example.com/x.css")) == ([], 2, 2)


# ---------------------------------------------------------------- the application page and the download


def letter_ready(application, decider, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider)
    return DecisionLetter.objects.get(application=application)


def test_the_applicant_sees_the_letters_content_and_a_download_link_on_the_page(
    client, application, decider, applicants, django_capture_on_commit_callbacks
):
    letter_ready(application, decider, django_capture_on_commit_callbacks)
    client.force_login(applicants[0])

    response = client.get(reverse("grants:application_detail", args=[application.pk]))

    for expected in (
        "IRA decided at its meeting on 15 October 2026 to grant the application.",
        "85,000.00 NOK",
        "Sluttrapport innen 1. mars 2028.",
        "Gruppen er samlet om prosjektet.",
        "Metoden passer godt til dimensjonen.",
        "Tidsplanen er stram, men realistisk.",
        f'<a href="{reverse("decisions:letter_pdf", args=[application.pk])}">',
    ):
        assertContains(response, expected)
    for hidden in ("Kari Fagfelle", "Ola Vurderer", "Skjult"):
        assertNotContains(response, hidden)


def test_an_assigned_reviewer_does_not_get_the_decision_panel(
    client, application, decider, django_capture_on_commit_callbacks
):
    letter_ready(application, decider, django_capture_on_commit_callbacks)
    reviewer = application.reviews.get(comment="Metoden passer godt til dimensjonen.").reviewer
    client.force_login(reviewer)

    response = client.get(reverse("grants:application_detail", args=[application.pk]))

    assert response.status_code == 200
    assertNotContains(response, reverse("decisions:letter_pdf", args=[application.pk]))
    assertNotContains(response, 'id="decision-heading"')


def test_the_letter_download_is_an_attachment_with_nosniff_and_the_read_is_audited(
    client, application, decider, applicants, django_capture_on_commit_callbacks
):
    letter = letter_ready(application, decider, django_capture_on_commit_callbacks)
    client.force_login(applicants[1])

    response = client.get(reverse("decisions:letter_pdf", args=[application.pk]))

    body = b"".join(response.streaming_content)
    assert (response["Content-Disposition"], response["X-Content-Type-Options"], body[:5]) == (
        f'attachment; filename="decision-{application.pk}.pdf"',
        "nosniff",
        b"%PDF-",
    )
    assert [e.actor for e in history(letter).filter(action="grants.decisionletter.download")] == [applicants[1]]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("applicant", 200),
        ("secretariat", 200),
        ("decider", 200),
        ("stranger", 404),
        ("reviewer", 403),
        ("conflicted", 404),
        ("anonymous", 302),
    ],
)
def test_letter_download_per_role(client, application, decider, who, status, django_capture_on_commit_callbacks):
    letter_ready(application, decider, django_capture_on_commit_callbacks)
    reviewers = application.reviews.select_related("reviewer")
    users = {
        "applicant": lambda: member_of(application.registry),
        "secretariat": lambda: UserFactory(is_secretariat=True),
        "decider": lambda: decider,
        "stranger": lambda: member_of(RegistryFactory()),
        "reviewer": lambda: reviewers.get(comment="Metoden passer godt til dimensjonen.").reviewer,
        "conflicted": lambda: reviewers.get(comment="Skjult: inhabil kommentar.").reviewer,
    }
    if who != "anonymous":
        client.force_login(users[who]())

    response = client.get(reverse("decisions:letter_pdf", args=[application.pk]))

    assert response.status_code == status


def test_no_letter_yet_is_not_found(client, application, applicants):
    Application.objects.filter(pk=application.pk).update(state="granted")
    client.force_login(applicants[0])

    assert client.get(reverse("decisions:letter_pdf", args=[application.pk])).status_code == 404


def test_a_decision_at_a_meeting_sends_the_registry_only_the_letter(
    application, decider, applicants, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        decide(application, decider)

    to_registry = [
        m
        for m in mail.outbox
        if set(m.bcc) & {a.email for a in applicants} or set(m.to) & {a.email for a in applicants}
    ]
    assert [bool(m.attachments) for m in to_registry] == [True]
