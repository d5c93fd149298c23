"""WeasyPrint probes: user text in every PDF the product renders (recommendation, decision letter, agreement, final
report, annual summary) carries an image from the server's disk, an external URL, the cloud metadata address and a
link to an uploaded file. Rendered through the worker's own functions, the renderer fetches nothing, and the text
appears literally (escaped, not interpreted)."""

import io
import re
from typing import Any

import pytest
from pypdf import PdfReader
from weasyprint.urls import URLFetcher

from core.pdf import DataOnlyFetcher
from finance.models import AnnualSummaryFile
from grants.models import Application, Decision, DecisionLetter
from projects.models import FinalReport, Project
from reviews.models import RecommendationVersion
from tests.access.world import World, build_world
from tests.factories import ReviewFactory

from .support import source_files

PROBES = (
    '<img src="file:///etc/passwd">',
    '<img src="https://evil.example/track.png">',
    '<link rel="stylesheet" href="http://169.254.169.254/latest/meta-data/">',
    '<img src="/media/agreements/signed/secret.pdf">',
    '<a href="file:///etc/shadow">x</a>',
)
HOSTILE = " ".join(PROBES)


@pytest.fixture
def fetched(monkeypatch) -> list[str]:
    """Every URL any WeasyPrint fetcher is asked for, ours or a default one (a code path that forgot ours)."""
    urls: list[str] = []
    ours, default = DataOnlyFetcher.fetch, URLFetcher.fetch

    def spy_ours(self: Any, url: str, headers: Any = None) -> Any:
        urls.append(url)
        return ours(self, url, headers)

    def spy_default(self: Any, url: str, headers: Any = None) -> Any:
        urls.append(url)
        return default(self, url, headers)

    monkeypatch.setattr(DataOnlyFetcher, "fetch", spy_ours)
    monkeypatch.setattr(URLFetcher, "fetch", spy_default)
    return urls


def _text(pdf: bytes) -> str:
    """The PDF's text without any whitespace (long strings wrap across lines)."""
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)
    return re.sub(r"\s+", "", text)


def _read(field: Any) -> bytes:
    with field.open("rb") as f:
        return f.read()


# ---------------------------------------------------------------- one renderer each, with the user text it shows


def _recommendation(world: World) -> bytes:
    from reviews.recommendation import freeze, recommendation_rows, render_version_pdf

    version = RecommendationVersion.objects.get(pk=world.ids["recommendation_version"])
    Application.objects.filter(call=version.call).update(title=HOSTILE, recommendation=HOSTILE)
    rows = freeze(recommendation_rows(version.call))  # the list as sending it freezes it
    RecommendationVersion.objects.filter(pk=version.pk).update(rows=rows, summary=HOSTILE, pdf="")
    return _read(render_version_pdf(version.pk).pdf)


def _decision_letter(world: World) -> bytes:
    from grants.decisions import render_letter

    granted = world.ids["granted"]
    Application.objects.filter(pk=granted).update(title=HOSTILE)
    Decision.objects.filter(application_id=granted).update(conditions=HOSTILE)
    ReviewFactory(application_id=granted, state="submitted", comment=HOSTILE)
    DecisionLetter.objects.filter(application_id=granted).update(pdf="")
    return _read(render_letter(granted).pdf)


def _agreement(world: World) -> bytes:
    from projects.agreements import render_agreement

    project = Project.objects.get(pk=world.ids["project"])
    Application.objects.filter(pk=project.application_id).update(conditions=HOSTILE)
    Project.objects.filter(pk=project.pk).update(title=HOSTILE, agreement_pdf="")
    return _read(render_agreement(project.pk).agreement_pdf)


def _final_report(world: World) -> bytes:
    from projects import final_reports

    project = world.ids["project"]
    FinalReport.objects.update_or_create(project_id=project, defaults={"sections": {"summary": HOSTILE}})
    Project.objects.filter(pk=project).update(title=HOSTILE)
    return _read(final_reports.render(project).pdf)


def _annual_summary(world: World) -> bytes:
    from tests.access.world import api_client

    Application.objects.filter(registry_id=world.ids["registry_a"]).update(title=HOSTILE)
    AnnualSummaryFile.objects.all().delete()
    response = api_client(world, "secretariat").get("/api/v1/reports/annual", {"year": 2026, "format": "pdf"})
    assert response.status_code == 200, response.content[:300]
    return b"".join(response.streaming_content) if response.streaming else response.content


RENDERERS = {
    "recommendation": _recommendation,
    "decision_letter": _decision_letter,
    "agreement": _agreement,
    "final_report": _final_report,
    "annual_summary": _annual_summary,
}

# Where each is rendered: a new call of render_pdf or render_pdf_template elsewhere is a PDF without its probe.
RENDERING_MODULES = {
    "reviews/recommendation.py",
    "grants/decisions.py",
    "projects/agreements.py",
    "projects/final_reports.py",
    "finance/annual.py",
}


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(RENDERERS))
def test_user_text_in_the_pdf_fetches_nothing_and_stays_text(kind, fetched):
    world = build_world()

    pdf = RENDERERS[kind](world)

    text = _text(pdf)
    missing = [probe for probe in PROBES if re.sub(r"\s+", "", probe) not in text]
    assert pdf.startswith(b"%PDF-")
    assert ([url for url in fetched if not url.startswith("data:")], missing) == ([], [])


def test_every_module_that_renders_a_pdf_has_its_probe():
    rendering = source_files(r"\brender_pdf(_template)?\(") - {"core/pdf.py"}

    assert rendering == RENDERING_MODULES


def test_the_spy_sees_what_the_renderer_refuses(fetched):
    """Control: markup (not user text) with the probes is asked for, and refused, so the spy is not blind."""
    from core.pdf import render_pdf

    fetcher = DataOnlyFetcher()
    render_pdf(HOSTILE, fetcher=fetcher)

    assert (sorted(fetched), sorted(fetcher.refused)) == (
        sorted(["file:///etc/passwd", "https://evil.example/track.png", "http://169.254.169.254/latest/meta-data/"]),
        sorted(["file:///etc/passwd", "https://evil.example/track.png", "http://169.254.169.254/latest/meta-data/"]),
    )
