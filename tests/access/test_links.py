"""A page links only to what its viewer may open: every internal link on every page of the matrix that a role gets
(200) answers 200 to that role too. A dead link by access is a leak of existence at best and a 404 at worst."""

import re

import pytest

from .test_matrix import _url
from .web_matrix import WEB_MATRIX
from .world import ROLES, build_world, web_client

pytestmark = pytest.mark.django_db

HREF = re.compile(r'href="(/[^"#?]*)')
# Not ours to follow: static files, allauth's pages, the admin, set_language.
FOREIGN = ("/static/", "/accounts/", "/admin/", "/i18n/")
RANKING = "reviews:ranking"


def _pages(role: str, names: set[str] | None = None) -> list[tuple[str, str]]:
    index = ROLES.index(role)
    return [
        (name, target)
        for name, method, target, _body, statuses in WEB_MATRIX
        if method == "GET" and statuses[index] == 200 and (names is None or name in names)
    ]


def _dead_links(role: str, pages: list[tuple[str, str]]) -> list[str]:
    world = build_world()
    client = web_client(world, role)
    answers: dict[str, int] = {}
    dead = []
    for name, target in pages:
        response = client.get(_url(name, target, world.ids))
        if response.streaming:  # a file download (a PDF), not a page with links
            continue
        html = response.content.decode()
        for href in sorted(set(HREF.findall(html))):
            if not href.startswith(FOREIGN):
                answers.setdefault(href, client.get(href).status_code)
                if answers[href] != 200:
                    dead.append(f"{role} on {name} {target}: {href} answers {answers[href]}")
    return dead


@pytest.mark.parametrize("role", ROLES[1:])
def test_every_link_on_a_page_opens_for_its_viewer(role):
    pages = [(name, target) for name, target in _pages(role) if name != RANKING]

    assert _dead_links(role, pages) == []


@pytest.mark.parametrize("role", ["reviewer", "unassigned", "conflicted"])
def test_the_ranking_links_an_expert_group_member_only_to_applications_they_may_open(role):
    assert _dead_links(role, _pages(role, {RANKING})) == []
