"""A page offers its viewer only actions the endpoint accepts from them: every transition button on every page a role
may open, pressed by that role (in a rolled-back savepoint), is neither refused (403/404) nor an unknown action.
A button may still meet a business rule (a comment or a review missing): that is a message, not a refusal."""

import re

import pytest
from django.contrib.messages import get_messages

from .test_matrix import _rolled_back, _url
from .web_matrix import WEB_MATRIX
from .world import ROLES, build_world, web_client

pytestmark = pytest.mark.django_db

FORM = re.compile(r'<form method="post" action="([^"]+)"[^>]*>(.*?)</form>', re.S)
BUTTON = re.compile(r'<button type="submit" name="action" value="([^"]+)"')
AMOUNT = re.compile(r'name="((?:proposed|granted)_amount_nok)" value="([^"]*)"')


def _buttons(html: str) -> list[tuple[str, dict[str, str]]]:
    """(url, form data) of each transition form: its action, a comment, and the amount the form proposes."""
    found = []
    for url, inner in FORM.findall(html):
        for action in BUTTON.findall(inner):
            found.append((url, {"action": action, "comment": "Matrise.", **dict(AMOUNT.findall(inner))}))
    return found


def _press(client, url: str, data: dict[str, str]) -> str | None:
    client.cookies.pop("messages", None)  # only this press's messages

    def send():
        response = client.post(url, data)
        texts = [str(m) for m in get_messages(response.wsgi_request)]
        return response.status_code, texts

    status, texts = _rolled_back(send)
    if status in (403, 404) or "Unknown action." in texts:
        return f"{data['action']} at {url}: {status} {texts}"
    return None


@pytest.mark.parametrize("role", ROLES[1:])
def test_every_action_button_a_page_shows_is_accepted_from_its_viewer(role):
    world = build_world()
    client = web_client(world, role)
    index = ROLES.index(role)
    pages = {_url(n, t, world.ids) for n, m, t, _b, s in WEB_MATRIX if m == "GET" and s[index] == 200}

    responses = [client.get(page) for page in sorted(pages)]
    html = [r.text for r in responses if not r.streaming]  # file downloads (PDFs) have no buttons
    buttons = {(url, tuple(sorted(data.items()))) for page in html for url, data in _buttons(page)}
    refused = [problem for url, data in sorted(buttons) if (problem := _press(client, url, dict(data)))]

    assert refused == []
