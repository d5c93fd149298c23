"""The one way a lifecycle moves: lock, check, transition, save, audit, then side effects after commit."""

from collections.abc import Callable, Iterable
from functools import partial
from typing import Any

from django.db import models, transaction
from django.utils.translation import gettext as _
from django_fsm import can_proceed, has_transition_perm

from audit.services import record

from .exceptions import InvalidTransition, NotPermitted


def fire[M: models.Model](
    obj: M,
    name: str,
    *,
    by: Any,
    comment: str = "",
    check: Callable[[M], None] | None = None,
    kwargs: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
    after: Callable[[M], object] | None = None,
    on_commit: Iterable[Callable[[int], Any]] = (),
    field: str = "state",
) -> M:
    """Fire transition `name` on a fresh, locked copy of `obj` and return it.

    `check` may raise ActionRefused after state and permission are known to be right; `after` runs inside the
    transaction once the row is saved (e.g. create the project of a granted application); `on_commit`
    callables get the primary key once the transaction has committed.
    """
    model = type(obj)
    with transaction.atomic():
        locked = model._default_manager.select_for_update().get(pk=obj.pk)
        method = getattr(locked, name, None)
        if method is None or not hasattr(method, "_django_fsm"):
            raise InvalidTransition(_("Unknown action “%(name)s”.") % {"name": name})
        source = getattr(locked, field)
        if not can_proceed(method):
            from .labels import STATE_LABELS, action_label

            # Labels, not codes: this sentence is shown to people (the API's 409 carries it as its detail).
            raise InvalidTransition(
                _("“%(name)s” is not possible while the state is “%(state)s”.")
                % {"name": action_label(name), "state": STATE_LABELS.get(source, source)}
            )
        if not has_transition_perm(method, by):
            raise NotPermitted()
        if check is not None:
            check(locked)
        method(**(kwargs or {}))
        locked.save()
        action = f"{model._meta.app_label}.{model._meta.model_name}.{name}"
        record(locked, action, actor=by, source=source, target=getattr(locked, field), comment=comment, data=data)
        if after is not None:
            after(locked)
        for callback in on_commit:
            transaction.on_commit(partial(callback, locked.pk))
    return locked


def available_transitions(obj: models.Model, user: Any, field: str = "state") -> list[str]:
    getter = getattr(obj, f"get_available_user_{field}_transitions")
    return [t.name for t in getter(user)]
