"""The recommendation on the web: who sees the live list and which rows, who sends it, who downloads which PDF."""

from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from audit.services import history
from reviews.models import Conflict, RecommendationVersion, ReviewRound
from reviews.recommendation import send_recommendation
from tests.factories import ApplicationFactory, CallFactory, UserFactory, member_of, reviewer_for

from .test_recommendation import chair_of, reviewed, three_assessed

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture
def call():
    return three_assessed()


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


def page(client, user, call):
    client.force_login(user)
    return client.get(reverse("recommendations:detail", args=[call.pk]))


def sent_with_pdf(call, by):
    version = send_recommendation(call, by=by, summary="Samlet vurdering.")
    version.pdf.save("v.pdf", ContentFile(PDF))
    return version


def titles_in_preview(response) -> list[str]:
    return [r["title"] for r in response.context["rows"]]


# ---------------------------------------------------------------- the page


def test_the_secretariat_sees_every_row_and_the_send_form(client, call, secretariat):
    response = page(client, secretariat, call)

    assert (response.status_code, titles_in_preview(response), response.context["can_send"]) == (
        200,
        ["Bedre dekningsgrad", "Validering mot pasientjournal", "Ny variabelliste"],
        True,
    )
    assertContains(response, reverse("recommendations:send", args=[call.pk]))


def test_a_member_conflicted_with_an_application_does_not_see_its_row(client, call):
    member = reviewer_for(call.scheme)
    Conflict.objects.create(application=call.applications.get(title="Ny variabelliste"), reviewer=member, reason="X")

    response = page(client, member, call)

    assert (titles_in_preview(response), response.context["can_send"]) == (
        ["Bedre dekningsgrad", "Validering mot pasientjournal"],
        False,
    )
    assertNotContains(response, "Ny variabelliste")
    assertNotContains(response, reverse("recommendations:send", args=[call.pk]))


@pytest.mark.parametrize(("phase", "means"), [("independent", [None, None, None]), ("discussion", ["6", "5", "3"])])
def test_a_member_sees_the_groups_scores_only_once_the_discussion_has_begun(client, call, phase, means):
    ReviewRound.objects.create(call=call, phase=phase)

    response = page(client, reviewer_for(call.scheme), call)

    assert [_text(r["weighted_mean"]) for r in response.context["rows"]] == means


def _text(value):
    return None if value is None else str(value)


def test_the_decision_body_sees_the_sent_versions_but_not_the_unsent_list(client, call, secretariat):
    version = sent_with_pdf(call, secretariat)
    decider = UserFactory(is_decider=True)

    response = page(client, decider, call)

    assert (response.status_code, response.context["preview"], response.context["rows"]) == (200, False, [])
    assertContains(response, f'<a href="{reverse("recommendations:pdf", args=[version.pk])}">')


def test_a_conflicted_member_is_not_offered_a_pdf_that_lists_their_conflict(client, call, secretariat):
    sent_with_pdf(call, secretariat)
    member = reviewer_for(call.scheme)
    Conflict.objects.create(application=call.applications.get(title="Ny variabelliste"), reviewer=member, reason="X")

    response = page(client, member, call)

    assertNotContains(response, "/pdf/")
    assertContains(response, "Not available to you: it includes an application you have a conflict of interest with.")


@pytest.mark.parametrize("role", ["applicant", "stranger"])
def test_registry_members_outside_the_group_may_not_open_the_recommendation(client, call, role):
    registry = call.applications.first().registry if role == "applicant" else None
    user = member_of(registry) if registry else UserFactory()

    assert page(client, user, call).status_code == 403


def test_the_page_of_a_draft_call_is_not_found_for_the_group(client):
    draft = CallFactory(state="draft")

    assert page(client, reviewer_for(draft.scheme), draft).status_code == 404


def test_the_page_makes_as_many_queries_for_30_applications_as_for_1(client, secretariat):
    def queries(n: int) -> int:
        big = CallFactory(state="closed")
        for i in range(n):
            reviewed(ApplicationFactory(call=big, state="recommended", proposed_amount_nok=Decimal(1000 + i)), 5)
        client.force_login(secretariat)
        with CaptureQueriesContext(connection) as captured:
            client.get(reverse("recommendations:detail", args=[big.pk]))
        return len(captured)

    assert queries(1) == queries(30)


# ---------------------------------------------------------------- sending


def test_send_on_the_web_freezes_version_1_and_returns_to_the_page(client, call, secretariat):
    client.force_login(secretariat)

    response = client.post(reverse("recommendations:send", args=[call.pk]), {"summary": "Tre søknader."})

    assert (response.status_code, response["Location"]) == (302, reverse("recommendations:detail", args=[call.pk]))
    assert list(RecommendationVersion.objects.values_list("call", "version", "summary")) == [
        (call.pk, 1, "Tre søknader.")
    ]


def test_a_refused_send_is_shown_on_the_page_and_freezes_nothing(client, call, secretariat):
    reviewed(ApplicationFactory(call=call, title="Fortsatt til vurdering", state="assessed"), 4)
    client.force_login(secretariat)

    response = client.post(reverse("recommendations:send", args=[call.pk]), {"summary": "For tidlig."})

    assert (response.status_code, RecommendationVersion.objects.count()) == (400, 0)
    assertContains(response, "“Fortsatt til vurdering” has no recommendation yet.", status_code=400)


def test_a_member_who_is_not_the_chair_may_not_send(client, call):
    client.force_login(reviewer_for(call.scheme))

    response = client.post(reverse("recommendations:send", args=[call.pk]), {"summary": "X"})

    assert (response.status_code, RecommendationVersion.objects.count()) == (403, 0)


# ---------------------------------------------------------------- downloads


def test_the_pdf_is_an_attachment_with_nosniff_and_the_read_is_audited(client, call, secretariat):
    version = sent_with_pdf(call, secretariat)
    decider = UserFactory(is_decider=True)
    client.force_login(decider)

    response = client.get(reverse("recommendations:pdf", args=[version.pk]))

    assert (
        response.status_code,
        response["Content-Type"],
        response["Content-Disposition"],
        response["X-Content-Type-Options"],
        b"".join(response.streaming_content),
    ) == (
        200,
        "application/pdf",
        f'attachment; filename="recommendation-{call.pk}-v1.pdf"',
        "nosniff",
        PDF,
    )
    reads = history(version).filter(action="reviews.recommendationversion.download")
    assert [entry.actor for entry in reads] == [decider]


def test_earlier_versions_stay_downloadable(client, call, secretariat):
    first = sent_with_pdf(call, secretariat)
    sent_with_pdf(call, secretariat)
    client.force_login(secretariat)

    response = client.get(reverse("recommendations:pdf", args=[first.pk]))

    assert (response.status_code, response["Content-Disposition"]) == (
        200,
        f'attachment; filename="recommendation-{call.pk}-v1.pdf"',
    )


@pytest.mark.parametrize(
    ("who", "status"),
    [("member", 200), ("chair", 200), ("conflicted", 403), ("applicant", 403), ("stranger", 403), ("anonymous", 302)],
)
def test_pdf_access_per_role(client, call, secretariat, who, status):
    version = sent_with_pdf(call, secretariat)
    application = call.applications.get(title="Ny variabelliste")
    users = {
        "member": lambda: reviewer_for(call.scheme),
        "chair": lambda: chair_of(call.scheme),
        "applicant": lambda: member_of(application.registry),
        "stranger": UserFactory,
    }
    if who == "conflicted":
        user = reviewer_for(call.scheme)
        Conflict.objects.create(application=application, reviewer=user, reason="Kollega.")
    elif who != "anonymous":
        user = users[who]()
    if who != "anonymous":
        client.force_login(user)

    response = client.get(reverse("recommendations:pdf", args=[version.pk]))

    assert response.status_code == status
    assert history(version).filter(action="reviews.recommendationversion.download").count() == (status == 200)


def test_a_pdf_not_made_yet_is_not_found(client, call, secretariat):
    version = send_recommendation(call, by=secretariat)
    client.force_login(secretariat)

    assert client.get(reverse("recommendations:pdf", args=[version.pk])).status_code == 404
