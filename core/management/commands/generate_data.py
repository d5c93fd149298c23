"""`manage.py generate_data --applications N [--seed S]`: adds deterministic, realistic data at that scale."""

import resource
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from core.generate import generate


class Command(BaseCommand):
    help = (
        "Add ten years of generated calls, applications (with reviews and history), projects (with milestones and "
        "payments) and indicator values, proportioned like the real field. The same seed gives the same data."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--applications", type=int, required=True, help="how many applications to add (N ≥ 1)")
        parser.add_argument("--seed", type=int, default=1, help="the same seed gives the same data (default 1)")

    def handle(self, *args: Any, **options: Any) -> None:
        applications, seed = options["applications"], options["seed"]
        if applications < 1:
            raise CommandError(f"--applications must be a positive whole number (got {applications}).")
        started = time.monotonic()
        counts = generate(applications, seed)
        elapsed = time.monotonic() - started
        width = max(len(name) for name in counts)
        for name, count in sorted(counts.items()):
            self.stdout.write(f"{name:<{width}}  {count:>9,}")
        peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024
        self.stdout.write(
            self.style.SUCCESS(
                f"Generated {applications:,} applications (seed {seed}) in {elapsed:.1f} s; peak memory {peak} MB."
            )
        )
