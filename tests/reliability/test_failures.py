"""Things that fail half-way: the database connection dropped inside a service, a worker killed inside a job, the
mail server down for the one email that does not go through the outbox (the decision letter).

The connection drop is an OperationalError raised by the audit write, after the transition has been saved inside
the service's transaction: everything must be rolled back (state, audit, outbox rows) and no after-commit side
effect may run. The outbox with the mail server down is covered in tests/core/test_outbox*.py.
"""

import smtplib
from decimal import Decimal
from unittest import mock

import pytest
from django.core import mail
from django.db import OperationalError

from audit.models import AuditEntry
from core.models import OutboxMessage
from core.tasks import render_agreement_pdf, render_final_report_pdf, send_notification
from finance.models import Payment
from grants import services as grants
from grants.decisions import render_letter
from grants.models import Application, DecisionLetter
from projects import services as projects
from projects.models import FinalReport, Project
from tests.core.mail_backends import REFUSING, WORKING
from tests.factories import ApplicationFactory, ProjectFactory, UserFactory, member_of

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _own_media(settings, tmp_path):
    """A media folder per test, so the files counted are this test's."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


DROPPED = OperationalError("server closed the connection unexpectedly")


def _counts():
    return (
        AuditEntry.objects.count(),
        OutboxMessage.objects.count(),
        Project.objects.count(),
        Payment.objects.count(),
    )


@pytest.mark.parametrize("where", ["audit.services.AuditEntry.objects.create", "core.workflow.record"])
def test_a_connection_dropped_after_the_grant_is_saved_leaves_nothing_half_done(
    where, django_capture_on_commit_callbacks
):
    app = ApplicationFactory(state="recommended")
    member_of(app.registry)
    decider = UserFactory(is_decider=True)
    before = _counts()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch(where, side_effect=DROPPED),
        pytest.raises(OperationalError),
    ):
        grants.grant(app, by=decider, granted_amount_nok=Decimal("80000"))

    assert Application.objects.values_list("state", "granted_amount_nok").get(pk=app.pk) == ("recommended", None)
    assert (_counts(), callbacks, mail.outbox) == (before, [], [])


def test_a_connection_dropped_while_terminating_cancels_no_payment(django_capture_on_commit_callbacks):
    project = ProjectFactory(state="active")
    secretariat = UserFactory(is_secretariat=True)
    real_close_out = projects.close_out
    calls = []

    def close_out_then_drop(locked):
        calls.append(real_close_out(locked))
        raise DROPPED

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch.object(projects, "close_out", close_out_then_drop),
        pytest.raises(OperationalError),
    ):
        projects.terminate(project, by=secretariat, comment="Stoppet.")

    project.refresh_from_db()
    assert (project.state, project.unspent_nok, project.closed_at) == ("active", None, None)
    assert sorted(Payment.objects.filter(project=project).values_list("state", flat=True)) == ["scheduled"] * 2
    assert (calls, callbacks, AuditEntry.objects.count()) == ([Decimal("0.00")], [], 0)


def test_a_dropped_connection_in_accept_agreement_creates_no_progress_report(django_capture_on_commit_callbacks):
    project = ProjectFactory()
    member = member_of(project.registry)

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        mock.patch("projects.agreements.stamp_acceptance", side_effect=DROPPED),
        pytest.raises(OperationalError),
    ):
        projects.accept_agreement(project, by=member)

    project.refresh_from_db()
    assert (project.state, project.agreement_accepted_at, project.progress_reports.count()) == (
        "agreement_pending",
        None,
        0,
    )
    assert set(project.payments.values_list("state", flat=True)) == {"scheduled"}
    assert (callbacks, AuditEntry.objects.count(), OutboxMessage.objects.count()) == ([], 0, 0)


# ---------------------------------------------------------------- worker killed mid-job


def _stored_files(storage, folder):
    try:
        dirs, files = storage.listdir(folder)
    except FileNotFoundError:
        return []
    return list(files) + [f for d in dirs for f in _stored_files(storage, f"{folder}/{d}")]


def test_an_agreement_job_killed_while_rendering_writes_nothing_and_the_rerun_renders_once():
    project = ProjectFactory()

    with mock.patch("core.pdf.render_pdf_template", side_effect=KeyboardInterrupt), pytest.raises(KeyboardInterrupt):
        render_agreement_pdf.call(project.pk)
    project.refresh_from_db()
    storage = project.agreement_pdf.storage
    half_way = (project.agreement_pdf.name, project.agreement_generated_at, _stored_files(storage, "agreements"))

    first = render_agreement_pdf.call(project.pk)
    again = render_agreement_pdf.call(project.pk)

    project.refresh_from_db()
    assert half_way == ("", None, [])
    assert first == again == project.agreement_pdf.name
    assert len(_stored_files(storage, "agreements")) == 1


def test_an_agreement_job_killed_after_storing_the_file_leaves_no_orphan_and_the_rerun_renders_once():
    """Killed between writing the file and saving the row (the connection dropped there): the file is removed."""
    project = ProjectFactory()

    with mock.patch.object(Project, "save", side_effect=DROPPED), pytest.raises(OperationalError):
        render_agreement_pdf.call(project.pk)
    storage = Project._meta.get_field("agreement_pdf").storage
    orphans = _stored_files(storage, "agreements")

    name = render_agreement_pdf.call(project.pk)

    assert orphans == []
    assert _stored_files(storage, "agreements") == [name.rsplit("/", 1)[-1]]


def test_a_final_report_job_killed_half_way_keeps_the_old_pdf_and_the_rerun_replaces_it_once(
    django_capture_on_commit_callbacks,
):
    project = ProjectFactory(state="final_report_submitted")
    FinalReport.objects.filter(project=project).update(sections={"summary": "Ferdig.", "results": "Bra."})
    first = render_final_report_pdf.call(project.pk)
    FinalReport.objects.filter(project=project).update(sections={"summary": "Endret.", "results": "Bra."})
    report = FinalReport.objects.get(project=project)
    storage = report.pdf.storage

    with mock.patch.object(FinalReport.objects, "filter", side_effect=DROPPED), pytest.raises(OperationalError):
        render_final_report_pdf.call(project.pk)
    report.refresh_from_db()
    half_way = (report.pdf.name, sorted(_stored_files(storage, "final_reports")))

    with django_capture_on_commit_callbacks(execute=True):  # the replaced file is deleted after the commit
        second = render_final_report_pdf.call(project.pk)
        third = render_final_report_pdf.call(project.pk)

    assert half_way == (first, [first.rsplit("/", 1)[-1]])
    assert second == third != first
    assert _stored_files(storage, "final_reports") == [second.rsplit("/", 1)[-1]]


# ---------------------------------------------------------------- the decision letter with the mail server down


def test_a_decision_letter_that_cannot_be_sent_is_sent_once_when_the_job_runs_again(settings):
    app = ApplicationFactory(state="granted", granted_amount_nok=Decimal("80000"))
    member_of(app.registry)
    render_letter(app.pk)
    settings.MAILERS = REFUSING

    with pytest.raises(smtplib.SMTPServerDisconnected):
        send_notification.call("decision_letter", app.pk)
    after_failure = DecisionLetter.objects.values_list("sent_at", flat=True).get(application=app)
    settings.MAILERS = WORKING
    sent = [send_notification.call("decision_letter", app.pk) for _ in range(2)]

    assert (after_failure, sent, len(mail.outbox)) == (None, [1, 0], 1)
    assert DecisionLetter.objects.get(application=app).sent_at is not None
