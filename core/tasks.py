"""Background work. Tasks take primary keys and re-read what they need."""

from django.tasks import task


@task()
def send_notification(kind: str, pk: int) -> int:
    from core.notifications import NOTIFICATIONS

    return NOTIFICATIONS[kind](pk)


@task()
def render_recommendation_pdf(version_pk: int) -> str:
    """The recommendation's PDF, then the decision body hears it has arrived."""
    from reviews.recommendation import render_version_pdf

    version = render_version_pdf(version_pk)
    send_notification.enqueue("recommendation_sent", version.pk)
    return version.pdf.name or ""


@task()
def deliver_decision_letter(application_pk: int) -> str:
    """The decision letter's PDF, then the email that carries it to the registry."""
    from grants.decisions import render_letter

    letter = render_letter(application_pk)
    send_notification.enqueue("decision_letter", application_pk)
    return letter.pdf.name or ""


@task()
def render_agreement_pdf(project_pk: int) -> str:
    """The grant agreement's PDF, generated once after the project is created."""
    from projects.agreements import render_agreement

    return render_agreement(project_pk).agreement_pdf.name or ""


@task()
def render_final_report_pdf(project_pk: int) -> str:
    """The final report's PDF, rendered again only when something in it changed."""
    from projects.final_reports import render

    return render(project_pk).pdf.name or ""


@task()
def build_annual_summary(file_pk: int) -> str:
    """An annual summary file (PDF, XLSX or CSV), with its progress for the page that waits for it."""
    from finance.annual_files import build

    return build(file_pk).file.name or ""


@task()
def deliver_outbox() -> int:
    """Send the outbox's due rows (queued after the commit of every transaction that adds one), then queue itself for
    the retry of any row the mail server refused."""
    from core.outbox import deliver
    from core.scheduling import schedule_retry

    sent = deliver()
    schedule_retry()
    return sent


@task()
def daily_reminders() -> None:
    """Every morning: this task again for the next morning, then `send_reminders` for today (which also delivers the
    outbox and the weekly digests). Started by `manage.py send_reminders --schedule`."""
    from django.core.management import call_command

    from core.scheduling import schedule_daily_reminders

    schedule_daily_reminders()  # first, so a failing run does not end the chain
    call_command("send_reminders")
