"""`manage.py loaddemo [--with-demo-users]`: registries, organisation tree, indicators, schemes and history.

Idempotent. Demo users, this year's open calls and demo applications only with DEBUG or --with-demo-users.
"""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from registries.demo import DEMO_PASSWORD, DEMO_USERS, load_demo


class Command(BaseCommand):
    help = "Load the demo data (idempotent). Demo users and open demo calls only with DEBUG or --with-demo-users."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--with-demo-users",
            action="store_true",
            help="Create one demo user per role, open demo calls and demo applications even when DEBUG is off.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with_users = bool(settings.DEBUG or options["with_demo_users"])
        started = time.monotonic()
        report = load_demo(with_users=with_users, say=self.stdout.write)
        self.stdout.write(self.style.SUCCESS(f"Demo data loaded in {time.monotonic() - started:.1f} s."))
        if with_users:
            self._print_logins()
        else:
            self.stdout.write("No demo users (DEBUG is off); add --with-demo-users to create them.")
        if report.problems:
            count = sum(len(p) for p in report.problems.values())
            self.stdout.write(self.style.WARNING(f"{count} rows had problems and were skipped (listed above)."))

    def _print_logins(self) -> None:
        width = max(len(u.email) for u in DEMO_USERS)
        self.stdout.write("")
        self.stdout.write(f"Log in at {settings.SITE_URL}/accounts/login/ with password: {DEMO_PASSWORD}")
        self.stdout.write(f"  {'role':<12} {'email':<{width}}  notes")
        for user in DEMO_USERS:
            self.stdout.write(f"  {user.role:<12} {user.email:<{width}}  {user.note}")
