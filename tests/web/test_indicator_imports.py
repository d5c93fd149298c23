"""The indicator import pages: the upload form per role, the import's page with its status partial, and the list."""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from registries.models import IndicatorImport, IndicatorValue
from tests.factories import (
    IndicatorFactory,
    OrganisationFactory,
    RegistryFactory,
    SchemeFactory,
    UserFactory,
    member_of,
    reviewer_for,
)
from tests.web.test_list_queries import _count

pytestmark = pytest.mark.django_db

HOSPITAL = 974000001
EVENTS = '"year";"orgnr";"var";"ind_id"\n'
NEW = reverse("registries:import_new")
LIST = reverse("registries:import_list")


@pytest.fixture
def world():
    registry, other = RegistryFactory(short_name="NNRR"), RegistryFactory(short_name="NKR")
    OrganisationFactory(orgnr=HOSPITAL)
    IndicatorFactory(id="own1", registry=registry)
    IndicatorFactory(id="their1", registry=other)
    return {
        "registry": registry,
        "other": other,
        "member": member_of(registry),
        "stranger": member_of(other),
        "secretariat": UserFactory(is_secretariat=True),
    }


def csv(*rows: str, name: str = "verdier.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, (EVENTS + "\n".join(rows) + "\n").encode(), content_type="text/csv")


def job_for(registry, by, state="running", **kwargs):
    return IndicatorImport.objects.create(
        file=ContentFile(EVENTS.encode(), "stored.csv"),
        original_name=kwargs.pop("original_name", "verdier.csv"),
        uploaded_by=by,
        registry=registry,
        state=state,
        **kwargs,
    )


# ---------------------------------------------------------------- the upload


def test_the_secretariat_uploads_for_everyone_and_lands_on_the_report(
    client, world, django_capture_on_commit_callbacks
):
    client.force_login(world["secretariat"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, {"file": csv(f'2020;{HOSPITAL};1;"own1"', f'2020;{HOSPITAL};1;"their1"')})

    job = IndicatorImport.objects.get()
    assert (response.status_code, response["Location"]) == (302, reverse("registries:import_detail", args=[job.pk]))
    assert (job.state, job.registry, job.dry_run) == ("imported", None, False)
    page = client.get(response["Location"]).content.decode()
    assert "The file was imported." in page
    assert '<td>verdier.csv</td><td>Event rows</td><td class="num">2</td><td class="num">2</td>' in page
    assert 'hx-trigger="every 1s"' not in page


def test_an_htmx_upload_is_answered_with_a_redirect_header(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["secretariat"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            NEW, {"file": csv(f'2020;{HOSPITAL};1;"own1"'), "dry_run": "on"}, headers={"HX-Request": "true"}
        )

    job = IndicatorImport.objects.get()
    assert (response.status_code, response["HX-Redirect"], job.state) == (
        200,
        reverse("registries:import_detail", args=[job.pk]),
        "checked",
    )
    assert IndicatorValue.objects.count() == 0


def test_the_upload_form_shows_the_upload_progress_bar_and_posts_with_htmx(client, world):
    client.force_login(world["secretariat"])

    page = client.get(NEW).content.decode()

    assert 'hx-encoding="multipart/form-data"' in page
    assert 'enctype="multipart/form-data"' in page  # without JavaScript too
    assert '<progress id="upload-progress" max="100" value="0">' in page
    assert 'name="registry"' not in page  # the secretariat's upload is not restricted
    assert 'name="dry_run"' in page


def test_a_member_chooses_one_of_their_registries(client, world):
    both = member_of(world["registry"])
    third = RegistryFactory(short_name="NGER")
    both.memberships.create(registry=third)
    client.force_login(both)

    response = client.get(NEW, {"registry": third.pk})

    field = response.context["form"]["registry"]
    assert [str(r) for r in field.field.queryset] == ["NNRR", "NGER"]  # by name: the factory numbers them
    assert str(field.value()) == str(third.pk)


def test_a_member_upload_is_restricted_to_the_chosen_registry(client, world, django_capture_on_commit_callbacks):
    client.force_login(world["member"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(NEW, {"file": csv(f'2020;{HOSPITAL};1;"their1"'), "registry": world["registry"].pk})

    job = IndicatorImport.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert (job.registry, job.state, IndicatorValue.objects.count()) == (world["registry"], "refused", 0)
    assert "The file was refused because of 1 problem. Nothing was stored." in page
    assert (
        '<tr><td>verdier.csv</td><td class="num">2</td>'
        "<td>indicator “their1” belongs to another registry (1 rows)</td></tr>" in page
    )


def test_a_member_may_not_choose_another_registry(client, world):
    client.force_login(world["member"])

    response = client.post(NEW, {"file": csv(f'2020;{HOSPITAL};1;"their1"'), "registry": world["other"].pk})

    assert response.status_code == 200
    assert response.context["form"].errors == {
        "registry": ["Select a valid choice. That choice is not one of the available choices."]
    }
    assert IndicatorImport.objects.count() == 0


def test_a_wrong_file_type_is_reported_on_the_file_field(client, world):
    client.force_login(world["secretariat"])

    response = client.post(NEW, {"file": SimpleUploadedFile("verdier.pdf", b"%PDF-1.4")})

    assert response.context["form"].errors == {"file": ["The file must be a .csv or .xlsx file, not “.pdf”."]}
    assert "The file must be a .csv or .xlsx file, not “.pdf”." in response.content.decode()
    assert IndicatorImport.objects.count() == 0


def test_an_oversized_file_is_reported_on_the_file_field(client, world, settings):
    settings.INDICATOR_UPLOAD_MAX_BYTES = 20
    client.force_login(world["secretariat"])

    response = client.post(NEW, {"file": csv(f'2020;{HOSPITAL};1;"own1"')})

    assert response.context["form"].errors == {
        "file": ["The file is 54\xa0bytes; the largest file accepted is 20\xa0bytes."]
    }
    assert IndicatorImport.objects.count() == 0


def test_a_post_without_a_file_names_the_field(client, world):
    client.force_login(world["secretariat"])

    response = client.post(NEW, {"dry_run": "on"})

    assert response.context["form"].errors == {"file": ["This field is required."]}


@pytest.mark.parametrize("who", ["reviewer", "decider"])
def test_those_without_a_registry_may_not_import(client, who):
    user = reviewer_for(SchemeFactory()) if who == "reviewer" else UserFactory(is_decider=True)
    client.force_login(user)

    responses = [client.get(NEW), client.post(NEW, {"file": csv()}), client.get(LIST)]

    assert [r.status_code for r in responses] == [403, 403, 403]
    assert IndicatorImport.objects.count() == 0


# ---------------------------------------------------------------- the import's page and its status partial


def test_a_running_import_polls_its_status_with_a_progress_bar(client, world):
    job = job_for(world["registry"], world["member"], progress=20, stage="checking and saving verdier.csv")
    client.force_login(world["member"])

    partial = client.get(reverse("registries:import_status", args=[job.pk])).content.decode()

    assert partial.startswith(
        f'<section id="import-status" aria-labelledby="import-status-heading" '
        f'hx-get="/registries/imports/{job.pk}/status/" hx-trigger="every 1s" hx-swap="outerHTML">'
    )
    assert '<label for="import-progress">Checking and saving verdier.csv</label>' in partial
    assert '<progress id="import-progress" max="100" value="20">20 %</progress>' in partial
    assert "<html" not in partial


def test_the_status_shows_what_the_running_import_published_last(client, world):
    from registries.services import _ProgressSaver

    job = job_for(world["registry"], world["member"], progress=0, stage="starting")
    _ProgressSaver(job.pk)(57, "saving verdier.csv: own1 2020")
    client.force_login(world["member"])

    partial = client.get(reverse("registries:import_status", args=[job.pk])).content.decode()

    assert '<label for="import-progress">Saving verdier.csv: own1 2020</label>' in partial
    assert '<progress id="import-progress" max="100" value="57">57 %</progress>' in partial


def test_a_queued_import_says_it_waits(client, world):
    job = job_for(None, world["secretariat"], state="queued")
    client.force_login(world["secretariat"])

    page = client.get(reverse("registries:import_detail", args=[job.pk])).content.decode()

    assert '<label for="import-progress">Waiting for the import to start</label>' in page
    assert 'hx-trigger="every 1s"' in page
    assert f'<a href="/registries/imports/{job.pk}/">Reload the page</a>' in page  # without JavaScript


def test_a_finished_import_stops_polling_and_shows_every_problem(client, world):
    job = job_for(
        world["registry"],
        world["member"],
        state="refused",
        progress=100,
        stage="done",
        finished_at=timezone.now(),
        problems=["0: not a CSV text file: the content does not match the extension", "7: var is not a valid number"],
    )
    client.force_login(world["member"])

    partial = client.get(reverse("registries:import_status", args=[job.pk])).content.decode()

    assert partial.startswith('<section id="import-status" aria-labelledby="import-status-heading">')
    assert "hx-trigger" not in partial
    assert (
        '<tr><td>verdier.csv</td><td class="num">–</td>'
        "<td>not a CSV text file: the content does not match the extension</td></tr>"
    ) in partial
    assert '<tr><td>verdier.csv</td><td class="num">7</td><td>var is not a valid number</td></tr>' in partial


def test_a_failed_import_says_so_with_the_error(client, world):
    job = job_for(
        None, world["secretariat"], state="failed", finished_at=timezone.now(), problems=["0: OSError: disk full"]
    )
    client.force_login(world["secretariat"])

    page = client.get(reverse("registries:import_detail", args=[job.pk])).content.decode()

    assert "The import stopped on an unexpected error. Nothing was stored." in page
    assert '<p class="muted">OSError: disk full</p>' in page


def test_someone_elses_import_is_not_found(client, world):
    theirs = job_for(world["other"], world["stranger"])
    unrestricted = job_for(None, world["secretariat"])
    client.force_login(world["member"])

    statuses = [
        client.get(reverse(name, args=[job.pk])).status_code
        for job in (theirs, unrestricted)
        for name in ("registries:import_detail", "registries:import_status")
    ]

    assert statuses == [404, 404, 404, 404]


# ---------------------------------------------------------------- the list and the links to it


def test_a_member_lists_only_their_registries_imports(client, world):
    job_for(world["registry"], world["member"], original_name="ours.csv")
    job_for(world["registry"], member_of(world["registry"]), original_name="colleague.csv")
    job_for(world["other"], world["stranger"], original_name="theirs.csv")
    job_for(None, world["secretariat"], original_name="everyone.csv")
    client.force_login(world["member"])

    response = client.get(LIST)

    assert [j.original_name for j in response.context["page"].object_list] == ["colleague.csv", "ours.csv"]


def test_the_secretariat_lists_every_import(client, world):
    for name, registry in [("a.csv", world["registry"]), ("b.csv", world["other"]), ("c.csv", None)]:
        job_for(registry, world["secretariat"], original_name=name)
    client.force_login(world["secretariat"])

    response = client.get(LIST)

    assert [j.original_name for j in response.context["page"].object_list] == ["c.csv", "b.csv", "a.csv"]


@pytest.mark.parametrize("who", ["secretariat", "member"])
def test_the_import_list_does_not_grow_with_rows(client, world, who):
    client.force_login(world[who])
    job_for(world["registry"], world["member"], state="imported", kind="events")
    one = _count(client, LIST)
    for _ in range(29):
        job_for(world["registry"], member_of(world["registry"]), state="refused")
    assert _count(client, LIST) == one


def test_the_navigation_and_the_registry_page_link_to_imports_for_those_who_may_import(client, world):
    reviewer = reviewer_for(SchemeFactory())
    registry_page = reverse("registries:registry_detail", args=[world["registry"].pk])
    seen = {}
    for who, user in [("member", world["member"]), ("stranger", world["stranger"]), ("reviewer", reviewer)]:
        client.force_login(user)
        page = client.get(registry_page).content.decode()
        seen[who] = (f'href="{LIST}"' in page, f'href="{NEW}?registry={world["registry"].pk}"' in page)

    assert seen == {"member": (True, True), "stranger": (True, False), "reviewer": (False, False)}


MO_FILE = Path(django_settings.LOCALE_PATHS[0]) / "nb" / "LC_MESSAGES" / "django.mo"


@pytest.mark.skipif(not MO_FILE.exists(), reason=f"{MO_FILE} is missing: run `make messages` first")
def test_the_import_pages_speak_norwegian_by_default(client, world, settings):
    settings.LANGUAGE_CODE = "nb"
    job = job_for(world["registry"], world["member"], state="refused", finished_at=timezone.now(), problems=["2: x"])
    client.force_login(world["member"])

    form = client.get(NEW).content.decode()
    report = client.get(reverse("registries:import_detail", args=[job.pk])).content.decode()

    assert '<label for="id_dry_run">Bare kontroller (prøvekjøring)</label>' in form
    assert "Last opp og importer" in form
    assert "Filen ble avvist på grunn av 1 problem. Ingenting ble lagret." in report
    assert "<h1>Import av verdier.csv</h1>" in report
