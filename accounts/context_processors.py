from django.conf import settings
from django.http import HttpRequest

from . import rules
from .enums import Role


def roles(request: HttpRequest) -> dict:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"user_roles": [], "mfa_relaxed": not settings.REQUIRE_MFA_FOR_STAFF}
    return {
        "user_roles": [str(Role(r).label) for r in rules.roles(user)],
        "is_secretariat": rules.is_secretariat(user),
        "is_decider": rules.is_decider(user),
        "mfa_relaxed": not settings.REQUIRE_MFA_FOR_STAFF,
    }
