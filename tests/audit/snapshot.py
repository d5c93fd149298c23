"""Every row of every table as comparable JSON, ordered by primary key (run in a restored database's process too).

Content types and permissions are made by migrate in each database with their own ids, so references to them are
compared by their natural keys; their own tables are not compared.
"""

import json
import sys
from datetime import datetime, time

from django.apps import apps
from django.core.serializers.json import DjangoJSONEncoder

SKIPPED = {"contenttypes.contenttype", "auth.permission", "sessions.session"}


def _natural(field, value):
    if isinstance(value, (datetime, time)):
        # A backup holds times to the millisecond (Django's JSON serialisation); compare at that precision, the
        # same way on both sides (the encoder writes ".000" for 0.5 ms but nothing for 0 µs).
        return value.replace(microsecond=value.microsecond // 1000 * 1000)
    if value is None or not field.is_relation:
        return value
    label = field.related_model._meta.label_lower
    if label == "contenttypes.contenttype":
        ct = field.related_model.objects.get_for_id(value)
        return f"{ct.app_label}.{ct.model}"
    if label == "auth.permission":
        perm = field.related_model.objects.select_related("content_type").get(pk=value)
        return f"{perm.content_type.app_label}.{perm.codename}"
    return value


def snapshot() -> dict:
    tables = {}
    for model in apps.get_models(include_auto_created=True):
        if model._meta.label_lower in SKIPPED:
            continue
        fields = model._meta.concrete_fields
        rows = model._base_manager.order_by("pk").values_list(*[f.attname for f in fields])
        tables[model._meta.label] = [[_natural(f, v) for f, v in zip(fields, row, strict=True)] for row in rows]
    return json.loads(json.dumps(tables, cls=DjangoJSONEncoder, sort_keys=True))


def main() -> None:
    json.dump(snapshot(), sys.stdout)
