"""The secretariat searches the audit trail and exports what it found."""

import csv
import io
from datetime import UTC, datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from openpyxl import load_workbook

from audit.models import AuditEntry
from audit.services import record
from tests.factories import ApplicationFactory, ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretariat(client):
    user = UserFactory(is_secretariat=True, email="sekretariat@example.no")
    client.force_login(user)
    return user


def _at(day):
    return datetime(2026, 3, day, 12, tzinfo=UTC)


@pytest.fixture
def trail(time_machine):
    kari = UserFactory(email="kari.nordmann@example.no", full_name="Kari Nordmann")
    ola = UserFactory(email="ola@example.no")
    app = ApplicationFactory(state="submitted", title="Bedre data")
    draft = ApplicationFactory(state="draft")
    project = ProjectFactory(state="active")
    time_machine.move_to(_at(1))
    record(app, "grants.application.submit", actor=kari, source="draft", target="submitted", comment="Sendt inn.")
    time_machine.move_to(_at(5))
    record(app, "grants.application.send_to_review", actor=ola, source="submitted", target="in_review")
    record(draft, "grants.application.create", actor=kari)
    time_machine.move_to(_at(9))
    record(project, "projects.project.terminate", actor=ola, source="active", target="terminated", comment="Stopp.")
    time_machine.move_to(_at(20))
    return {"kari": kari, "ola": ola, "app": app, "draft": draft, "project": project}


def _actions(response):
    return [row["entry"].action for row in response.context["rows"]]


def test_the_trail_is_listed_newest_first_with_labels_states_and_links(client, secretariat, trail):
    response = client.get(reverse("audit:search"))

    assert response.status_code == 200
    assert _actions(response) == [
        "projects.project.terminate",
        "grants.application.create",
        "grants.application.send_to_review",
        "grants.application.submit",
    ]
    rows = response.context["rows"]
    assert [str(r["label"]) for r in rows] == [
        "Terminate the project",
        "Created",
        "Send to expert review",
        "Submit",
    ]
    assert (str(rows[0]["source"]), str(rows[0]["target"])) == ("Active", "Terminated")
    # the secretariat may open the project and the submitted application, not a registry's draft
    assert [r["link"] for r in rows] == [
        reverse("projects:project_detail", args=[trail["project"].pk]),
        "",
        reverse("grants:application_detail", args=[trail["app"].pk]),
        reverse("grants:application_detail", args=[trail["app"].pk]),
    ]
    html = response.content.decode()
    assert "Kari Nordmann" in html and "Sendt inn." in html


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"actor": "NORDMANN"}, ["grants.application.create", "grants.application.submit"]),
        ({"action": "projects."}, ["projects.project.terminate"]),
        ({"type": "projects.project"}, ["projects.project.terminate"]),
        (
            {"since": "2026-03-05", "until": "2026-03-05"},
            ["grants.application.create", "grants.application.send_to_review"],
        ),
        ({"until": "2026-03-01"}, ["grants.application.submit"]),
        ({"q": "stopp"}, ["projects.project.terminate"]),
        ({"actor": "ola", "action": "grants."}, ["grants.application.send_to_review"]),
    ],
    ids=["actor", "action", "type", "one-day", "until", "comment", "combined"],
)
def test_each_filter_narrows_the_trail(client, secretariat, trail, query, expected):
    response = client.get(reverse("audit:search"), query)

    assert _actions(response) == expected


def test_the_object_filter_finds_one_objects_entries(client, secretariat, trail):
    query = {"type": "grants.application", "object": trail["app"].pk}

    response = client.get(reverse("audit:search"), query)

    assert _actions(response) == ["grants.application.send_to_review", "grants.application.submit"]


@pytest.mark.parametrize(
    "query",
    [
        {"since": "2026-13-45"},
        {"until": "yesterday"},
        {"object": "-1"},
        {"object": "9" * 40},
        {"type": "no type"},
        {"action": "DROP TABLE;"},
        {"page": "x"},
    ],
)
def test_invalid_filters_are_ignored(client, secretariat, trail, query):
    response = client.get(reverse("audit:search"), query)

    assert response.status_code == 200
    assert len(response.context["rows"]) == 4


def test_the_trail_pages_by_fifty(client, secretariat, trail):
    app = trail["app"]
    for n in range(60):
        record(app, "grants.application.update", comment=f"n{n}")

    first = client.get(reverse("audit:search"))
    second = client.get(reverse("audit:search"), {"page": 2})

    assert (len(first.context["rows"]), len(second.context["rows"])) == (50, 14)
    assert first.context["rows"][0]["entry"].comment == "n59"
    assert first.context["pages"] == {"next": "page=2"}


def _csv(response):
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))


def test_the_export_holds_exactly_the_filtered_entries_and_is_itself_audited(client, secretariat, trail):
    response = client.get(reverse("audit:export", args=["csv"]), {"actor": "kari"})

    rows = _csv(response)
    assert response["Content-Disposition"] == 'attachment; filename="audit-trail.csv"'
    assert rows[0] == [
        "Entry",
        "When",
        "Who",
        "Action code",
        "Action",
        "Object type",
        "Object",
        "From",
        "To",
        "Comment",
    ]
    assert [(r[2], r[3], r[5], r[7], r[8], r[9]) for r in rows[1:]] == [
        ("kari.nordmann@example.no", "grants.application.create", "grants.application", "", "", ""),
        (
            "kari.nordmann@example.no",
            "grants.application.submit",
            "grants.application",
            "draft",
            "submitted",
            "Sendt inn.",
        ),
    ]
    logged = AuditEntry.objects.get(action="audit.auditentry.export")
    assert (logged.actor, logged.object_id, logged.data) == (
        secretariat,
        secretariat.pk,
        {"format": "csv", "rows": 2, "filters": {}, "searched": True},
    )


def test_the_export_defuses_formulas_in_csv_and_xlsx(client, secretariat):
    record(ApplicationFactory(), "grants.application.withdraw", comment='=HYPERLINK("http://evil","x")')

    csv_rows = _csv(client.get(reverse("audit:export", args=["csv"]), {"action": "grants."}))
    xlsx = client.get(reverse("audit:export", args=["xlsx"]), {"action": "grants."})
    sheet = load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).active

    assert csv_rows[1][9] == '\'=HYPERLINK("http://evil","x")'
    assert sheet.cell(2, 10).value == '\'=HYPERLINK("http://evil","x")'
    assert sheet.cell(2, 10).data_type == "s"


def test_an_unknown_format_is_404(client, secretariat):
    assert client.get(reverse("audit:export", args=["pdf"])).status_code == 404


@pytest.mark.parametrize("who", ["member", "reviewer", "decider"])
def test_others_are_refused(client, who):
    users = {
        "member": lambda: member_of(ProjectFactory().registry),
        "reviewer": lambda: UserFactory(),
        "decider": lambda: UserFactory(is_decider=True),
    }
    client.force_login(users[who]())

    assert client.get(reverse("audit:search")).status_code == 403
    assert client.get(reverse("audit:export", args=["csv"])).status_code == 403


def test_anonymous_goes_to_the_login_page(client):
    response = client.get(reverse("audit:search"))

    assert (response.status_code, response["Location"].split("?")[0]) == (302, reverse("account_login"))


def _add(n, users, apps):
    for i in range(n):
        record(apps[i % len(apps)], "grants.application.update", actor=users[i % len(users)], comment=f"c{i}")


def test_the_search_page_does_not_grow_with_its_rows(client, secretariat):
    users = [UserFactory() for _ in range(3)]
    apps = [ApplicationFactory(state="submitted") for _ in range(3)]
    projects = [ProjectFactory() for _ in range(2)]
    url = reverse("audit:search")
    _add(1, users, apps)
    record(projects[0], "projects.project.update", actor=users[0])
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        first = client.get(url)
    _add(29, users, apps)
    record(projects[1], "projects.project.update", actor=users[1])
    with CaptureQueriesContext(connection) as many:
        response = client.get(url)

    assert (len(first.context["rows"]), len(response.context["rows"])) == (2, 32)
    assert len(one) == len(many)
