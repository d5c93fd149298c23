"""Background work. Tasks take primary keys and re-read what they need."""

from django.tasks import task


@task()
def send_notification(kind: str, pk: int) -> int:
    from core.notifications import NOTIFICATIONS

    return NOTIFICATIONS[kind](pk)
