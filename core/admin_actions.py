"""Admin actions that change states only through the services (never by editing the state field)."""

from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest

from core.exceptions import DomainError
from core.labels import action_label


def transition_action(name: str, service: Callable[..., Any]) -> Callable[..., None]:
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> None:
        done = 0
        for obj in queryset:
            try:
                service(obj, by=request.user, comment="(admin)")
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{obj}: {getattr(exc, 'message', exc)}", messages.ERROR)
        if done:
            modeladmin.message_user(request, f"{action_label(name)}: {done}", messages.SUCCESS)

    action.__name__ = f"fire_{name}"
    action.short_description = action_label(name)  # type: ignore[attr-defined]
    return action
