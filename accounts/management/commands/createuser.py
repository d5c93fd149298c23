"""`manage.py createuser EMAIL --role ROLE [--registry REG]... [--committee SCHEME]... [--password-stdin] [--token]`

Creates the user or adds to an existing one (roles and memberships are only ever added here), marks the email
verified, and with --token prints a new API token as the only line on standard output. Any bad input stops the
command before anything is stored, with the reason on standard error and exit code 1.
"""

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django.utils.translation import gettext as _

from accounts import services
from accounts.enums import Role
from core.exceptions import ActionRefused


class Command(BaseCommand):
    help = "Create a user, or add a role and memberships to an existing one."
    stealth_options = ("stdin",)

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("email")
        parser.add_argument("--role", required=True, help=f"One of: {', '.join(Role.values)}.")
        parser.add_argument(
            "--registry",
            action="append",
            default=[],
            metavar="REG",
            help="Registry short name, name or id; makes the user a member (repeatable).",
        )
        parser.add_argument(
            "--committee",
            action="append",
            default=[],
            metavar="SCHEME",
            help="Scheme code; seats the user in that scheme's expert group (repeatable).",
        )
        parser.add_argument("--password-stdin", action="store_true", help="Read the password from standard input.")
        parser.add_argument("--token", action="store_true", help="Print a new API token (and nothing else).")

    def handle(self, *args: Any, **options: Any) -> None:
        # With --token, standard output carries the token alone; everything else goes to standard error.
        info = self.stderr if options["token"] else self.stdout
        password = self._read_password(options) if options["password_stdin"] else None
        try:
            email, registries, schemes = self._validate(options, password)
            with transaction.atomic():
                user, created = services.create_or_update_user(email, password=password)
                services.set_roles(user, services.flag_roles(user) | {options["role"]})
                for registry in registries:
                    services.add_membership(user, registry)
                for scheme in schemes:
                    services.add_committee_membership(user, scheme)
                key = services.create_api_token(user, name="createuser") if options["token"] else None
        except ActionRefused as exc:
            raise CommandError(exc.message) from None
        text = _("Created %(email)s: roles %(roles)s") if created else _("Updated %(email)s: roles %(roles)s")
        info.write(text % {"email": user.email, "roles": ", ".join(self._roles(user)) or "-"})
        self._warn_if_role_missing(user, options["role"], info)
        if key is not None:
            self.stdout.write(key)

    def _validate(self, options: dict[str, Any], password: str | None) -> tuple[str, list[Any], list[Any]]:
        problems: list[str] = []

        def attempt(fn: Any, *args: Any) -> Any:
            try:
                return fn(*args)
            except ActionRefused as exc:
                problems.append(exc.message)
                return None

        if options["role"] not in Role.values:
            problems.append(
                _("Unknown role “%(role)s”; use one of: %(roles)s.")
                % {"role": options["role"], "roles": ", ".join(Role.values)}
            )
        email = attempt(services.normalise_email, options["email"])
        registries = [attempt(services.find_registry, ref) for ref in options["registry"]]
        schemes = [attempt(services.find_scheme, code) for code in options["committee"]]
        if password is not None:
            attempt(services.check_password, password)
        if problems:
            raise CommandError("\n".join(problems))
        return email, registries, schemes

    def _read_password(self, options: dict[str, Any]) -> str:
        stream = options.get("stdin") or sys.stdin
        password = stream.readline().rstrip("\r\n")
        if not password:
            raise CommandError(_("--password-stdin was given but standard input had no password."))
        return password

    def _roles(self, user: Any) -> list[str]:
        from accounts.rules import forget, roles

        forget(user)
        return roles(user)

    def _warn_if_role_missing(self, user: Any, role: str, out: Any) -> None:
        if role == Role.APPLICANT and not user.memberships.exists():
            out.write(_("Note: an applicant needs a registry; add --registry REG."))
        if role == Role.REVIEWER and not user.committee_memberships.exists():
            out.write(_("Note: a reviewer needs an expert group; add --committee SCHEME."))
