from collections.abc import Callable
from functools import partial

from django.db import transaction


def after_commit(kind: str) -> Callable[[int], None]:
    """An on_commit callback that queues notification `kind` for the given primary key."""

    def enqueue(pk: int) -> None:
        from core.tasks import send_notification

        send_notification.enqueue(kind, pk)

    enqueue.__name__ = f"notify_{kind}"
    return enqueue


def schedule(kind: str, pk: int) -> None:
    transaction.on_commit(partial(after_commit(kind), pk))
