"""Every transition fired twice at once leaves exactly one result: one call wins, the other gets InvalidTransition,
and the audit trail has exactly one entry for it.

The table below has one row per transition service: a setup that builds the object in a source state with the
people needed, and the service call. A new transition is one new row.

PostgreSQL: the two calls run in threads released together, each with its own connection (tests/race.py), so the
rows must be committed (transaction=True). core.workflow.fire locks the row with SELECT ... FOR UPDATE before it
checks the state, so the second call waits for the first to commit, then sees the new state.

SQLite has no row locks: a writer takes the whole database (settings: transaction_mode IMMEDIATE, so the lock is
taken at BEGIN, before the state is read, and a busy timeout makes the other writer wait). The test database is a
file (settings, under TESTING), so the second thread waits for the first to commit and then finds the new state:
the same race runs on both databases. The stale-copy test below adds the case of two callers that read the object
before either fired (two tabs).
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType

from audit.models import AuditEntry
from core.exceptions import InvalidTransition
from finance import services as finance
from grants import services as grants
from projects import changes, progress
from projects import services as projects
from projects.models import ChangeRequest, FinalReport, ProgressReport
from reviews import services as reviews
from reviews.models import ReviewRound
from tests.factories import (
    ApplicationFactory,
    CallFactory,
    MilestoneFactory,
    PaymentFactory,
    ProjectFactory,
    ReviewFactory,
    UserFactory,
    member_of,
)
from tests.race import POSTGRES_RACE, race

SEC = "secretariat"


@dataclass(frozen=True)
class Fire:
    action: str  # the audit action of the transition
    setup: Callable[[dict], Any]  # builds the object in its source state; `people` holds secretariat/decider
    call: Callable[[Any, dict], Any]  # fires the service on a fresh copy


def _people() -> dict:
    return {SEC: UserFactory(is_secretariat=True), "decider": UserFactory(is_decider=True)}


def _app(state, **kw):
    return lambda people: _with_member(ApplicationFactory(state=state, **kw), people)


def _with_member(obj, people, registry=None):
    people["member"] = member_of(registry or obj.registry)
    return obj


def _assessable(people):
    app = ApplicationFactory(state="in_review")
    ReviewFactory(application=app, state="submitted")
    return app


def _review(state):
    def setup(people):
        review = ReviewFactory(state=state)
        people["reviewer"] = review.reviewer
        return review

    return setup


def _round(phase):
    return lambda people: ReviewRound.objects.create(call=CallFactory(state="closed"), phase=phase)


def _project(state, sections=False):
    def setup(people):
        project = ProjectFactory(state=state)
        if sections:
            FinalReport.objects.filter(project=project).update(sections={"summary": "Ferdig.", "results": "Bra."})
        return _with_member(project, people, project.registry)

    return setup


def _milestone(state):
    def setup(people):
        milestone = MilestoneFactory(state=state, report_text="Gjort." if state != "planned" else "")
        return _with_member(milestone, people, milestone.project.registry)

    return setup


def _progress(state):
    def setup(people):
        project = ProjectFactory(state="active")
        _with_member(project, people, project.registry)
        return ProgressReport.objects.create(
            project=project,
            number=1,
            period_start=date(2027, 1, 1),
            period_end=date(2027, 6, 30),
            due_date=date(2027, 7, 31),
            summary="Godt i gang.",
            state=state,
        )

    return setup


def _change(people):
    project = ProjectFactory(state="active")
    _with_member(project, people, project.registry)
    return ChangeRequest.objects.create(
        project=project,
        kind="extension",
        proposal={"end_date": "2028-06-30", "final_report_due": "2028-09-30"},
        reason="Forsinket.",
        created_by=people["member"],
    )


def _payment(state):
    return lambda people: PaymentFactory(state=state)


WHY = "Begrunnelse."
YESTERDAY = date.today() - timedelta(days=1)

TRANSITIONS = {
    # calls
    "call-open": Fire(
        "grants.call.open", lambda p: CallFactory(state="draft"), lambda o, p: grants.open_call(o, by=p[SEC])
    ),
    "call-close": Fire(
        "grants.call.close", lambda p: CallFactory(state="open"), lambda o, p: grants.close_call(o, by=p[SEC])
    ),
    "call-decide": Fire(
        "grants.call.decide", lambda p: CallFactory(state="closed"), lambda o, p: grants.decide_call(o, by=p[SEC])
    ),
    # applications
    "application-submit": Fire(
        "grants.application.submit", _app("draft"), lambda o, p: grants.submit_application(o, by=p["member"])
    ),
    "application-withdraw": Fire(
        "grants.application.withdraw", _app("submitted"), lambda o, p: grants.withdraw_application(o, by=p["member"])
    ),
    "application-request_changes": Fire(
        "grants.application.request_changes",
        _app("submitted"),
        lambda o, p: grants.request_changes(o, by=p[SEC], comment=WHY),
    ),
    "application-resubmit": Fire(
        "grants.application.resubmit",
        _app("changes_requested"),
        lambda o, p: grants.resubmit_application(o, by=p["member"]),
    ),
    "application-mark_ineligible": Fire(
        "grants.application.mark_ineligible",
        _app("submitted"),
        lambda o, p: grants.mark_ineligible(o, by=p[SEC], comment=WHY),
    ),
    "application-send_to_review": Fire(
        "grants.application.send_to_review", _app("submitted"), lambda o, p: grants.send_to_review(o, by=p[SEC])
    ),
    "application-complete_assessment": Fire(
        "grants.application.complete_assessment", _assessable, lambda o, p: grants.complete_assessment(o, by=p[SEC])
    ),
    "application-recommend": Fire(
        "grants.application.recommend",
        _app("assessed"),
        lambda o, p: grants.recommend(o, by=p[SEC], proposed_amount_nok=Decimal("80000")),
    ),
    "application-not_recommend": Fire(
        "grants.application.not_recommend",
        _app("assessed"),
        lambda o, p: grants.not_recommend(o, by=p[SEC], comment=WHY),
    ),
    "application-grant": Fire(
        "grants.application.grant",
        _app("recommended"),
        lambda o, p: grants.grant(o, by=p["decider"], granted_amount_nok=Decimal("80000")),
    ),
    "application-reject": Fire(
        "grants.application.reject", _app("not_recommended"), lambda o, p: grants.reject(o, by=p["decider"])
    ),
    # reviews and review rounds
    "review-submit": Fire(
        "reviews.review.submit", _review("draft"), lambda o, p: reviews.submit_review(o.application, by=p["reviewer"])
    ),
    "review-reopen": Fire(
        "reviews.review.reopen", _review("submitted"), lambda o, p: reviews.reopen_review(o, by=p[SEC])
    ),
    "round-start_discussion": Fire(
        "reviews.reviewround.start_discussion",
        _round("independent"),
        lambda o, p: reviews.start_discussion(o.call, by=p[SEC]),
    ),
    "round-close_review": Fire(
        "reviews.reviewround.close_review", _round("discussion"), lambda o, p: reviews.close_review(o.call, by=p[SEC])
    ),
    "round-back_to_independent": Fire(
        "reviews.reviewround.back_to_independent",
        _round("discussion"),
        lambda o, p: reviews.back_to_independent(o.call, by=p[SEC]),
    ),
    # projects
    "project-accept_agreement": Fire(
        "projects.project.accept_agreement",
        _project("agreement_pending"),
        lambda o, p: projects.accept_agreement(o, by=p["member"]),
    ),
    "project-submit_final_report": Fire(
        "projects.project.submit_final_report",
        _project("active", sections=True),
        lambda o, p: projects.submit_final_report(o, by=p["member"]),
    ),
    "project-approve_final_report": Fire(
        "projects.project.approve_final_report",
        _project("final_report_submitted", sections=True),
        lambda o, p: projects.approve_final_report(o, by=p[SEC]),
    ),
    "project-return_final_report": Fire(
        "projects.project.return_final_report",
        _project("final_report_submitted", sections=True),
        lambda o, p: projects.return_final_report(o, by=p[SEC], comment=WHY),
    ),
    "project-terminate": Fire(
        "projects.project.terminate", _project("active"), lambda o, p: projects.terminate(o, by=p[SEC], comment=WHY)
    ),
    # milestones
    "milestone-report": Fire(
        "projects.milestone.report",
        _milestone("planned"),
        lambda o, p: projects.report_milestone(o, by=p["member"], text="Gjort."),
    ),
    "milestone-approve": Fire(
        "projects.milestone.approve", _milestone("reported"), lambda o, p: projects.approve_milestone(o, by=p[SEC])
    ),
    "milestone-request_revision": Fire(
        "projects.milestone.request_revision",
        _milestone("reported"),
        lambda o, p: projects.request_milestone_revision(o, by=p[SEC], comment=WHY),
    ),
    # progress reports
    "progress-submit": Fire(
        "projects.progressreport.submit",
        _progress("due"),
        lambda o, p: progress.submit_progress_report(o, by=p["member"]),
    ),
    "progress-approve": Fire(
        "projects.progressreport.approve",
        _progress("submitted"),
        lambda o, p: progress.approve_progress_report(o, by=p[SEC]),
    ),
    "progress-return_report": Fire(
        "projects.progressreport.return_report",
        _progress("submitted"),
        lambda o, p: progress.return_progress_report(o, by=p[SEC], comment=WHY),
    ),
    # change requests
    "change-approve": Fire(
        "projects.changerequest.approve", _change, lambda o, p: changes.approve_change(o, by=p[SEC], comment=WHY)
    ),
    "change-refuse": Fire(
        "projects.changerequest.refuse", _change, lambda o, p: changes.refuse_change(o, by=p[SEC], comment=WHY)
    ),
    "change-withdraw": Fire(
        "projects.changerequest.withdraw", _change, lambda o, p: changes.withdraw_change(o, by=p["member"])
    ),
    # payments
    "payment-approve": Fire(
        "finance.payment.approve", _payment("due"), lambda o, p: finance.approve_payment(o, by=p[SEC])
    ),
    "payment-pay": Fire(
        "finance.payment.pay",
        _payment("approved"),
        lambda o, p: finance.mark_paid(o, by=p[SEC], reference="BILAG-7", paid_on=YESTERDAY),
    ),
    "payment-cancel": Fire(
        "finance.payment.cancel", _payment("due"), lambda o, p: finance.cancel_payment(o, by=p[SEC], comment=WHY)
    ),
}


def _entries(action: str, obj: Any) -> int:
    ct = ContentType.objects.get_for_model(obj)
    return AuditEntry.objects.filter(action=action, content_type=ct, object_id=obj.pk).count()


def _fresh(obj: Any) -> Any:
    return type(obj)._default_manager.get(pk=obj.pk)


def _check_one_result(results: list, row: Fire, obj: Any) -> None:
    winners = [r for r in results if isinstance(r, type(obj))]
    losers = [r for r in results if isinstance(r, InvalidTransition)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert _entries(row.action, obj) == 1


def _state(obj: Any) -> str:
    field = "phase" if isinstance(obj, ReviewRound) else "state"
    return getattr(_fresh(obj), field)


@pytest.mark.parametrize("name", [pytest.param(name, marks=POSTGRES_RACE) for name in TRANSITIONS])
def test_two_fires_at_once_leave_one_result(name):
    row = TRANSITIONS[name]
    people = _people()
    obj = row.setup(people)

    results = race(lambda: row.call(_fresh(obj), people), lambda: row.call(_fresh(obj), people))

    _check_one_result(results, row, obj)
    winner = next(r for r in results if isinstance(r, type(obj)))
    assert _state(obj) == getattr(winner, "phase" if isinstance(obj, ReviewRound) else "state")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(TRANSITIONS))
def test_two_fires_from_the_same_stale_copy_leave_one_result(name):
    """Both callers hold the object as it was before either fired (two tabs, or two requests that read it before
    the write lock was taken): the second one is refused and nothing is recorded twice. On SQLite this is what
    its whole-database write lock makes of two simultaneous calls; on PostgreSQL the row lock does the same."""
    row = TRANSITIONS[name]
    people = _people()
    obj = row.setup(people)
    first_copy, second_copy = _fresh(obj), _fresh(obj)

    results = []
    for copy in (first_copy, second_copy):
        try:
            results.append(row.call(copy, people))
        except InvalidTransition as exc:
            results.append(exc)

    assert isinstance(results[0], type(obj)) and isinstance(results[1], InvalidTransition), results
    assert _entries(row.action, obj) == 1


def test_the_table_covers_every_transition_service():
    """A new transition service needs a row here (the names are those the API and the web forms fire)."""
    from finance.services import PAYMENT_ACTIONS
    from grants.services import APPLICATION_ACTIONS, CALL_ACTIONS
    from projects.changes import CHANGE_ACTIONS
    from projects.progress import PROGRESS_ACTIONS
    from projects.services import MILESTONE_ACTIONS, PROJECT_ACTIONS
    from reviews.services import ROUND_ACTIONS

    expected = (
        {f"call-{n}" for n in CALL_ACTIONS}
        | {f"application-{n}" for n in APPLICATION_ACTIONS}
        | {f"round-{n}" for n in ROUND_ACTIONS}
        | {"review-submit", "review-reopen", "milestone-report"}
        | {f"project-{n}" for n in PROJECT_ACTIONS}
        | {f"milestone-{n}" for n in MILESTONE_ACTIONS}
        | {f"progress-{n}" for n in PROGRESS_ACTIONS}
        | {f"change-{n}" for n in CHANGE_ACTIONS}
        | {f"payment-{n}" for n in PAYMENT_ACTIONS}
    )
    assert set(TRANSITIONS) == expected
