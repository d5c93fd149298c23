"""Users, their roles and memberships, and API tokens. Used by `createuser`, `loaddemo` and the web UI alike.

`by` is the acting user; `None` means the system itself (a management command run on the server). Every change
is audited on the user it concerns, with ids only (the audit trail holds no personal data beyond the actor).
Calling a function again with the same arguments changes nothing and writes no audit entry.
"""

import secrets
from datetime import timedelta
from typing import Any

from allauth.account.models import EmailAddress
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from audit.services import record
from core.exceptions import ActionRefused, NotPermitted
from grants.models import Scheme
from registries.models import Membership, Registry

from . import rules
from .enums import Role
from .models import ApiToken, User

# Roles held as flags on the user. Applicant and reviewer follow from registry and expert-group memberships.
FLAG_ROLES = {
    Role.SECRETARIAT: ("is_secretariat",),
    Role.DECIDER: ("is_decider",),
    Role.ADMIN: ("is_superuser", "is_staff"),
}


def _require_user_admin(by: Any, *, roles: set[str] | frozenset[str] = frozenset()) -> None:
    if by is None:
        return
    if not rules.is_secretariat(by):
        raise NotPermitted()
    if Role.ADMIN in roles and not rules.is_admin(by):
        raise NotPermitted(_("Only an administrator can make someone an administrator."))


def normalise_email(email: str) -> str:
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        msg = _("“%(email)s” is not a valid email address.") % {"email": email}
        raise ActionRefused(msg, {"email": [msg]}) from None
    return email


def check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise ActionRefused(" ".join(exc.messages), {"password": list(exc.messages)}) from None


def create_or_update_user(
    email: str, *, by: Any = None, full_name: str | None = None, password: str | None = None
) -> tuple[User, bool]:
    """The user with this email, created if new (with an unusable password unless one is given).

    The email is marked verified and primary in allauth, because an administrator vouches for it.
    """
    _require_user_admin(by)
    email = normalise_email(email)
    if password is not None:
        check_password(password, User(email=email, full_name=full_name or ""))
    with transaction.atomic():
        existing = User.objects.select_for_update().filter(email__iexact=email).first()
        created = existing is None
        if existing is None:
            user = User.objects.create_user(email, password=password, full_name=full_name or "")
            record(user, "accounts.user.create", actor=by)
        else:
            user = existing
            changed = []
            if full_name is not None and user.full_name != full_name:
                user.full_name = full_name
                changed.append("full_name")
            if password is not None and not user.check_password(password):
                user.set_password(password)
                changed.append("password")
            if changed:
                user.save(update_fields=changed)
                record(user, "accounts.user.update", actor=by, data={"fields": changed})
        _verify_email(user, by)
    return user, created


def _verify_email(user: User, by: Any) -> None:
    address = EmailAddress.objects.filter(user=user, email__iexact=user.email).first()
    if address is not None and address.verified and address.primary:
        return
    EmailAddress.objects.filter(user=user, primary=True).exclude(pk=getattr(address, "pk", None)).update(primary=False)
    if address is None:
        EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    else:
        address.verified = address.primary = True
        address.save(update_fields=["verified", "primary"])
    record(user, "accounts.user.verify_email", actor=by)


def set_roles(user: User, roles: set[str], *, by: Any = None) -> User:
    """Make the flag roles (secretariat, decider, admin) exactly `roles`; applicant and reviewer are ignored here
    because memberships make them."""
    unknown = set(roles) - set(Role.values)
    if unknown:
        msg = _("Unknown role(s): %(roles)s.") % {"roles": ", ".join(sorted(unknown))}
        raise ActionRefused(msg, {"roles": [msg]})
    current = flag_roles(user)
    wanted = {r for r in roles if r in FLAG_ROLES}
    _require_user_admin(by, roles=wanted ^ current)
    if wanted == current:
        return user
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        for role, attrs in FLAG_ROLES.items():
            for attr in attrs:
                setattr(locked, attr, role in wanted)
        locked.save(update_fields=[a for attrs in FLAG_ROLES.values() for a in attrs])
        record(
            locked,
            "accounts.user.set_roles",
            actor=by,
            data={"added": sorted(wanted - current), "removed": sorted(current - wanted)},
        )
    rules.forget(user)
    for attrs in FLAG_ROLES.values():
        for attr in attrs:
            setattr(user, attr, getattr(locked, attr))
    return user


def flag_roles(user: User) -> set[str]:
    return {role for role, attrs in FLAG_ROLES.items() if all(getattr(user, a) for a in attrs)}


def add_membership(user: User, registry: Registry, *, by: Any = None) -> Membership:
    _require_user_admin(by)
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(user=user, registry=registry)
        if created:
            record(user, "accounts.membership.add", actor=by, data={"registry": registry.pk})
    rules.forget(user)
    return membership


def remove_membership(user: User, registry: Registry, *, by: Any = None) -> bool:
    _require_user_admin(by)
    with transaction.atomic():
        deleted, _rows = Membership.objects.filter(user=user, registry=registry).delete()
        if deleted:
            record(user, "accounts.membership.remove", actor=by, data={"registry": registry.pk})
    rules.forget(user)
    return bool(deleted)


def add_committee_membership(user: User, scheme: Scheme, *, by: Any = None, is_chair: bool = False) -> Any:
    """Seat the user in the scheme's expert group (making them a reviewer for that scheme)."""
    from reviews.models import ExpertGroup, ExpertGroupMember

    _require_user_admin(by)
    with transaction.atomic():
        group, _created = ExpertGroup.objects.get_or_create(scheme=scheme, defaults={"name": scheme.name})
        member, created = ExpertGroupMember.objects.get_or_create(
            group=group, user=user, defaults={"is_chair": is_chair}
        )
        if created:
            record(user, "accounts.committee.add", actor=by, data={"scheme": scheme.pk, "chair": is_chair})
    rules.forget(user)
    return member


def remove_committee_membership(user: User, scheme: Scheme, *, by: Any = None) -> bool:
    from reviews.models import ExpertGroupMember

    _require_user_admin(by)
    with transaction.atomic():
        deleted, _rows = ExpertGroupMember.objects.filter(group__scheme=scheme, user=user).delete()
        if deleted:
            record(user, "accounts.committee.remove", actor=by, data={"scheme": scheme.pk})
    rules.forget(user)
    return bool(deleted)


def create_api_token(user: User, *, by: Any = None, name: str = "API") -> str:
    """A new token for `user`. Returns the key: only its hash is stored, so this is the one chance to show it."""
    if by is not None and by.pk != user.pk:
        _require_user_admin(by)
    from django.conf import settings

    key = ApiToken.generate()
    expires_at = timezone.now() + timedelta(days=settings.API_TOKEN_LIFETIME_DAYS)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, name=name, prefix=key[:8], key_hash=ApiToken.hash(key), expires_at=expires_at
        )
        record(token, "accounts.apitoken.create", actor=by, data={"user": user.pk})
    return key


def revoke_api_token(token: ApiToken, *, by: Any = None) -> ApiToken:
    if by is not None and by.pk != token.user_id:
        _require_user_admin(by)
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = timezone.now()
            locked.save(update_fields=["revoked_at"])
            record(locked, "accounts.apitoken.revoke", actor=by, data={"user": locked.user_id})
    return locked


def save_user_roles(
    target: User | None,
    *,
    by: Any,
    email: str,
    full_name: str,
    roles: list[str],
    registries: list[Registry],
    committees: list[str],
) -> User:
    """The secretariat's user form: create or edit a user so that the secretariat and decider flags, registry
    memberships and expert-group seats are exactly as given. The admin flag is left alone (not on the form)."""
    _require_user_admin(by)
    email = normalise_email(email)
    schemes = [find_scheme(code) for code in committees]
    clash = User.objects.filter(email__iexact=email)
    if target is not None:
        clash = clash.exclude(pk=target.pk)
    if target is not None and clash.exists():
        msg = _("Another user already has the email address %(email)s.") % {"email": email}
        raise ActionRefused(msg, {"email": [msg]})
    with transaction.atomic():
        if target is None:
            user, _created = create_or_update_user(email, by=by, full_name=full_name)
        else:
            user = _change_email(target, email, by)
            user = create_or_update_user(user.email, by=by, full_name=full_name)[0]
        keep_admin = {Role.ADMIN} if Role.ADMIN in flag_roles(user) else set()
        set_roles(user, set(roles) | keep_admin, by=by)
        _sync(
            user,
            registries,
            list(Registry.objects.filter(memberships__user=user)),
            add_membership,
            remove_membership,
            by,
        )
        current = list(Scheme.objects.filter(expert_group__memberships__user=user))
        _sync(user, schemes, current, add_committee_membership, remove_committee_membership, by)
    return user


def _sync(user: User, wanted: list[Any], current: list[Any], add: Any, remove: Any, by: Any) -> None:
    for obj in wanted:
        if obj not in current:
            add(user, obj, by=by)
    for obj in current:
        if obj not in wanted:
            remove(user, obj, by=by)


def _change_email(user: User, email: str, by: Any) -> User:
    if user.email == email:
        return user
    user.email = email
    user.save(update_fields=["email"])
    EmailAddress.objects.filter(user=user).delete()
    record(user, "accounts.user.change_email", actor=by)
    return user


def find_registry(ref: str) -> Registry:
    """A registry by id, short name or full name (case-insensitive)."""
    ref = ref.strip()
    matches = list(Registry.objects.filter(pk=int(ref))) if ref.isdigit() else []
    if not matches:
        matches = list(Registry.objects.filter(short_name__iexact=ref)) or list(
            Registry.objects.filter(name__iexact=ref)
        )
    if len(matches) != 1:
        msg = (
            _("No registry has the id, short name or name “%(ref)s”.")
            if not matches
            else _("“%(ref)s” matches more than one registry; use its id.")
        ) % {"ref": ref}
        raise ActionRefused(msg, {"registry": [msg]})
    return matches[0]


def find_scheme(code: str) -> Scheme:
    scheme = Scheme.objects.filter(code=code.strip()).first()
    if scheme is None:
        codes = ", ".join(Scheme.objects.order_by("code").values_list("code", flat=True)) or "-"
        msg = _("No scheme has the code “%(code)s” (known: %(codes)s).") % {"code": code, "codes": codes}
        raise ActionRefused(msg, {"committee": [msg]})
    return scheme


NOTIFICATION_MODES = ("immediate", "weekly", "off")


def set_notification_mode(user: User, mode: str, *, by: Any) -> User:
    """How `user` hears about non-essential things: at once, in a weekly digest, or not at all (their own choice)."""
    if mode not in NOTIFICATION_MODES:
        msg = _("Choose one of: at once, weekly digest, off.")
        raise ActionRefused(msg, {"notification_mode": [msg]})
    if by is not None and by.pk != user.pk:
        _require_user_admin(by)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.notification_mode != mode:
            record(locked, "accounts.user.notifications", actor=by, source=locked.notification_mode, target=mode)
            locked.notification_mode = mode
            locked.save(update_fields=["notification_mode"])
    return locked


def create_calendar_token(user: User, *, by: Any) -> str:
    """A new secret for `user`'s iCal feed, replacing (so revoking) any earlier one. Returns the secret: only its
    hash is stored, so this is the one chance to show the address."""
    if by is not None and by.pk != user.pk:
        _require_user_admin(by)
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        locked.calendar_token_hash = ApiToken.hash(token)
        locked.calendar_token_created_at = timezone.now()
        locked.save(update_fields=["calendar_token_hash", "calendar_token_created_at"])
        record(locked, "accounts.user.calendar_create", actor=by)
    return token


def revoke_calendar_token(user: User, *, by: Any) -> User:
    if by is not None and by.pk != user.pk:
        _require_user_admin(by)
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        if locked.calendar_token_hash:
            locked.calendar_token_hash = ""
            locked.calendar_token_created_at = None
            locked.save(update_fields=["calendar_token_hash", "calendar_token_created_at"])
            record(locked, "accounts.user.calendar_revoke", actor=by)
    return locked
