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
