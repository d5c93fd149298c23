"""Erasure of a person (GDPR art. 17, within what the archive and the audit trail must keep).

The account row stays, pseudonymised: the audit trail points at it (append-only, PROTECT) and keeps saying that
"Erased person 12" did what they did; who that was is no longer in the database. Everything else that is only about
the person goes: login (password, email addresses, MFA, API tokens, sessions, the calendar address), memberships,
notification settings and the copies of emails sent to them.
"""

from dataclasses import dataclass, field
from typing import Any

from django.contrib.sessions.models import Session
from django.db import transaction

from accounts.models import User

from .services import record

ERASED_DOMAIN = "invalid"  # RFC 2606: never delivered


def pseudonym_email(user: User) -> str:
    return f"erased-{user.pk}@{ERASED_DOMAIN}"


def pseudonym_name(user: User) -> str:
    return f"Erased person {user.pk}"


@dataclass
class Erasure:
    user: User
    removed: dict[str, int] = field(default_factory=dict)


def _related(user: User) -> dict[str, Any]:
    """What is deleted outright, by kind: querysets (or lists) of the person's own rows."""
    from allauth.account.models import EmailAddress
    from allauth.mfa.models import Authenticator

    from accounts.models import ApiToken
    from core.models import OutboxMessage
    from registries.models import Membership
    from reviews.models import ExpertGroupMember

    return {
        "email addresses": EmailAddress.objects.filter(user=user),
        "MFA authenticators": Authenticator.objects.filter(user=user),
        "API tokens": ApiToken.objects.filter(user=user),
        "registry memberships": Membership.objects.filter(user=user),
        "expert group memberships": ExpertGroupMember.objects.filter(user=user),
        "emails in the outbox": OutboxMessage.objects.filter(recipient=user)
        | OutboxMessage.objects.filter(to__iexact=user.email),
    }


def _sessions(user: User) -> list[str]:
    return [s.session_key for s in Session.objects.iterator() if s.get_decoded().get("_auth_user_id") == str(user.pk)]


def erase_person(user: User, *, by: Any = None, dry_run: bool = False) -> Erasure:
    """Pseudonymise `user` and delete what is only about them; all or nothing. With dry_run, count only."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        erasure = Erasure(user)
        for kind, rows in _related(user).items():
            erasure.removed[kind] = rows.count()
            if not dry_run:
                rows.delete()
        sessions = _sessions(user)
        erasure.removed["sessions"] = len(sessions)
        erasure.removed["project teams"] = user.named_in_applications.count()
        if dry_run:
            transaction.set_rollback(True)
            return erasure
        Session.objects.filter(session_key__in=sessions).delete()
        user.named_in_applications.clear()
        _pseudonymise(user)
        record(user, "accounts.user.erase", actor=by, data={"removed": erasure.removed})
    return erasure


def _pseudonymise(user: User) -> None:
    user.email = pseudonym_email(user)
    user.full_name = pseudonym_name(user)
    user.first_name = user.last_name = ""
    user.set_unusable_password()
    user.is_active = user.is_staff = user.is_superuser = False
    user.is_secretariat = user.is_decider = False
    user.organisation = None
    user.region = ""
    user.notification_mode = "off"
    user.calendar_token_hash = ""
    user.calendar_token_created_at = None
    user.save()
