"""Cases the state machine (test_lifecycle_machine.py) found, kept as plain examples so they never come back."""

from datetime import date
from decimal import Decimal

import pytest

from finance.models import Payment
from projects import progress
from projects import services as projects
from projects.models import Milestone, ProgressReport
from tests.factories import ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def test_a_milestone_payment_whose_milestone_was_never_approved_falls_due_with_the_final_report():
    project = ProjectFactory(state="final_report_submitted", children=False)
    milestone = Milestone.objects.create(project=project, title="Uttrekk", due_date=date(2027, 6, 30), state="reported")
    payment = Payment.objects.create(
        project=project, amount_nok=Decimal("90000.00"), trigger="milestone", milestone=milestone
    )

    projects.approve_final_report(project, by=UserFactory(is_secretariat=True))

    assert Payment.objects.values_list("state", flat=True).get(pk=payment.pk) == "due"


def test_spending_approved_after_close_out_updates_what_must_be_returned():
    project = ProjectFactory(state="active", children=False)
    member, secretariat = member_of(project.registry), UserFactory(is_secretariat=True)
    Payment.objects.create(project=project, amount_nok=Decimal("90000.00"), trigger="agreement", state="paid")
    report = ProgressReport.objects.create(
        project=project,
        number=1,
        period_start=date(2027, 1, 1),
        period_end=date(2027, 6, 30),
        due_date=date(2027, 7, 31),
        summary="Godt i gang.",
        spending=[{"category": "salary", "year": 2027, "amount_nok": "30000.00"}],
    )
    progress.submit_progress_report(report, by=member)
    projects.terminate(project, by=secretariat, comment="Stoppet.")
    unspent_at_termination = type(project).objects.values_list("unspent_nok", flat=True).get(pk=project.pk)

    progress.approve_progress_report(report, by=secretariat)

    project.refresh_from_db()
    assert (unspent_at_termination, project.unspent_nok) == (Decimal("90000.00"), Decimal("60000.00"))
