"""In a real browser: a reviewer's draft saves itself as they score and type, under the strict CSP."""

import re

import pytest
from playwright.sync_api import expect

from reviews.models import Review
from tests.factories import AssignmentFactory, reviewer_for

from .test_application_flow import log_in, verified

pytestmark = pytest.mark.browser


@pytest.fixture
def assignment(live_server):
    assignment = AssignmentFactory(application__title="Bedre dekningsgrad")
    app = assignment.application
    app.call.criteria.filter(code="methodology").update(anchors={"6": "Svært god metode"})
    reviewer = reviewer_for(app.call.scheme, email="fagfelle@example.no", full_name="Fia Fagfelle")
    verified(reviewer)
    assignment.reviewer = reviewer
    assignment.save()
    return assignment


def test_the_review_draft_saves_itself_while_the_reviewer_scores_and_types(page, assignment, browser_log):
    # Arrange
    log_in(page, "fagfelle@example.no")
    page.goto(f"/applications/{assignment.application_id}/")
    status = page.locator("#autosave-status")

    # Act: choose a score by its anchored description and type a comment; do not press Save.
    page.get_by_label("6 – Svært god metode").check()
    page.locator("#review-comment").press_sequentially("Godt beskrevet uttrekk.")

    # Assert: the status says saved, and after a reload both are still there.
    expect(status).to_have_text(re.compile(r"^Draft saved \d\d:\d\d:\d\d\s*$"), timeout=10_000)
    page.reload()
    expect(page.get_by_label("6 – Svært god metode")).to_be_checked()
    expect(page.locator("#review-comment")).to_have_value("Godt beskrevet uttrekk.")
    review = Review.objects.get(reviewer__email="fagfelle@example.no")
    assert (review.state, review.comment, list(review.scores.values_list("criterion__code", "value"))) == (
        "draft",
        "Godt beskrevet uttrekk.",
        [("methodology", 6)],
    )
    assert (browser_log.csp, browser_log.errors) == ([], [])
