from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from .rules import needs_mfa

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")


class RequireMFAMiddleware:
    """Secretariat, reviewers, deciders and admins must set up a second factor before anything else."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = request.user
        if (
            settings.REQUIRE_MFA_FOR_STAFF
            and user.is_authenticated
            and not request.path.startswith(EXEMPT_PREFIXES)
            and needs_mfa(user)
            and not _has_mfa(user)
        ):
            return redirect("mfa_index")
        return self.get_response(request)


def _has_mfa(user: object) -> bool:
    from allauth.mfa.models import Authenticator

    return Authenticator.objects.filter(user=user).exclude(type=Authenticator.Type.RECOVERY_CODES).exists()
