"""The final report's PDF is rendered by the worker: on submission, on approval, and when asked for after an edit;
it is rendered again only when its content changed, and the page waits for it while the worker works."""

import io

import pytest
from django.tasks import default_task_backend
from django.urls import reverse
from pypdf import PdfReader

from audit.models import AuditEntry
from core.tasks import render_final_report_pdf
from projects import final_reports, services
from projects.models import FinalReport
from tests.factories import ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def project():
    project = ProjectFactory(state="active")
    keys = services.required_sections(project)
    FinalReport.objects.update_or_create(
        project=project, defaults={"sections": {k: f"Tekst for {k}." for k in keys} | {"summary": "Kortere ventetid."}}
    )
    return project


def _text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def _stored(project) -> tuple[str, str]:
    report = FinalReport.objects.get(project=project)
    return report.pdf.name, report.pdf_sha256


def test_submitting_renders_the_pdf_in_the_worker_with_the_report_text(project, django_capture_on_commit_callbacks):
    member = member_of(project.registry)

    with django_capture_on_commit_callbacks(execute=True):
        services.submit_final_report(project, by=member)

    report = FinalReport.objects.get(project=project)
    text = _text(report.pdf.read())
    assert (
        report.pdf.name.startswith("final_reports/"),
        len(report.pdf_sha256),
        report.pdf_generated_at is not None,
    ) == (
        True,
        64,
        True,
    )
    for expected in (project.title, "Kortere ventetid.", "Final accounts"):
        assert expected in text
    assert final_reports.is_current(report)


def test_the_task_renders_nothing_when_nothing_changed(project):
    render_final_report_pdf.call(project.pk)
    first = _stored(project)

    render_final_report_pdf.call(project.pk)

    assert _stored(project) == first


def test_an_edit_makes_the_pdf_out_of_date_and_the_next_render_replaces_the_file(
    project, django_capture_on_commit_callbacks
):
    render_final_report_pdf.call(project.pk)
    old_name, old_digest = _stored(project)
    storage = FinalReport.objects.get(project=project).pdf.storage

    services.save_final_report(project, by=member_of(project.registry), sections={"summary": "Ny tekst."})
    assert final_reports.is_current(FinalReport.objects.get(project=project)) is False
    with django_capture_on_commit_callbacks(execute=True):
        render_final_report_pdf.call(project.pk)

    report = FinalReport.objects.get(project=project)
    assert (report.pdf.name != old_name, report.pdf_sha256 != old_digest, storage.exists(old_name)) == (
        True,
        True,
        False,
    )
    assert "Ny tekst." in _text(report.pdf.read())


def test_approving_renders_the_pdf_again_when_the_closed_project_reads_differently(
    project, django_capture_on_commit_callbacks
):
    member = member_of(project.registry)
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_final_report(project, by=member)
    submitted = _stored(project)

    with django_capture_on_commit_callbacks(execute=True):
        services.approve_final_report(project, by=UserFactory(is_secretariat=True))

    report = FinalReport.objects.get(project=project)
    assert final_reports.is_current(report) is True
    assert (report.pdf.name == submitted[0]) == (report.pdf_sha256 == submitted[1])


def test_download_serves_the_stored_pdf_and_audits_the_read(client, project):
    render_final_report_pdf.call(project.pk)
    member = member_of(project.registry)
    client.force_login(member)

    response = client.get(reverse("projects:final_report_pdf", args=[project.pk]))

    pdf = b"".join(response.streaming_content)
    assert (response["Content-Type"], response["Content-Disposition"], response["X-Content-Type-Options"]) == (
        "application/pdf",
        f'attachment; filename="sluttrapport-{project.pk}.pdf"',
        "nosniff",
    )
    assert pdf == FinalReport.objects.get(project=project).pdf.open("rb").read()
    assert AuditEntry.objects.filter(action="projects.finalreport.download", actor=member).count() == 1


def test_while_the_worker_has_not_run_the_page_waits_and_polls_then_offers_the_download(client, project, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client.force_login(member_of(project.registry))
    url = reverse("projects:final_report_pdf", args=[project.pk])

    waiting = client.get(url)
    poll = client.get(url, headers={"HX-Request": "true"})
    queued = [(r.task.name, r.args) for r in default_task_backend.results]
    render_final_report_pdf.call(project.pk)  # the worker
    ready = client.get(url, headers={"HX-Request": "true"})

    html = waiting.content.decode()
    assert (waiting.status_code, waiting["Content-Type"]) == (200, "text/html; charset=utf-8")
    assert "<h1>The final report as PDF: " in html
    assert f'hx-get="{url}" hx-trigger="every 2s"' in html
    assert "The PDF is being prepared from the report as it is now." in html
    assert queued == [("render_final_report_pdf", [project.pk])]  # the poll queued nothing more
    assert poll.content.decode().startswith('<section id="pdf-status"')
    assert "<h1>" not in poll.content.decode()
    assert "hx-trigger" not in ready.content.decode()
    assert f'The PDF is ready. <a class="button" href="{url}">Download the PDF</a>' in ready.content.decode()
    assert AuditEntry.objects.filter(action="projects.finalreport.download").count() == 0


def test_the_pdf_is_in_the_site_language_whoever_asks(client, project, settings):
    settings.LANGUAGE_CODE = "nb"
    client.force_login(member_of(project.registry))

    client.get(reverse("projects:final_report_pdf", args=[project.pk]), headers={"Accept-Language": "en"})

    text = _text(FinalReport.objects.get(project=project).pdf.read())
    assert ("Sluttregnskap" in text, "Final accounts" in text) == (True, False)
