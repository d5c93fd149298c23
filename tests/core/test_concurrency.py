"""Two people fire the same transition at the same moment: exactly one wins, once.

core.workflow.fire locks the row (SELECT ... FOR UPDATE) before it checks the state, so the second request waits,
then sees the new state and gets InvalidTransition. Each thread has its own database connection (Django's are per
thread), so the test needs committed data: transaction=True. On PostgreSQL the flush after such a test is a
TRUNCATE, which the audit trail's row trigger does not see (tests/audit/test_flush_between_tests.py checks it).
"""

from decimal import Decimal

from django.core import mail

from audit.models import AuditEntry
from finance.models import Payment
from grants import services as grants
from grants.models import Application
from projects import services as projects
from projects.models import Project
from reviews import services as reviews
from reviews.models import Assignment
from tests.factories import ApplicationFactory, ProjectFactory, UserFactory, member_of, reviewer_for
from tests.race import POSTGRES_RACE, race

pytestmark = POSTGRES_RACE


def _outcome(results):
    return sorted(type(r).__name__ for r in results)


def _entries(action):
    return AuditEntry.objects.filter(action=action).count()


def test_send_to_review_twice_at_once_moves_it_once():
    app = ApplicationFactory(state="submitted")
    first, second = UserFactory(is_secretariat=True), UserFactory(is_secretariat=True)

    results = race(
        lambda: grants.send_to_review(Application.objects.get(pk=app.pk), by=first),
        lambda: grants.send_to_review(Application.objects.get(pk=app.pk), by=second),
    )

    assert _outcome(results) == ["Application", "InvalidTransition"]
    assert Application.objects.get(pk=app.pk).state == "in_review"
    assert _entries("grants.application.send_to_review") == 1


def test_grant_twice_at_once_creates_one_project_and_one_letter():
    app = ApplicationFactory(state="recommended")
    member_of(app.registry)
    first, second = UserFactory(is_decider=True), UserFactory(is_decider=True)

    results = race(
        lambda: grants.grant(Application.objects.get(pk=app.pk), by=first, granted_amount_nok=Decimal("90000")),
        lambda: grants.grant(Application.objects.get(pk=app.pk), by=second, granted_amount_nok=Decimal("85000")),
    )

    assert _outcome(results) == ["Application", "InvalidTransition"]
    winner = next(r for r in results if isinstance(r, Application))
    assert Project.objects.get().granted_amount_nok == winner.granted_amount_nok
    assert Payment.objects.count() == 2
    assert (_entries("grants.application.grant"), _entries("projects.project.create")) == (1, 1)
    assert len(mail.outbox) == 1


def test_withdraw_and_grant_at_once_leave_one_consistent_outcome():
    app = ApplicationFactory(state="recommended")
    applicant, decider = member_of(app.registry), UserFactory(is_decider=True)

    results = race(
        lambda: grants.withdraw_application(Application.objects.get(pk=app.pk), by=applicant),
        lambda: grants.grant(Application.objects.get(pk=app.pk), by=decider, granted_amount_nok=Decimal("90000")),
    )

    assert _outcome(results) == ["Application", "InvalidTransition"]
    state = Application.objects.get(pk=app.pk).state
    assert Project.objects.count() == (1 if state == "granted" else 0)
    assert list(
        AuditEntry.objects.filter(action__startswith="grants.application.").values_list("target", flat=True)
    ) == [state]


def test_accept_agreement_twice_at_once_makes_the_payment_due_once():
    project = ProjectFactory()
    member = member_of(project.registry)

    results = race(
        lambda: projects.accept_agreement(Project.objects.get(pk=project.pk), by=member),
        lambda: projects.accept_agreement(Project.objects.get(pk=project.pk), by=member),
    )

    assert _outcome(results) == ["InvalidTransition", "Project"]
    assert _entries("finance.payment.become_due") == 1


def test_assigning_the_same_reviewer_twice_at_once_assigns_once():
    app = ApplicationFactory(state="in_review")
    reviewer = reviewer_for(app.call.scheme)
    first, second = UserFactory(is_secretariat=True), UserFactory(is_secretariat=True)

    results = race(
        lambda: reviews.assign_reviewer(Application.objects.get(pk=app.pk), by=first, reviewer=reviewer),
        lambda: reviews.assign_reviewer(Application.objects.get(pk=app.pk), by=second, reviewer=reviewer),
    )

    assert _outcome(results) == ["ActionRefused", "Assignment"]
    assert Assignment.objects.count() == 1
    assert _entries("reviews.assignment.create") == 1
    assert len(mail.outbox) == 1
