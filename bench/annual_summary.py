"""Benchmark: the annual summary over ten years of generated data, as PDF, XLSX and CSV.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_grants_bench .venv/bin/python bench/annual_summary.py
    .venv/bin/python bench/annual_summary.py --applications 5000 --year 2026 [--json PATH]

A first process migrates the database, loads the demo data and, when the database holds fewer applications than
asked for, adds them with `generate_data` (5 000 applications over ten years: about 50 calls and 2 000 projects; the
issue's scale). Then each measurement runs in a fresh process, so its peak memory (ru_maxrss) is its own: it sets
Django up (the baseline), reads the figures of the year (`finance.annual.summary`: every table, cumulative since the
first year), and renders one format: the PDF (weasyprint with two SVG charts), the XLSX (one sheet per table, the
per-application sheet included) or one CSV table. It reports seconds for the figures and for the rendering, the
size of the file, and the process's peak memory above its baseline. The files are rendered directly, not through the
cache (finance.annual_files), so each run measures the work itself. Not part of `make test`.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STEPS = ("figures", "pdf", "xlsx", "csv")


def _cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def _django() -> None:
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"
    import django

    django.setup()


def prepare(applications: int, seed: int) -> dict:
    import io

    _django()
    from django.core.management import call_command

    from grants.models import Application
    from projects.models import Project

    call_command("migrate", interactive=False, verbosity=0)
    call_command("loaddemo", stdout=io.StringIO())
    have = Application.objects.count()
    if have < applications:
        call_command("generate_data", applications=applications - have, seed=seed, stdout=io.StringIO())
    from grants.models import Call

    years = sorted(set(Call.objects.values_list("year", flat=True)))
    return {
        "applications": Application.objects.count(),
        "projects": Project.objects.count(),
        "calls": Call.objects.count(),
        "years": f"{years[0]}-{years[-1]}" if years else "",
    }


def measure(step: str, year: int) -> dict:
    """Runs inside the child process."""
    _django()
    # Import what rendering needs before the baseline, so the peak above it is the work, not the libraries.
    import matplotlib.figure  # noqa: F401
    import openpyxl  # noqa: F401
    import weasyprint  # noqa: F401
    from django.db import connection, reset_queries
    from django.utils import translation

    from finance import annual

    connection.ensure_connection()
    baseline = _rss_mb()
    translation.activate("nb")
    reset_queries()
    started, cpu = time.perf_counter(), _cpu_s()
    result = annual.summary(year)
    figures_s = time.perf_counter() - started
    rows = sum(len(t.rows) for t in result.tables)
    render_s, size = 0.0, 0
    if step != "figures":
        started = time.perf_counter()
        content = annual.render(result, step, "applications" if step == "csv" else "")
        render_s = time.perf_counter() - started
        size = len(content)
    cpu_s = _cpu_s() - cpu
    peak = _rss_mb()
    return {
        "step": step,
        "figures_s": round(figures_s, 3),
        "render_s": round(render_s, 3),
        "total_s": round(figures_s + render_s, 3),
        "cpu_s": round(cpu_s, 3),  # this process's CPU time for both: what other load on the machine hardly changes
        "rows": rows,
        "first_year": result.first_year,
        "bytes": size,
        "peak_mb": round(peak, 1),
        "peak_above_baseline_mb": round(peak - baseline, 1),
    }


def child(args: list[str]) -> dict:
    command = [sys.executable, __file__, *args]  # our own script and arguments
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=os.environ.copy()).stdout  # noqa: S603
    return json.loads(out.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--applications", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--year", type=int, default=2026)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--child", choices=("prepare", *STEPS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child == "prepare":
        print(json.dumps(prepare(args.applications, args.seed)))
        return
    if args.child:
        print(json.dumps(measure(args.child, args.year)))
        return
    data = child(["--child", "prepare", "--applications", str(args.applications), "--seed", str(args.seed)])
    engine = "PostgreSQL" if os.environ.get("DATABASE_URL", "").startswith("postgres") else "SQLite"
    print(
        f"Annual summary {args.year} on {engine}: {data['applications']} applications, {data['projects']} projects, "
        f"{data['calls']} calls, years {data['years']}"
    )
    head = ("format", "figures s", "render s", "total s", "CPU s", "rows", "size kB", "peak MB", "+MB")
    print("{:<8} {:>10} {:>9} {:>8} {:>6} {:>6} {:>8} {:>8} {:>6}".format(*head))
    results = []
    for step in STEPS:
        r = child(["--child", step, "--year", str(args.year)])
        results.append(r)
        print(
            f"{step:<8} {r['figures_s']:>10.2f} {r['render_s']:>9.2f} {r['total_s']:>8.2f} {r['cpu_s']:>6.2f} "
            f"{r['rows']:>6} {r['bytes'] / 1024:>8.0f} {r['peak_mb']:>8.0f} {r['peak_above_baseline_mb']:>6.0f}"
        )
    if args.json:
        args.json.write_text(json.dumps({"data": data, "results": results}, indent=2))


if __name__ == "__main__":
    main()
