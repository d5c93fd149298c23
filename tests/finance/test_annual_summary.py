"""The annual summary: its tables on constructed data (exact figures), its files (CSV, XLSX, PDF parsed), the files
kept until the figures change, made in the worker with progress, and who may see it."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from pypdf import PdfReader

from audit.models import AuditEntry
from core.tasks import build_annual_summary
from finance import annual, annual_files
from finance.models import AnnualSummaryFile, Payment
from projects.models import FinalReport
from projects.outcomes import Outcome, freeze
from registries.models import RegistryYear
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    ProjectFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)

pytestmark = pytest.mark.django_db
D = Decimal
OSLO = timezone.get_fixed_timezone(60)


@pytest.fixture
def schemes():
    return SchemeFactory(code="data_quality", name="Datakvalitet"), SchemeFactory(
        code="quality_improvement", name="Kvalitetsforbedring", name_en="Quality improvement"
    )


@pytest.fixture
def history(schemes):
    """2019: 2 applications (1 granted 80 000); 2020: 3 (2 granted, 100 000 + amount not stated) and a draft; 2022:
    1 rejected. Projects closed: one in 2020, two in 2022."""
    dq, qi = schemes
    nord, vest = (
        RegistryFactory(name="Nordregisteret", region="Nord"),
        RegistryFactory(name="Vestregisteret", region="Vest"),
    )
    c19, c20, c22 = (CallFactory(scheme=dq, year=y, title=f"DQ {y}") for y in (2019, 2020, 2022))
    q20 = CallFactory(scheme=qi, year=2020, title="QI 2020")
    g19 = ApplicationFactory(call=c19, registry=nord, state="granted", granted_amount_nok=D("80000"), title="A19")
    ApplicationFactory(call=c19, registry=vest, state="rejected", title="B19")
    g20 = ApplicationFactory(call=c20, registry=vest, state="granted", granted_amount_nok=D("100000"), title="A20")
    ApplicationFactory(
        call=q20,
        registry=nord,
        state="granted",
        granted_amount_nok=None,
        requested_amount_nok=None,
        title="Q20",
        complete=False,
    )
    ApplicationFactory(call=c20, registry=nord, state="withdrawn", title="W20")  # withdrawn before submission
    ApplicationFactory(call=c20, registry=nord, state="draft", title="Draft20")  # never handed in
    ApplicationFactory(call=c22, registry=vest, state="rejected", title="R22")
    closed = [
        ProjectFactory(application=g19, state="closed", closed_at=datetime(2020, 6, 1, 12, tzinfo=OSLO)),
        ProjectFactory(application=g20, state="closed", closed_at=datetime(2022, 1, 1, 0, 30, tzinfo=OSLO)),
        ProjectFactory(
            application=ApplicationFactory(call=c22, registry=nord, state="granted", granted_amount_nok=D("50000")),
            state="closed",
            closed_at=datetime(2022, 12, 31, 23, 30, tzinfo=OSLO),
        ),
    ]
    Payment.objects.filter(project=closed[1]).update(state="paid")
    return closed


def test_cumulative_figures_year_by_year_since_the_first_year(history):
    table = annual.summary(2022).table("cumulative")

    assert (table.title, [c.key for c in table.columns]) == (
        "Since 2019, year by year",
        ["year", "received", "granted", "granted_nok", "completed", "granted_cumulative", "granted_nok_cumulative",
         "completed_cumulative"],
    )  # fmt: skip
    assert table.rows == [
        [2019, 2, 1, D("80000.00"), 0, 1, D("80000.00"), 0],
        [2020, 2, 2, D("100000.00"), 1, 3, D("180000.00"), 1],
        [2021, 0, 0, D("0.00"), 0, 3, D("180000.00"), 1],
        [2022, 2, 1, D("50000.00"), 2, 4, D("230000.00"), 3],
    ]


def test_cumulative_figures_stop_at_the_chosen_year(history):
    assert annual.summary(2020).table("cumulative").rows[-1] == [2020, 2, 2, D("100000.00"), 1, 3, D("180000.00"), 1]


def test_received_and_granted_per_scheme_and_region(history):
    table = annual.summary(2020).table("received")

    assert table.rows == [
        ["Datakvalitet", "Western Norway", 1, 1, D("90000.00"), D("100000.00")],
        ["Kvalitetsforbedring", "Northern Norway", 1, 1, D("0.00"), D("0.00")],
    ]
    assert table.total == ["Total", "", 2, 2, D("90000.00"), D("100000.00")]


def test_every_grant_per_scheme_with_its_total_and_the_amounts_not_stated(history):
    result = annual.summary(2020)

    dq, qi = result.table("grants-data_quality"), result.table("grants-quality_improvement")
    assert (dq.title, dq.rows, dq.total, dq.note) == (
        "Grants: Datakvalitet",
        [["Vestregisteret", "Western Norway", "A20", D("100000.00")]],
        ["Total", "", "", D("100000.00")],
        "",
    )
    assert (qi.rows, qi.total, qi.note) == (
        [["Nordregisteret", "Northern Norway", "Q20", None]],
        ["Total", "", "", D("0.00")],
        "The amount is not stated for 1 of these grants; they are counted but not added.",
    )


def test_projects_completed_in_the_year_with_paid_and_outcome(history):
    frozen = freeze(
        [
            Outcome("x", "X", "%", 1, False, target_reached=True),
            Outcome("y", "Y", "%", 1, False, reason="no_followup_data"),
        ]
    )
    FinalReport.objects.filter(project=history[1]).update(outcome=frozen, outcome_at=timezone.now())

    table = annual.summary(2022).table("completed")

    assert [r[:8] for r in table.rows] == [
        ["Nordregisteret", history[2].title, "Datakvalitet", 2022, D("50000.00"), D("0.00"), 0, 0],
        ["Vestregisteret", "A20", "Datakvalitet", 2020, D("100000.00"), D("100000.00"), 1, 1],
    ]
    assert [r[8] for r in table.rows] == ["No target indicator", "Target reached on 1 of 1 indicators"]
    assert table.total[4:8] == [D("150000.00"), D("100000.00"), 1, 1]


def test_the_registries_table_takes_the_latest_assessment_up_to_the_year(history):
    nord = history[0].registry
    RegistryYear.objects.create(registry=nord, year=2019, stage="2C", coverage_percent=D("47.0"))
    RegistryYear.objects.create(registry=nord, year=2021, stage="3A", coverage_percent=D("60.5"))

    rows = {r[0]: r for r in annual.summary(2020).table("registries").rows}
    later = {r[0]: r for r in annual.summary(2022).table("registries").rows}

    assert rows["Nordregisteret"][2:] == ["Northern Norway", 2019, "2C", D("47.0")]
    assert later["Nordregisteret"][2:] == ["Northern Norway", 2021, "3A", D("60.5")]
    assert rows["Vestregisteret"][2:] == ["Western Norway", None, "", None]


def _summary_queries(year):
    with CaptureQueriesContext(connection) as captured:
        annual.summary(year)
    return len(captured)


def test_the_summary_runs_the_same_number_of_queries_for_1_and_30_rows(schemes):
    dq, _qi = schemes
    call = CallFactory(scheme=dq, year=2024)

    def add():
        app = ApplicationFactory(call=call, state="granted", granted_amount_nok=D("1000"))
        ProjectFactory(application=app, state="closed", closed_at=datetime(2024, 5, 1, tzinfo=OSLO))

    add()
    one = _summary_queries(2024)
    for _ in range(29):
        add()

    assert _summary_queries(2024) == one
    assert annual.summary(2024).table("grants-data_quality").total[3] == D("30000.00")


# ---------------------------------------------------------------- the files


def test_the_xlsx_has_one_sheet_per_table_with_typed_cells_and_bold_totals(history):
    made = annual_files.file_now(2020, "xlsx")

    book = openpyxl.load_workbook(made.file.open("rb"))
    assert book.sheetnames == [
        "Applications received and grant",
        "Grants- Datakvalitet",
        "Grants- Kvalitetsforbedring",
        "Projects completed",
        "Since 2019, year by year",
        "Registries",
        "Applications",
    ]
    received = book["Applications received and grant"]
    assert [[c.value for c in r] for r in received.iter_rows()] == [
        ["Scheme", "Region", "Received", "Granted", "Requested (NOK)", "Granted (NOK)"],
        ["Datakvalitet", "Western Norway", 1, 1, 90000, 100000],
        ["Kvalitetsforbedring", "Northern Norway", 1, 1, 0, 0],
        ["Total", None, 2, 2, 90000, 100000],
    ]
    assert (received["E2"].data_type, received["E2"].number_format, received["A4"].font.b) == ("n", "#,##0.00", True)
    grants = book["Grants- Kvalitetsforbedring"]
    assert [[c.value for c in r] for r in grants.iter_rows()][-1] == [
        "The amount is not stated for 1 of these grants; they are counted but not added.",
        None,
        None,
        None,
    ]


def test_the_csv_holds_one_table_by_its_key(history):
    made = annual_files.file_now(2022, "csv", "cumulative")

    rows = list(csv.reader(io.StringIO(made.file.open("rb").read().decode())))
    assert rows == [
        ["year", "received", "granted", "granted_nok", "completed", "granted_cumulative", "granted_nok_cumulative",
         "completed_cumulative"],
        ["2019", "2", "1", "80000.00", "0", "1", "80000.00", "0"],
        ["2020", "2", "2", "100000.00", "1", "3", "180000.00", "1"],
        ["2021", "0", "0", "0.00", "0", "3", "180000.00", "1"],
        ["2022", "2", "1", "50000.00", "2", "4", "230000.00", "3"],
    ]  # fmt: skip
    assert annual.download_name(2022, "csv", made.table) == "annual-summary-2022-cumulative.csv"


def test_text_that_a_spreadsheet_would_run_is_defused_in_csv_and_xlsx(history, schemes):
    ApplicationFactory(call=CallFactory(scheme=schemes[0], year=2020), state="granted", title="=cmd|' /C calc'!A0")

    csv_text = annual_files.file_now(2020, "csv", "grants-data_quality").file.open("rb").read().decode()
    sheet = openpyxl.load_workbook(annual_files.file_now(2020, "xlsx").file.open("rb"))["Grants- Datakvalitet"]

    assert "'=cmd|' /C calc'!A0" in csv_text
    titles = [c.value for c in sheet["C"]]
    assert "'=cmd|' /C calc'!A0" in titles
    assert all(c.data_type != "f" for row in sheet.iter_rows() for c in row)


def test_the_pdf_has_every_table_and_the_charts(history):
    made = annual_files.file_now(2020, "pdf")

    reader = PdfReader(made.file.open("rb"))
    text = " ".join(" ".join(page.extract_text().split()) for page in reader.pages)
    for expected in (
        "Annual summary 2020",
        "Applications received and granted, per scheme and region",
        "Grants: Datakvalitet",
        "Vestregisteret Western Norway A20 100,000.00",
        "Since 2019, year by year",
        "Amount granted per year and scheme (NOK)",  # the chart's title, as text
        "Applications per region",
        "The amount is not stated for 1 of these grants",
    ):
        assert expected in text
    assert reader.pages[0].mediabox.width > reader.pages[0].mediabox.height  # landscape


# ---------------------------------------------------------------- kept until the figures change


def test_asking_again_with_unchanged_figures_gives_the_kept_file(history):
    first = annual_files.file_now(2020, "xlsx")
    second = annual_files.request_file(2020, "xlsx")

    assert (second.pk, second.status, AnnualSummaryFile.objects.count()) == (first.pk, "done", 1)


def test_a_change_in_the_figures_makes_a_new_file_and_forgets_the_old_one(history, schemes):
    first = annual_files.file_now(2020, "pdf")
    old_name = first.file.name
    storage = first.file.storage
    ApplicationFactory(call=CallFactory(scheme=schemes[0], year=2020), state="submitted")

    second = annual_files.file_now(2020, "pdf")

    assert second.pk != first.pk
    assert list(AnnualSummaryFile.objects.values_list("pk", flat=True)) == [second.pk]
    assert storage.exists(old_name) is False


def test_other_years_and_formats_are_kept_apart(history):
    a = annual_files.file_now(2020, "csv", "received")
    b = annual_files.file_now(2020, "csv", "cumulative")
    c = annual_files.file_now(2022, "csv", "received")

    assert len({a.pk, b.pk, c.pk}) == 3
    assert AnnualSummaryFile.objects.filter(status="done").count() == 3


def test_the_worker_reports_progress_and_a_failure_can_be_retried(history, monkeypatch, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    job = annual_files.request_file(2020, "pdf")
    seen = []

    def failing(result, fmt, table, progress):
        progress(50)
        seen.append(AnnualSummaryFile.objects.get(pk=job.pk).progress)
        raise RuntimeError("weasyprint fell over")

    monkeypatch.setattr(annual, "render", failing)
    with pytest.raises(RuntimeError):
        build_annual_summary.call(job.pk)
    failed = AnnualSummaryFile.objects.get(pk=job.pk)
    monkeypatch.undo()
    again = annual_files.request_file(2020, "pdf")

    assert (seen, failed.status, failed.error) == ([50], "failed", "weasyprint fell over")
    assert (again.pk, again.status, AnnualSummaryFile.objects.get(pk=job.pk).progress) == (job.pk, "queued", 0)
    build_annual_summary.call(job.pk)
    assert (AnnualSummaryFile.objects.get(pk=job.pk).status, AnnualSummaryFile.objects.get(pk=job.pk).progress) == (
        "done",
        100,
    )


# ---------------------------------------------------------------- the web pages


@pytest.fixture
def secretariat():
    return UserFactory(is_secretariat=True)


def test_the_page_shows_the_years_tables(client, history, secretariat):
    client.force_login(secretariat)

    html = client.get(reverse("finance:annual_summary"), {"year": 2020}).content.decode()

    assert "<h1>Annual summary 2020</h1>" in html
    assert '<option value="2020" selected>2020</option>' in html
    assert '<caption id="table-grants-data_quality">Grants: Datakvalitet</caption>' in html
    assert '<tr><td>Vestregisteret</td><td>Western Norway</td><td>A20</td><td class="num">100,000.00</td></tr>' in html
    assert '<tr class="total"><th scope="row">Total</th><td></td><td class="num">2</td><td class="num">2</td>' in html


def test_an_unknown_year_shows_the_latest_year_with_calls(client, history, secretariat):
    client.force_login(secretariat)

    html = client.get(reverse("finance:annual_summary"), {"year": "1066"}).content.decode()

    assert f"<h1>Annual summary {timezone.localdate().year}</h1>" in html


def test_asking_for_a_file_waits_for_the_worker_then_offers_the_download(client, history, secretariat, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client.force_login(secretariat)

    response = client.post(reverse("finance:annual_summary_request"), {"year": "2020", "format": "xlsx"})
    job = AnnualSummaryFile.objects.get()
    url = reverse("finance:annual_summary_file", args=[job.pk])
    waiting = client.get(url).content.decode()
    poll = client.get(url, headers={"HX-Request": "true"}).content.decode()
    build_annual_summary.call(job.pk)  # the worker
    ready = client.get(url, headers={"HX-Request": "true"}).content.decode()
    download = client.get(reverse("finance:annual_summary_download", args=[job.pk]))

    assert (response.status_code, response["Location"]) == (302, url)
    assert f'hx-get="{url}" hx-trigger="every 1s"' in waiting
    assert '<progress id="file-progress" max="100" value="0">0 %</progress>' in waiting
    assert (poll.startswith('<section id="file-status"'), "<h1>" in poll) == (True, False)
    assert "hx-trigger" not in ready
    assert "The file is ready." in ready
    assert download["Content-Disposition"] == 'attachment; filename="annual-summary-2020.xlsx"'
    assert openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).sheetnames[-1] == "Applications"
    assert AuditEntry.objects.filter(action="finance.annual_summary.download", actor=secretariat).count() == 1


def test_asking_twice_with_unchanged_figures_queues_one_job(
    client, history, secretariat, settings, django_capture_on_commit_callbacks
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client.force_login(secretariat)
    from django.tasks import default_task_backend

    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            client.post(reverse("finance:annual_summary_request"), {"year": "2020", "format": "pdf"})

    assert AnnualSummaryFile.objects.count() == 1
    assert [r.task.name for r in default_task_backend.results] == ["build_annual_summary"]


def test_a_file_not_made_yet_is_not_found(client, history, secretariat, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    client.force_login(secretariat)
    job = annual_files.request_file(2020, "pdf")

    assert client.get(reverse("finance:annual_summary_download", args=[job.pk])).status_code == 404


@pytest.mark.parametrize("role", ["member", "reviewer", "decider"])
def test_only_the_secretariat_sees_the_summary_and_its_files(client, history, schemes, role):
    job = annual_files.file_now(2020, "csv", "received")
    user = {
        "member": lambda: member_of(history[0].registry),
        "reviewer": lambda: reviewer_for(schemes[0]),
        "decider": lambda: UserFactory(is_decider=True),
    }[role]()
    client.force_login(user)

    statuses = [
        client.get(reverse("finance:annual_summary")).status_code,
        client.post(reverse("finance:annual_summary_request"), {"year": "2020", "format": "pdf"}).status_code,
        client.get(reverse("finance:annual_summary_file", args=[job.pk])).status_code,
        client.get(reverse("finance:annual_summary_download", args=[job.pk])).status_code,
    ]

    assert statuses == [403, 403, 403, 403]
    assert AnnualSummaryFile.objects.count() == 1


def _page_queries(client):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("finance:annual_summary"), {"year": 2024})
    assert response.status_code == 200
    return len(captured)


def test_the_page_runs_the_same_number_of_queries_for_1_and_30_rows(client, schemes, secretariat):
    client.force_login(secretariat)
    call = CallFactory(scheme=schemes[0], year=2024)
    ApplicationFactory(call=call, state="granted", granted_amount_nok=D("1000"))
    one = _page_queries(client)
    for _ in range(29):
        ApplicationFactory(call=call, state="granted", granted_amount_nok=D("1000"))

    assert _page_queries(client) == one


def test_a_table_over_several_pdf_pages_prints_its_total_once(schemes):
    call, registry = CallFactory(scheme=schemes[0], year=2024), RegistryFactory()
    for n in range(70):  # one registry: the table lists them in the order they were made
        ApplicationFactory(
            call=call, registry=registry, state="granted", granted_amount_nok=D("1000"), title=f"Prosjekt {n}"
        )

    reader = PdfReader(annual_files.file_now(2024, "pdf").file.open("rb"))

    pages = [" ".join(p.extract_text().split()) for p in reader.pages]
    first = next(i for i, text in enumerate(pages) if "Prosjekt 0 " in text)
    last = next(i for i, text in enumerate(pages) if "Prosjekt 69 " in text)
    assert first < last  # the grants table runs over more than one page
    assert sum(text.count("Total 70,000.00") for text in pages) == 1


@pytest.mark.parametrize(
    ("posted", "message"),
    [
        ({"format": "docx"}, "Format: choose PDF, XLSX or CSV."),
        ({"format": "csv", "table": "nope"}, "Table: the summary of 2020 has no table “nope”."),
    ],
)
def test_a_bad_request_for_a_file_says_which_field_and_makes_nothing(client, history, secretariat, posted, message):
    client.force_login(secretariat)

    response = client.post(reverse("finance:annual_summary_request"), {"year": "2020", **posted}, follow=True)

    assert response.redirect_chain == [(f"{reverse('finance:annual_summary')}?year=2020", 302)]
    assert [str(m) for m in response.context["messages"]] == [message]
    assert AnnualSummaryFile.objects.count() == 0


def test_a_file_whose_row_cannot_be_written_leaves_no_orphan(history, monkeypatch, settings):
    from pathlib import Path

    from django.db import OperationalError

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    job = annual_files.request_file(2020, "csv", "received")
    folder = Path(settings.MEDIA_ROOT) / "annual"
    before = sorted(folder.rglob("*")) if folder.exists() else []

    def dropped(self, *args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(AnnualSummaryFile, "save", dropped)
    with pytest.raises(OperationalError):
        annual_files.build(job.pk)

    after = sorted(folder.rglob("*")) if folder.exists() else []
    assert ([p for p in after if p.is_file()], AnnualSummaryFile.objects.get(pk=job.pk).status) == (
        [p for p in before if p.is_file()],
        "failed",  # so that asking again starts a new attempt
    )
