"""The UI speaks Norwegian Bokmål by default and English on request.

The Norwegian strings come from locale/nb/LC_MESSAGES/django.mo, which is not committed: `make test` compiles it
(compilemessages) before pytest runs.
"""

from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from pytest_django.asserts import assertContains, assertNotContains

from tests.factories import RegistryFactory, member_of

MO_FILE = Path(django_settings.LOCALE_PATHS[0]) / "nb" / "LC_MESSAGES" / "django.mo"

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        not MO_FILE.exists(),
        reason=f"{MO_FILE} is missing: run `make messages` (manage.py compilemessages --ignore=.venv) first",
    ),
]


def nav_link(label: str) -> str:
    return f'<a href="{reverse("grants:call_list")}">{label}</a>'


@pytest.fixture
def norwegian_default(settings):
    # tests/conftest.py makes every test English; this one checks the real default.
    settings.LANGUAGE_CODE = "nb"


def test_dashboard_is_norwegian_by_default(client, norwegian_default):
    client.force_login(member_of(RegistryFactory()))

    response = client.get("/")

    assertContains(response, '<html lang="nb">')
    assertContains(response, nav_link("Utlysninger"))
    assertContains(response, "Åpne utlysninger")
    assertNotContains(response, nav_link("Calls"))


def test_dashboard_switches_to_english_via_setlang(client, norwegian_default):
    client.force_login(member_of(RegistryFactory()))

    switched = client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    response = client.get("/")

    assert switched.status_code == 302
    assert switched["Location"] == "/"
    assert client.cookies[django_settings.LANGUAGE_COOKIE_NAME].value == "en"
    assertContains(response, '<html lang="en">')
    assertContains(response, nav_link("Calls"))
    assertContains(response, "Open calls")
    assertNotContains(response, nav_link("Utlysninger"))
