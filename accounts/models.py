import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import F
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from .enums import Role

# What the session hash covers besides the password and the memberships (see User._get_session_auth_hash).
ROLE_FLAGS = ("is_active", "is_staff", "is_superuser", "is_secretariat", "is_decider")
SESSION_HASH_SALT = "accounts.User.session_auth_hash"


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **extra: object) -> "User":
        if not email:
            raise ValueError("email is required")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> "User":
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """A person. Email is the login; roles are flags plus memberships (registry, expert group)."""

    username = None  # type: ignore[assignment]
    email = models.EmailField(_("email"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    is_secretariat = models.BooleanField(_("secretariat"), default=False)
    is_decider = models.BooleanField(_("decider"), default=False)
    organisation = models.ForeignKey(
        "registries.Organisation",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("employer (hospital or health trust)"),
        help_text=_("Used to detect conflicts of interest with applications from the same health trust."),
    )
    region = models.CharField(
        _("region scope"), max_length=20, blank=True, help_text=_("Limits a regional service unit user to one region.")
    )
    # Non-essential notifications (reminders, feedback): at once, gathered in a weekly digest, or not at all.
    # Essential ones (decisions, escalations to the secretariat) always go out at once.
    notification_mode = models.CharField(
        _("notifications"),
        max_length=10,
        choices=[("immediate", _("At once")), ("weekly", _("Weekly digest")), ("off", _("Off"))],
        default="immediate",
    )
    # The personal iCal feed of deadlines: a secret URL; only its hash is kept, and a new one revokes the old.
    calendar_token_hash = models.CharField(max_length=64, blank=True, db_index=True)
    calendar_token_created_at = models.DateTimeField(null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []  # type: ignore[misc]  # django-stubs types it as a ClassVar
    objects = UserManager()  # type: ignore[misc,assignment]

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def display_name(self) -> str:
        return self.full_name or self.email

    def _get_session_auth_hash(self, secret: str | None = None) -> str:
        """Django keeps this hash in the session at login and logs the session out when it no longer matches.
        Beyond the password it covers whether the user is active, their role flags and their memberships, so a
        deactivated user or one who loses a role (or gains one) is logged out of every session on the next request.
        Costs one query (registry and expert-group memberships together); the role predicates reuse its result."""
        fingerprint = "|".join(
            [
                self.password,
                *(str(int(bool(getattr(self, flag)))) for flag in ROLE_FLAGS),
                ",".join(str(i) for i in sorted(self._fresh_memberships())),
            ]
        )
        return salted_hmac(SESSION_HASH_SALT, fingerprint, secret=secret, algorithm="sha256").hexdigest()

    def _fresh_memberships(self) -> list[int]:
        """Registry ids (positive) and expert-group scheme ids (negated) in one query; primes accounts.rules' caches."""
        from registries.models import Membership
        from reviews.models import ExpertGroupMember

        if self.pk is None:
            return []
        registries = Membership.objects.filter(user_id=self.pk).order_by().values_list("registry_id")
        schemes = (
            ExpertGroupMember.objects.filter(user_id=self.pk)
            .order_by()
            .annotate(negated=-F("group__scheme_id"))
            .values_list("negated")
        )
        ids = [row[0] for row in registries.union(schemes, all=True)]
        self._registry_ids = frozenset(i for i in ids if i > 0)
        self._committee_scheme_ids = frozenset(-i for i in ids if i < 0)
        return ids


class ApiToken(models.Model):
    """A personal API token. Only a hash is stored; the token is shown once when created."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=8, db_index=True)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # A token stops working at this time (settings.API_TOKEN_LIFETIME_DAYS after it is made); null: never (tokens
    # made before tokens expired).
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @staticmethod
    def hash(key: str) -> str:
        return hashlib.sha256(key.encode()).hexdigest()

    @staticmethod
    def generate() -> str:
        return "rg_" + secrets.token_urlsafe(32)

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None and not self.is_expired


__all__ = ["ApiToken", "Role", "User"]
