import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import SESSION_KEY, logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from .rules import needs_mfa

EXEMPT_PREFIXES = ("/accounts/", "/static/", "/i18n/", "/api/")

# Session keys: when the user logged in and when they were last active (seconds since the epoch).
LOGIN_AT = "rg_login_at"
LAST_ACTIVITY = "rg_last_activity"
# The last activity is written at most this often, so an ordinary request does not write the session.
ACTIVITY_RESOLUTION_SECONDS = 60


def stamp_login(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    """On every login (allauth's, the admin's through allauth, a test client's force_login)."""
    if request is not None and hasattr(request, "session"):
        now = time.time()
        request.session[LOGIN_AT] = now
        request.session[LAST_ACTIVITY] = now


class SessionLifetimeMiddleware:
    """Ends a session SESSION_IDLE_SECONDS after its last request and SESSION_MAX_AGE_SECONDS after login, however
    active: logs out and sends to the login page with a message. A session from before these stamps existed is
    stamped on its next request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.user.is_authenticated:
            if SESSION_KEY in request.session:
                # Its user was deactivated: drop the session, so reactivating the account does not revive it.
                request.session.flush()
        else:
            now = time.time()
            session = request.session
            login_at = session.get(LOGIN_AT)
            last = session.get(LAST_ACTIVITY)
            if login_at is None or last is None:
                session.setdefault(LOGIN_AT, now)
                session[LAST_ACTIVITY] = now
            elif now - login_at >= settings.SESSION_MAX_AGE_SECONDS:
                return _end(request, _("Your session has ended: please log in again."))
            elif now - last >= settings.SESSION_IDLE_SECONDS:
                return _end(request, _("You were logged out after a period without activity. Please log in again."))
            elif now - last >= ACTIVITY_RESOLUTION_SECONDS:
                session[LAST_ACTIVITY] = now
        return self.get_response(request)


def _end(request: HttpRequest, message: str) -> HttpResponse:
    logout(request)
    messages.info(request, message)
    return redirect_to_login(request.get_full_path())


class RequireMFAMiddleware:
    """Secretariat, reviewers, deciders and admins (staff too) must set up a second factor before anything else,
    the Django admin included."""

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
