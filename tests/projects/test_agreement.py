"""The grant agreement: the schedule, the PDF rendered in the worker, acceptance in the app or by upload, download."""

import io
from datetime import date
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEntry
from core.exceptions import ActionRefused, InvalidTransition
from grants import services as grants
from grants.models import Application
from projects import agreements, services
from projects.agreements import Period, add_months, schedule
from projects.models import Project
from tests.factories import ApplicationFactory, ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def _text(pdf: bytes) -> str:
    return " ".join(" ".join(page.extract_text().split()) for page in PdfReader(io.BytesIO(pdf)).pages)


# ---------------------------------------------------------------- the schedule (pure)


def test_add_months_clamps_to_the_last_day_of_the_month():
    assert [add_months(date(2027, 1, 31), 1), add_months(date(2027, 8, 31), 6), add_months(date(2027, 3, 15), -6)] == [
        date(2027, 2, 28),
        date(2028, 2, 29),
        date(2026, 9, 15),
    ]


def test_a_two_year_project_has_three_progress_reports_the_last_stretch_is_the_final_report():
    assert schedule(date(2027, 1, 1), date(2028, 12, 31), 6) == [
        Period(1, date(2027, 1, 1), date(2027, 6, 30), date(2027, 7, 30)),
        Period(2, date(2027, 7, 1), date(2027, 12, 31), date(2028, 1, 31)),
        Period(3, date(2028, 1, 1), date(2028, 6, 30), date(2028, 7, 30)),
    ]


def test_a_project_shorter_than_one_period_or_without_dates_has_no_progress_report():
    assert (schedule(date(2027, 1, 1), date(2027, 5, 31), 6), schedule(None, date(2027, 5, 31), 6)) == ([], [])


# ---------------------------------------------------------------- the PDF, rendered in the worker after the grant


def _granted(django_capture_on_commit_callbacks, **scheme_fields):
    application = ApplicationFactory(
        state="recommended",
        start_date=date(2027, 1, 1),
        end_date=date(2028, 6, 30),
        requested_amount_nok=Decimal("92300.00"),
    )
    scheme = application.call.scheme
    for key, value in scheme_fields.items():
        setattr(scheme, key, value)
    scheme.save()
    decider = UserFactory(is_decider=True)
    with django_capture_on_commit_callbacks(execute=True):
        grants.grant(application, by=decider, granted_amount_nok=Decimal("92300.00"), notify=False)
        Application.objects.filter(pk=application.pk).update(conditions="Prosjektet må bruke registerets data.")
    return Project.objects.get(application=application)


def test_the_agreement_is_rendered_in_the_worker_after_the_grant_with_amount_dates_conditions_and_terms(
    django_capture_on_commit_callbacks,
):
    project = _granted(django_capture_on_commit_callbacks, agreement_template="Ubrukte midler skal tilbakebetales.")

    with project.agreement_pdf.open("rb") as f:
        text = _text(f.read())

    assert project.agreement_generated_at is not None
    assert project.agreement_pdf.name.startswith("agreements/") and project.agreement_pdf.name.endswith(".pdf")
    # The tests run in English (the catalogue's formats); the dates are the ISO short format there.
    for expected in (
        f"Grant recipient {project.registry.name}",
        "Granted amount 92,300.00 NOK",
        "Project start 2027-01-01 Project end 2028-06-30",
        # two progress reports (periods ending before the end date), due a month after each period
        "1 2027-01-01 – 2027-06-30 2027-07-30",
        "2 2027-07-01 – 2027-12-31 2028-01-31",
        "Final report due: 2028-09-30",  # three months after the end
        "Conditions of the grant Prosjektet må bruke registerets data.",
        "Terms of the scheme Ubrukte midler skal tilbakebetales.",
    ):
        assert expected in text, expected


def test_rendering_again_keeps_the_first_agreement(django_capture_on_commit_callbacks):
    project = _granted(django_capture_on_commit_callbacks)
    first = project.agreement_pdf.name

    again = agreements.render_agreement(project.pk)

    assert again.agreement_pdf.name == first


def test_user_text_in_the_agreement_fetches_nothing():
    from core.pdf import DataOnlyFetcher, render_pdf_template

    project = ProjectFactory()
    Application.objects.filter(pk=project.application_id).update(
        conditions='<img src="file:///etc/passwd"><img src="https://example.org/x.png">'
    )
    project.refresh_from_db()
    fetcher = DataOnlyFetcher()

    text = _text(render_pdf_template("pdf/agreement.html", agreements.agreement_context(project), fetcher=fetcher))

    assert (fetcher.refused, '<img src="file:///etc/passwd">' in text) == ([], True)


# ---------------------------------------------------------------- accepting


def test_accepting_in_the_app_records_name_user_time_final_report_due_and_the_schedule():
    project = ProjectFactory(application__start_date=date(2027, 1, 1), application__end_date=date(2027, 12, 31))
    lead = member_of(project.registry, full_name="Kari Konto")

    services.accept_agreement(project, by=lead, name="  Kari Nordmann ")
    project.refresh_from_db()

    assert (project.state, project.agreement_accepted_by, project.agreement_accepted_name) == (
        "active",
        lead,
        "Kari Nordmann",
    )
    assert (project.agreement_accepted_at is not None, project.final_report_due) == (True, date(2028, 3, 31))
    reports = list(project.progress_reports.values_list("number", "period_start", "period_end", "due_date", "state"))
    assert reports == [(1, date(2027, 1, 1), date(2027, 6, 30), date(2027, 7, 30), "due")]
    entry = AuditEntry.objects.get(action="projects.project.accept_agreement")
    assert (entry.actor, entry.data) == (lead, {"signed_copy": False})


def test_the_schedule_follows_the_schemes_reporting_interval():
    project = ProjectFactory(application__start_date=date(2027, 1, 1), application__end_date=date(2027, 12, 31))
    scheme = project.application.call.scheme
    scheme.progress_report_months, scheme.final_report_months = 3, 2
    scheme.save()

    services.accept_agreement(project, by=member_of(project.registry))
    project.refresh_from_db()

    assert list(project.progress_reports.values_list("due_date", flat=True)) == [
        date(2027, 4, 30),
        date(2027, 7, 30),
        date(2027, 10, 30),
    ]
    assert project.final_report_due == date(2028, 2, 29)


def test_without_a_typed_name_the_accounts_name_is_recorded():
    project = ProjectFactory()
    lead = member_of(project.registry, full_name="Kari Konto")

    services.accept_agreement(project, by=lead)

    assert Project.objects.get(pk=project.pk).agreement_accepted_name == "Kari Konto"


def test_accepting_twice_is_refused():
    project = ProjectFactory()
    lead = member_of(project.registry)
    services.accept_agreement(project, by=lead, name="Kari Nordmann")

    with pytest.raises(InvalidTransition):
        services.accept_agreement(project, by=lead, name="Kari Nordmann")
    assert project.progress_reports.count() == 1


def test_accepting_on_the_page_needs_the_name_and_the_confirmation(client):
    project = ProjectFactory()
    lead = member_of(project.registry)
    client.force_login(lead)
    url = reverse("projects:agreement_accept", args=[project.pk])

    refused = client.post(url, {"name": "Kari Nordmann"}, follow=True)
    still = Project.objects.get(pk=project.pk).state
    client.post(url, {"name": "Kari Nordmann", "confirm": "on"})
    project.refresh_from_db()

    assert still == "agreement_pending"
    assert "I have read the agreement and accept it for the registry: This field is required." in refused.text
    assert (project.state, project.agreement_accepted_name) == ("active", "Kari Nordmann")


def test_the_project_page_shows_the_acceptance_form_to_the_members_only(client):
    project = ProjectFactory()
    url = reverse("projects:project_detail", args=[project.pk])
    client.force_login(member_of(project.registry))
    member_page = client.get(url).text
    client.force_login(UserFactory(is_secretariat=True))
    secretariat_page = client.get(url).text
    form = f'action="{reverse("projects:agreement_accept", args=[project.pk])}"'

    assert (form in member_page, form in secretariat_page) == (True, False)


# ---------------------------------------------------------------- uploading a signed copy


def _upload(content: bytes, name: str = "signert.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="application/pdf")


def test_a_file_that_is_not_a_pdf_is_refused_with_the_field_named():
    with pytest.raises(ActionRefused) as exc:
        agreements.check_signed_pdf(_upload(b"PK\x03\x04 not a pdf"))

    assert exc.value.errors == {"signed_agreement": ["The signed agreement must be a PDF file."]}


def test_a_file_over_the_limit_is_refused_with_the_field_named(monkeypatch):
    monkeypatch.setattr(agreements, "SIGNED_AGREEMENT_MAX_BYTES", 10)

    with pytest.raises(ActionRefused) as exc:
        agreements.check_signed_pdf(_upload(b"%PDF-1.4 and more than ten bytes"))

    assert list(exc.value.errors) == ["signed_agreement"]


def test_uploading_a_signed_copy_accepts_and_stores_it_under_a_generated_name(client):
    project = ProjectFactory()
    lead = member_of(project.registry, full_name="Kari Konto")
    client.force_login(lead)

    client.post(
        reverse("projects:agreement_upload", args=[project.pk]),
        {"signed_agreement": _upload(b"%PDF-1.4\nsigned\n%%EOF\n", "../../min avtale.pdf")},
    )
    project.refresh_from_db()

    assert (project.state, project.agreement_accepted_name, project.agreement_accepted_by) == (
        "active",
        "Kari Konto",
        lead,
    )
    assert project.signed_agreement.name.startswith("agreements/signed/")
    assert "avtale" not in project.signed_agreement.name
    with project.signed_agreement.open("rb") as f:
        assert f.read() == b"%PDF-1.4\nsigned\n%%EOF\n"


def test_uploading_a_non_pdf_on_the_page_names_the_field_and_changes_nothing(client):
    project = ProjectFactory()
    client.force_login(member_of(project.registry))

    response = client.post(
        reverse("projects:agreement_upload", args=[project.pk]),
        {"signed_agreement": _upload(b"<html>not a pdf</html>", "avtale.pdf")},
        follow=True,
    )
    project.refresh_from_db()

    assert "Signed agreement: The signed agreement must be a PDF file." in response.text
    assert (project.state, project.signed_agreement.name, project.progress_reports.count()) == (
        "agreement_pending",
        "",
        0,
    )


# ---------------------------------------------------------------- downloading


def test_the_download_is_an_attachment_with_nosniff_and_the_read_is_audited(client, django_capture_on_commit_callbacks):
    project = _granted(django_capture_on_commit_callbacks)
    member = member_of(project.registry)
    client.force_login(member)

    response = client.get(reverse("projects:agreement_pdf", args=[project.pk]))
    content = b"".join(response.streaming_content)

    assert response["Content-Disposition"] == f'attachment; filename="agreement-{project.pk}.pdf"'
    assert (response["X-Content-Type-Options"], content[:5]) == ("nosniff", b"%PDF-")
    entry = AuditEntry.objects.get(action="projects.project.agreement_download")
    assert (entry.actor, entry.object_id, entry.data) == (member, project.pk, {"signed": False})


def test_an_agreement_not_generated_yet_is_404(client):
    project = ProjectFactory()
    client.force_login(member_of(project.registry))

    assert client.get(reverse("projects:agreement_pdf", args=[project.pk])).status_code == 404
    assert AuditEntry.objects.filter(action="projects.project.agreement_download").count() == 0
