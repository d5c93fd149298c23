"""`make bench`: times the pages and API lists that grow with the data, against the PostgreSQL database in DATABASE_URL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_grants_bench make bench
    .venv/bin/python bench/run.py [--applications N] [--seed S] [--repeat R] [--json PATH]

It migrates the database, loads the reference data (`loaddemo`, idempotent), optionally adds data at scale with
`manage.py generate_data --applications N --seed S`, then requests every target R times as a secretariat user
(the widest view) and prints the median and 95th percentile in milliseconds and the SQL query count per request.
It writes a benchmark user `bench@localhost` and an API token (revoked at the end) into that database, so point
it at a database made for benchmarking. Not part of `make test`.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
# Test-friendly settings without DEBUG's overhead: no SECRET_KEY needed, no HTTPS redirect, no MFA wall.
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ["TESTING"] = "1"
os.environ.setdefault("REQUIRE_MFA", "0")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=0, help="add this many applications with generate_data")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    return parser.parse_args()


def require_postgresql() -> None:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench needs PostgreSQL: set DATABASE_URL=postgres://USER@HOST:PORT/NAME (a benchmark database)")


def prepare(applications: int, seed: int) -> None:
    from django.core.management import call_command, get_commands

    call_command("migrate", interactive=False, verbosity=0)
    call_command("createcachetable", verbosity=0)
    call_command("loaddemo", stdout=io.StringIO())  # its report is for people loading a demo
    if applications:
        if "generate_data" not in get_commands():
            sys.exit("--applications needs `manage.py generate_data`, which does not exist yet")
        call_command("generate_data", applications=applications, seed=seed)


def targets() -> list[tuple[str, str]]:
    from grants.models import Application, Call

    call = Call.objects.order_by("-year", "pk").first()
    application = Application.objects.exclude(state="draft").order_by("pk").first()
    year = call.year if call else 2026
    found = [
        ("dashboard", "/"),
        ("application list", "/applications/"),
        ("applications found", "/applications/?q=register+data&sort=-granted"),
        ("applications export", f"/applications/export.xlsx?year={year}"),
        ("call list", "/calls/"),
        ("project list", "/projects/"),
        ("payment list", "/finance/payments/"),
        ("statistics", "/statistics/"),
        ("annual summary page", f"/finance/annual/?year={year}"),
        ("API applications 50", "/api/v1/applications?limit=50"),
        ("API projects 50", "/api/v1/projects?limit=50"),
        ("API applications all", "/api/v1/applications"),
    ]
    if call:
        found += [("call page", f"/calls/{call.pk}/"), ("ranking", f"/reviews/calls/{call.pk}/ranking/")]
    if application:
        found.append(("application page", f"/applications/{application.pk}/"))
    return found


def measure(repeat: int) -> list[dict[str, object]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import ApiToken, User

    user, _ = User.objects.get_or_create(
        email="bench@localhost", defaults={"full_name": "Benchmark", "is_secretariat": True}
    )
    key = ApiToken.generate()
    token = ApiToken.objects.create(user=user, name="bench", prefix=key[:8], key_hash=ApiToken.hash(key))
    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_AUTHORIZATION=f"Bearer {key}")
    client.force_login(user)
    results = []
    try:
        for name, url in targets():
            client.get(url)  # warm up caches and the template loader
            timings, cpu = [], []
            for _ in range(repeat):
                with CaptureQueriesContext(connection) as queries:
                    started, cpu_started = time.perf_counter(), time.process_time()
                    response = client.get(url)
                    timings.append((time.perf_counter() - started) * 1000)
                    cpu.append((time.process_time() - cpu_started) * 1000)
                if response.status_code != 200:
                    sys.exit(f"{name} ({url}) answered {response.status_code}")
            results.append(
                {
                    "name": name,
                    "url": url,
                    "median_ms": round(statistics.median(timings), 1),
                    # this process's CPU per request (Python and templates; the database's own work is not in it)
                    "cpu_ms": round(statistics.median(cpu), 1),
                    "p95_ms": round(sorted(timings)[max(0, int(len(timings) * 0.95) - 1)], 1),
                    "queries": len(queries),
                }
            )
    finally:
        token.delete()
    return results


def main() -> None:
    args = parse_args()
    require_postgresql()
    import django
    from django.test.utils import setup_test_environment

    django.setup()
    setup_test_environment()  # lets the test client in (ALLOWED_HOSTS) and keeps mail in memory
    prepare(args.applications, args.seed)
    from grants.models import Application

    results = measure(args.repeat)
    print(f"{Application.objects.count()} applications; {args.repeat} requests per target")
    print(f"{'target':<20} {'median ms':>10} {'p95 ms':>8} {'CPU ms':>8} {'queries':>8}")
    for r in results:
        print(f"{r['name']:<20} {r['median_ms']:>10} {r['p95_ms']:>8} {r['cpu_ms']:>8} {r['queries']:>8}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
