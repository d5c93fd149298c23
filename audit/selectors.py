"""The audit trail as the secretariat searches it: filters read from a GET query, the matching entries newest first.

Anything invalid in the query is dropped (a hand-edited link gets a wider search, never an error).
"""

import re
from dataclasses import dataclass, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Self
from urllib.parse import urlencode

from django.contrib.contenttypes.models import ContentType
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone

from .models import AuditEntry

ACTION = re.compile(r"^[a-z0-9_.]{1,100}$")
OBJECT_TYPE = re.compile(r"^[a-z0-9_]{1,100}\.[a-z0-9_]{1,100}$")
MAX_TEXT = 200
# The apps whose objects the trail is about (the choices of the type filter).
APPS = ("accounts", "audit", "core", "registries", "grants", "reviews", "projects", "finance")
# Object pages a secretariat member can open, by "app_label.model".
OBJECT_PAGES = {
    "grants.application": "grants:application_detail",
    "grants.call": "grants:call_detail",
    "projects.project": "projects:project_detail",
    "accounts.user": "accounts:user_edit",
    "registries.indicatorimport": "registries:import_detail",
}


@dataclass(frozen=True)
class AuditFilters:
    actor: str = ""  # part of the actor's email
    action: str = ""  # a prefix of the dotted code
    type: str = ""  # "app_label.model"
    object: int | None = None
    since: date | None = None
    until: date | None = None
    q: str = ""  # words in the comment

    @classmethod
    def from_query(cls, query: Any) -> Self:
        def text(name: str) -> str:
            return " ".join(str(query.get(name, "") or "").split())[:MAX_TEXT]

        action, kind, obj = text("action").lower(), text("type").lower(), text("object")
        return cls(
            actor=text("actor"),
            action=action if ACTION.match(action) else "",
            type=kind if OBJECT_TYPE.match(kind) else "",
            object=int(obj) if obj.isascii() and obj.isdigit() and len(obj) < 19 else None,
            since=_date(text("since")),
            until=_date(text("until")),
            q=text("q"),
        )

    def as_query(self, **changes: Any) -> dict[str, str]:
        values = {f.name: getattr(self, f.name) for f in fields(self)} | changes
        return {name: str(value) for name, value in values.items() if value not in ("", None)}

    def urlencode(self, **changes: Any) -> str:
        return urlencode(self.as_query(**changes))

    def for_the_trail(self) -> dict[str, Any]:
        """What an export of the trail records about its filters: no typed text (an email, words of a comment)."""
        kept = {k: v for k, v in self.as_query().items() if k not in ("actor", "q")}
        return {"filters": kept, "searched": bool(self.actor or self.q)}


def _date(text: str) -> date | None:
    try:
        return date.fromisoformat(text) if len(text) == 10 else None
    except ValueError:
        return None


def _start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def entries(filters: AuditFilters) -> QuerySet[AuditEntry]:
    qs = AuditEntry.objects.select_related("actor", "content_type")
    if filters.actor:
        qs = qs.filter(actor__email__icontains=filters.actor)
    if filters.action:
        qs = qs.filter(action__startswith=filters.action)
    if filters.type:
        app_label, model = filters.type.split(".")
        qs = qs.filter(content_type__app_label=app_label, content_type__model=model)
    if filters.object is not None:
        qs = qs.filter(object_id=filters.object)
    if filters.since:
        qs = qs.filter(at__gte=_start_of(filters.since))
    if filters.until:
        qs = qs.filter(at__lt=_start_of(filters.until + timedelta(days=1)))
    for word in filters.q.split()[:8]:
        qs = qs.filter(comment__icontains=word)
    return qs.order_by("-at", "-id")


def object_types() -> list[tuple[str, str]]:
    """("app_label.model", its name) of every kind of object the trail can be about (one query)."""
    types = ContentType.objects.filter(app_label__in=APPS).order_by("app_label", "model")
    return [(f"{ct.app_label}.{ct.model}", _type_name(ct)) for ct in types]


def _type_name(ct: ContentType) -> str:
    model = ct.model_class()
    return str(model._meta.verbose_name).capitalize() if model else f"{ct.app_label}.{ct.model}"


def object_links(page_entries: list[AuditEntry], user: Any) -> dict[tuple[int, int], str]:
    """(content type id, object id) → the object's page, for the objects on this page that `user` may open.
    One query per kind of object that has a visibility rule (applications, projects); the others are the
    secretariat's to see."""
    from grants.selectors import applications_visible_to
    from projects.selectors import projects_visible_to

    wanted: dict[str, set[int]] = {}
    for entry in page_entries:
        label = f"{entry.content_type.app_label}.{entry.content_type.model}"
        if label in OBJECT_PAGES:
            wanted.setdefault(label, set()).add(entry.object_id)
    visible = dict(wanted)
    if "grants.application" in wanted:
        apps = applications_visible_to(user).filter(pk__in=wanted["grants.application"])
        visible["grants.application"] = set(apps.values_list("pk", flat=True))
    if "projects.project" in wanted:
        projects = projects_visible_to(user).filter(pk__in=wanted["projects.project"])
        visible["projects.project"] = set(projects.values_list("pk", flat=True))
    links = {}
    for entry in page_entries:
        label = f"{entry.content_type.app_label}.{entry.content_type.model}"
        if entry.object_id in visible.get(label, ()):
            links[(entry.content_type_id, entry.object_id)] = reverse(OBJECT_PAGES[label], args=[entry.object_id])
    return links
