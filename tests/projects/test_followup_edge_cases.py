import pytest
from django.utils import timezone

from core.exceptions import ActionRefused, InvalidTransition
from grants import services as grant_services
from projects import services
from projects.models import FinalReport
from tests.factories import ApplicationFactory, CallFactory, MilestoneFactory, ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


def test_reporting_a_milestone_of_a_project_that_is_not_active_is_invalid_transition():
    milestone = MilestoneFactory(project=ProjectFactory(state="agreement_pending"))
    member = member_of(milestone.project.registry)

    with pytest.raises(InvalidTransition):
        services.report_milestone(milestone, by=member, text="Ferdig")

    milestone.refresh_from_db()
    assert milestone.state == "planned"


def test_returning_the_final_report_reopens_it_for_writing():
    project = ProjectFactory(state="final_report_submitted")
    FinalReport.objects.filter(project=project).update(submitted_at=timezone.now())

    services.return_final_report(project, by=UserFactory(is_secretariat=True), comment="Mangler resultater")

    assert FinalReport.objects.get(project=project).submitted_at is None


def test_submitting_to_a_call_closed_before_its_deadline_says_it_is_closed():
    call = CallFactory(state="closed")
    app = ApplicationFactory(call=call)

    with pytest.raises(ActionRefused) as exc:
        grant_services.submit_application(app, by=member_of(app.registry))

    assert exc.value.message == "This call is closed; applications can no longer be submitted."
    assert exc.value.errors == {"call": ["This call is closed; applications can no longer be submitted."]}
