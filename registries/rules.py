"""Who may import SKDE's indicator files from the web: the secretariat for everyone, a registry member for the
indicators of a registry they belong to."""

from typing import Any

from accounts.rules import is_member_of, is_secretariat, registry_ids


def can_import_indicators(user: Any) -> bool:
    return is_secretariat(user) or bool(registry_ids(user))


def can_import_for(user: Any, registry: Any) -> bool:
    """`registry` None is an unrestricted import (definitions, the tree, any registry's data): the secretariat's."""
    if registry is None:
        return is_secretariat(user)
    return is_secretariat(user) or is_member_of(user, registry.pk)


def can_see_import(user: Any, job: Any) -> bool:
    if is_secretariat(user):
        return True
    return job.registry_id is not None and is_member_of(user, job.registry_id)
