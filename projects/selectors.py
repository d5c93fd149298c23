from typing import Any

from django.db.models import QuerySet

from accounts.rules import is_secretariat, registry_ids

from .models import Project


def projects_visible_to(user: Any) -> QuerySet[Project]:
    if not user.is_authenticated:
        return Project.objects.none()
    if is_secretariat(user):
        return Project.objects.all()
    return Project.objects.filter(registry_id__in=registry_ids(user))
