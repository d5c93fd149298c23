"""Reads are in the audit trail: every download and export in the access matrix, the application page, and other
people's reviews (on the page and through the API). Reads stay out of an object's timeline."""

import pytest
from django.db import transaction
from django.urls import reverse

from audit.models import AuditEntry
from audit.services import history
from tests.access.web_matrix import WEB_MATRIX
from tests.access.world import ROLES, build_world, web_client
from tests.factories import ApplicationFactory, ReviewFactory, UserFactory, api_token_for, member_of

pytestmark = pytest.mark.django_db

# A download or export is any URL whose name says so: the documents (PDFs), the list exports, the annual summary's
# files and the audit trail's own export. Charts (SVG) are figures drawn from what the page already shows, not
# documents, and are not logged.
READS = ("pdf", "export", "download")
DOWNLOADS = [row for row in WEB_MATRIX if row[1] == "GET" and any(word in row[0].split(":")[-1] for word in READS)]


def test_the_matrix_has_the_downloads_we_expect():
    assert sorted({row[0] for row in DOWNLOADS}) == [
        "audit:export",
        "decisions:letter_pdf",
        "finance:annual_summary_download",
        "finance:payment_export",
        "grants:application_export",
        "projects:agreement_pdf",
        "projects:final_report_pdf",
        "projects:project_export",
        "projects:signed_agreement_pdf",
        "recommendations:pdf",
    ]


@pytest.mark.parametrize("row", DOWNLOADS, ids=lambda row: f"{row[0]}-{row[2]}")
def test_every_download_writes_one_audit_entry_per_read(row):
    name, _method, target, _body, statuses = row
    world = build_world()
    url = reverse(name, args=[world.ids[key] for key in target.split("/")] if target else [])
    wrong = []
    for role, status in zip(ROLES, statuses, strict=True):
        if status != 200:
            continue
        with transaction.atomic():
            before = set(AuditEntry.objects.values_list("pk", flat=True))
            response = web_client(world, role).get(url)
            new = list(AuditEntry.objects.exclude(pk__in=before).values_list("actor", "action"))
            transaction.set_rollback(True)
        if "attachment" not in response.get("Content-Disposition", ""):
            wrong.append(f"{role}: no file ({response.status_code})")
        elif len(new) != 1 or new[0][0] != world.users[role].pk:
            wrong.append(f"{role}: {new}")
    assert not wrong, "\n".join(wrong)


def test_reading_an_application_is_logged_but_not_in_its_timeline(client):
    app = ApplicationFactory(state="submitted")
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)

    client.get(reverse("grants:application_detail", args=[app.pk]))
    client.get(reverse("grants:application_detail", args=[app.pk]))

    reads = AuditEntry.objects.filter(action="grants.application.view")
    assert list(reads.values_list("actor", "object_id")) == [(secretariat.pk, app.pk)] * 2
    assert not history(app).filter(action="grants.application.view").exists()


def test_a_refused_read_is_not_logged(client):
    app = ApplicationFactory(state="draft")
    client.force_login(UserFactory(is_secretariat=True))

    assert client.get(reverse("grants:application_detail", args=[app.pk])).status_code == 404
    assert not AuditEntry.objects.filter(action="grants.application.view").exists()


def _reviewed():
    app = ApplicationFactory(state="in_review")
    reviews = [ReviewFactory(application=app, state="submitted") for _ in range(2)]
    return app, reviews


def test_the_secretariat_reading_the_reviews_on_the_page_is_logged_per_review(client):
    app, reviews = _reviewed()
    secretariat = UserFactory(is_secretariat=True)
    client.force_login(secretariat)

    client.get(reverse("grants:application_detail", args=[app.pk]))

    reads = AuditEntry.objects.filter(action="reviews.review.view").order_by("object_id")
    assert list(reads.values_list("actor", "object_id")) == [(secretariat.pk, r.pk) for r in reviews]


def test_a_reviewer_reading_the_others_reviews_through_the_api_is_logged_but_not_their_own(client):
    app, reviews = _reviewed()
    mine = reviews[0]
    headers = {"Authorization": f"Bearer {api_token_for(mine.reviewer)}"}

    response = client.get(f"/api/v1/applications/{app.pk}/reviews", headers=headers)

    assert response.status_code == 200
    reads = AuditEntry.objects.filter(action="reviews.review.view")
    assert list(reads.values_list("actor", "object_id")) == [(mine.reviewer.pk, reviews[1].pk)]


def test_an_applicant_reading_their_own_application_is_logged_too(client):
    app = ApplicationFactory(state="submitted")
    member = member_of(app.registry)
    client.force_login(member)

    client.get(reverse("grants:application_detail", args=[app.pk]))

    assert list(AuditEntry.objects.filter(action="grants.application.view").values_list("actor", flat=True)) == [
        member.pk
    ]
