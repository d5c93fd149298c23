"""Uploads: every upload endpoint refuses a file whose content does not match its claimed type, an XLSX zip bomb,
a file above its size limit, and an HTML or SVG file with a script: with a message naming the field, and with
nothing stored (no row, no audit entry, no file)."""

import io
import zipfile
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from projects.models import Project
from registries import services as registry_services
from registries.services import import_files
from tests.access.world import build_world, web_client

from .support import attempt, source_files

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
CSV = b'"year";"orgnr";"var";"ind_id"\n2020;974589095;1;"x"\n'
BOMB_UNPACKED = 101 * 1024 * 1024


def zip_bomb() -> bytes:
    """A workbook-shaped zip of about 100 kB whose sheet unpacks to 101 MB of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        with archive.open("xl/worksheets/sheet1.xml", "w") as sheet:
            chunk = b"0" * (1024 * 1024)
            for _ in range(BOMB_UNPACKED // len(chunk)):
                sheet.write(chunk)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def bomb() -> bytes:
    return zip_bomb()


def test_the_bomb_is_small_and_unpacks_to_more_than_100_mb(bomb):
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:
        declared = sum(m.file_size for m in archive.infolist())

    assert (len(bomb) < 1024 * 1024, declared > 100 * 1024 * 1024) == (True, True)


def _stored(folder: str) -> list[Path]:
    """The files under MEDIA_ROOT/folder (the world stores some of its own: compare before and after)."""
    root = Path(settings.MEDIA_ROOT) / folder
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# ---------------------------------------------------------------- the indicator import (registries:import_new)

IMPORT_CASES = {
    # case: (file name, content, the message on the `file` field)
    "csv claimed as xlsx": ("verdier.xlsx", CSV, "The file is not an XLSX workbook: its content does not match"),
    "png claimed as csv": ("verdier.csv", PNG, "The file is not a CSV text file: its content does not match"),
    "html claimed as csv": ("verdier.csv", HTML, "The file is not a CSV text file: it contains markup"),
    "svg claimed as csv": ("verdier.csv", SVG, "The file is not a CSV text file: it contains markup"),
    "html": ("verdier.html", HTML, "The file must be a .csv or .xlsx file, not “.html”."),
    "svg": ("verdier.svg", SVG, "The file must be a .csv or .xlsx file, not “.svg”."),
}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["applicant", "secretariat"])
def test_the_indicator_upload_refuses_every_bad_file_with_a_message_on_the_field(role, bomb, settings):
    world = build_world()
    client = web_client(world, role)
    cases = {**IMPORT_CASES, "zip bomb": ("verdier.xlsx", bomb, "The workbook unpacks to 101.0")}
    settings.INDICATOR_UPLOAD_MAX_BYTES = max(1024, len(bomb) + 1)  # the bomb must pass the size limit
    cases["over the size limit"] = ("verdier.csv", CSV * (settings.INDICATOR_UPLOAD_MAX_BYTES // len(CSV) + 1),
                                    "the largest file accepted is")  # fmt: skip
    body = {"registry": world.ids["registry_a"]} if role == "applicant" else {}
    files = _stored("imports")

    wrong = []
    for case, (name, content, message) in cases.items():
        upload = SimpleUploadedFile(name, content)
        response, changed = attempt(lambda: client.post(reverse("registries:import_new"), {**body, "file": upload}))  # noqa: B023
        errors = response.context["form"].errors.get("file", []) if response.context else []
        if (response.status_code, changed, [message in e for e in errors]) != (200, [], [True]):
            wrong.append(f"{case}: {response.status_code}, changed {changed}, errors on file: {errors}")

    assert (wrong, _stored("imports")) == ([], files)


@pytest.mark.django_db
def test_the_import_command_refuses_the_bomb_without_opening_it(bomb, tmp_path, monkeypatch):
    path = tmp_path / "verdier.xlsx"
    path.write_bytes(bomb)
    monkeypatch.setattr(registry_services.imp, "read_table", lambda path: pytest.fail("the bomb was opened"))

    result = import_files([path], by=None)

    assert (result.ok, [p.split(": ", 1)[1] for p in result.problems]) == (
        False,
        [f"refused: the workbook unpacks to {BOMB_UNPACKED + len('<Types/>') + len('<workbook/>')} bytes "
         f"(at most {registry_services.MAX_XLSX_UNCOMPRESSED})"],
    )  # fmt: skip


@pytest.mark.django_db
def test_the_import_command_refuses_markup_claimed_as_csv(tmp_path):
    path = tmp_path / "verdier.csv"
    path.write_bytes(HTML)

    result = import_files([path], by=None)

    assert [p.split(": ", 1)[1] for p in result.problems] == [
        "not a CSV text file: the content is markup (HTML, XML or SVG)"
    ]


@pytest.mark.django_db
def test_a_good_file_still_passes_the_upload_checks(settings):
    """Control: the checks above refuse the bad files, not every file."""
    world = build_world()
    client = web_client(world, "secretariat")
    files = _stored("imports")

    response = client.post(reverse("registries:import_new"), {"file": SimpleUploadedFile("verdier.csv", CSV)})

    assert (response.status_code, len(_stored("imports")) - len(files)) == (302, 1)


# ---------------------------------------------------------------- the signed agreement (projects:agreement_upload)


@pytest.mark.django_db
def test_the_signed_agreement_upload_refuses_every_bad_file_with_a_message_naming_the_field(bomb, monkeypatch):
    from projects import agreements

    monkeypatch.setattr(agreements, "SIGNED_AGREEMENT_MAX_BYTES", 1024 * 1024)
    world = build_world()
    project = world.ids["project"]
    Project.objects.filter(pk=project).update(state="agreement_pending", signed_agreement="")
    client = web_client(world, "applicant")
    not_pdf = "Signed agreement: The signed agreement must be a PDF file."
    cases = {
        "png claimed as pdf": ("signert.pdf", PNG, not_pdf),
        "html claimed as pdf": ("signert.pdf", HTML, not_pdf),
        "zip bomb": ("signert.pdf", bomb, not_pdf),
        "over the size limit": (
            "signert.pdf",
            b"%PDF-1.4\n" + b"0" * 1024 * 1024,
            "Signed agreement: The file is larger",
        ),
        "html": ("signert.html", HTML, not_pdf),
        "svg": ("signert.svg", SVG, not_pdf),
    }

    files = _stored("agreements")

    wrong = []
    for case, (name, content, message) in cases.items():
        url = reverse("projects:agreement_upload", args=[project])
        upload = SimpleUploadedFile(name, content)
        response, changed = attempt(lambda: client.post(url, {"signed_agreement": upload}))  # noqa: B023
        shown = [str(m) for m in get_messages(response.wsgi_request)][-1:]  # earlier ones were never read
        if (response.status_code, changed, [message in m for m in shown]) != (302, [], [True]):
            wrong.append(f"{case}: {response.status_code}, changed {changed}, messages {shown}")

    assert (wrong, _stored("agreements")) == ([], files)
    assert Project.objects.get(pk=project).state == "agreement_pending"


def test_every_upload_endpoint_is_attacked_here():
    """A new form or view that takes a file must get its cases above."""
    assert source_files(r"request\.FILES|forms\.FileField\(") == {
        "projects/agreement_views.py",
        "registries/import_views.py",
        "registries/forms.py",
    }
