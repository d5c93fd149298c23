"""A registry member's dashboard: their registries' applications (state, next step) and projects, and what is due
next, sorted by date; nothing of another registry's; the same number of queries for 1 and 30 rows."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from projects.models import ProgressReport
from tests.factories import ApplicationFactory, MilestoneFactory, ProjectFactory, RegistryFactory, member_of

from .dashboard_html import captions, tables

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate()
APPS = reverse("grants:application_list")
day = lambda d: d.strftime("%Y-%m-%d")  # noqa: E731


def _report(project, number, due, state="due"):
    return ProgressReport.objects.create(
        project=project,
        number=number,
        period_start=due - timedelta(days=200),
        period_end=due - timedelta(days=30),
        due_date=due,
        state=state,
    )


@pytest.fixture
def registry():
    return RegistryFactory(name="Norsk nyreregister", short_name="NNRR")


@pytest.fixture
def world(registry):
    draft = ApplicationFactory(registry=registry, title="Utkast", state="draft")
    changes = ApplicationFactory(registry=registry, title="Endres", state="changes_requested")
    pending = ProjectFactory(application__registry=registry, application__title="Innvilget")
    active = ProjectFactory(
        application__registry=registry,
        application__title="Aktivt",
        state="active",
        final_report_due=TODAY + timedelta(days=100),
    )
    milestone = MilestoneFactory(project=active, title="Datauttrekk", due_date=TODAY + timedelta(days=5))
    MilestoneFactory(project=active, title="Rapportert", due_date=TODAY - timedelta(days=5), state="reported")
    report = _report(active, 1, TODAY - timedelta(days=2))
    _report(active, 2, TODAY + timedelta(days=20), state="submitted")
    stranger = ProjectFactory(application__title="Fremmed prosjekt", state="active", final_report_due=TODAY)
    ApplicationFactory(registry=stranger.registry, title="Fremmed søknad", state="submitted")
    return {
        "draft": draft,
        "changes": changes,
        "pending": pending,
        "active": active,
        "milestone": milestone,
        "report": report,
        "stranger": stranger,
    }


def _page(client, user):
    client.force_login(user)
    return client.get(reverse("dashboard")).content.decode()


def test_the_member_sees_counts_by_state_linking_to_the_filtered_list(client, registry, world):
    found = tables(_page(client, member_of(registry)))

    r = registry.pk
    assert found["Your applications by state"] == [
        ["Registry", "Draft", "Changes requested", "Granted", "Total"],
        [
            f"Norsk nyreregister (NNRR) <{reverse('registries:registry_detail', args=[r])}>",
            f"1 <{APPS}?registry={r}&state=draft>",
            f"1 <{APPS}?registry={r}&state=changes_requested>",
            f"2 <{APPS}?registry={r}&state=granted>",
            f"4 <{APPS}?registry={r}>",
        ],
    ]


def test_the_member_sees_each_application_with_its_next_step(client, registry, world):
    found = tables(_page(client, member_of(registry)))

    detail = lambda a: reverse("grants:application_detail", args=[a.pk])  # noqa: E731
    project = lambda p: reverse("projects:project_detail", args=[p.pk])  # noqa: E731
    active, pending = world["active"], world["pending"]
    assert found["Your applications"] == [
        ["Application", "Call", "State", "Next step"],
        [
            f"Aktivt NNRR <{detail(active.application)}>",
            active.application.call.title,
            "Granted",
            f"Follow up the project <{project(active)}>",
        ],
        [
            f"Innvilget NNRR <{detail(pending.application)}>",
            pending.application.call.title,
            "Granted",
            f"Accept the agreement <{project(pending)}>",
        ],
        [
            f"Endres NNRR <{detail(world['changes'])}>",
            world["changes"].call.title,
            "Changes requested",
            f"Make the requested changes and submit it again <{detail(world['changes'])}>",
        ],
        [
            f"Utkast NNRR <{detail(world['draft'])}>",
            world["draft"].call.title,
            "Draft",
            f"Complete it and submit it before the call's deadline <{detail(world['draft'])}>",
        ],
    ]
    assert found["Your projects"] == [
        ["Project", "Registry", "State", "Granted (NOK)", "End date"],
        [f"Aktivt <{project(active)}>", "NNRR", "Active", "90,000", day(active.end_date)],
        [f"Innvilget <{project(pending)}>", "NNRR", "Agreement pending", "90,000", day(pending.end_date)],
    ]


def test_what_is_due_next_is_sorted_by_date(client, registry, world):
    found = tables(_page(client, member_of(registry)))

    active = world["active"]
    assert found["What is due next"] == [
        ["Date", "What", "Project", "Days left"],
        [
            day(TODAY - timedelta(days=2)),
            f"Progress report 1 <{reverse('projects:progress_report', args=[active.pk, world['report'].pk])}>",
            "Aktivt",
            "2 days overdue",
        ],
        [
            day(TODAY),
            f"Accept the agreement <{reverse('projects:project_detail', args=[world['pending'].pk])}>",
            "Innvilget",
            "0",
        ],
        [
            day(TODAY + timedelta(days=5)),
            f"Milestone “Datauttrekk” <{reverse('projects:project_detail', args=[active.pk])}>",
            "Aktivt",
            "5",
        ],
        [
            day(TODAY + timedelta(days=100)),
            f"Final report <{reverse('projects:final_report_edit', args=[active.pk])}>",
            "Aktivt",
            "100",
        ],
    ]


def test_another_registrys_member_sees_none_of_it(client, registry, world):
    html = _page(client, member_of(world["stranger"].registry))

    stranger = world["stranger"]
    theirs = [f"Fremmed søknad {stranger.registry}", f"Fremmed prosjekt {stranger.registry}"]
    assert [row[0].split(" <")[0] for row in tables(html)["Your applications"][1:]] == theirs
    assert [t for t in ("Utkast", "Endres", "Innvilget", "Aktivt", "Datauttrekk", "NNRR") if t in html] == []
    assert "Applications per call and state" not in captions(html)


# ---------------------------------------------------------------- queries


def _rows(n, registry):
    for i in range(n):
        ApplicationFactory(registry=registry, state=["draft", "submitted", "changes_requested"][i % 3])
        ProjectFactory(application__registry=registry)
        active = ProjectFactory(
            application__registry=registry, state="active", final_report_due=TODAY + timedelta(days=i)
        )
        MilestoneFactory(project=active, due_date=TODAY + timedelta(days=i))
        _report(active, 1, TODAY + timedelta(days=i))


@pytest.mark.parametrize("n", [1, 30])
def test_the_members_dashboard_needs_the_same_queries_for_1_and_30_rows(client, registry, n):
    _rows(n, registry)
    client.force_login(member_of(registry))
    client.get(reverse("dashboard"))

    with CaptureQueriesContext(connection) as captured:
        html = client.get(reverse("dashboard")).content.decode()

    assert (len(captured), len(tables(html)["What is due next"]) - 1) == (MEMBER_QUERIES, min(4 * n, 20))


MEMBER_QUERIES = 12  # session, user, memberships and expert groups, registries, counts, applications, projects,
# milestones, progress reports, final reports, agreements, open calls
