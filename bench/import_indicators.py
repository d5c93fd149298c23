"""Benchmark: importing SKDE's nkr_rygg.csv (73,456 event rows) with the all-or-nothing importer.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/registry_grants_bench .venv/bin/python bench/import_indicators.py
    .venv/bin/python bench/import_indicators.py          # SQLite in a temporary file

It empties the indicator values of the database it is given (`loaddemo` loads them again): point it at a benchmark
database. A first process migrates the database and loads the organisation tree, the definitions and the aliases,
with no values. Then each measurement runs in a fresh process, so its peak memory (ru_maxrss) is its own: it sets
Django up (the baseline) and times `import_files([nkr_rygg.csv])`: (1) the first import, which creates 1,650
indicator-unit- year values in 53 deliveries (one per indicator and year), (2) the same file again, which must
change nothing, (3) a file with one changed row, which replaces one delivery and keeps the old one. It reports rows
per second, the process's peak memory and the peak above its baseline (Django and pandas imported, nothing read
yet). Not part of `make test`.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FILE = ROOT / "registries" / "data" / "skde" / "nkr_rygg.csv"
ROWS = 73456


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kilobytes


def measure(step: str) -> dict:
    """Runs inside the child process."""
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["TESTING"] = "1"
    import django

    django.setup()
    from django.core.management import call_command

    from registries import demo
    from registries import importers as imp
    from registries.models import DeliveredValue, IndicatorDelivery, IndicatorValue
    from registries.services import import_files

    if step == "setup":
        call_command("migrate", interactive=False, verbosity=0)
        report = demo.LoadReport()
        say = lambda text: None  # noqa: E731
        demo.load_registries(report, say)
        demo.load_organisations(report, say)
        demo.load_indicators(report, say)
        frame = imp.read_table(FILE)
        imp.add_unplaced_organisations(frame["orgnr"].astype(int).unique().tolist(), demo.UNPLACED_UNITS)
        DeliveredValue.objects.all().delete()
        IndicatorValue.objects.all().delete()
        IndicatorDelivery.objects.all().delete()
        return {"step": step}
    path = FILE
    if step == "changed":
        lines = FILE.read_text(encoding="utf-8").splitlines(keepends=True)
        head, first = lines[0], lines[1]
        year, orgnr, var, ind_id = first.split(";")
        changed = f"{year};{orgnr};{1 - int(var.strip(chr(34)))};{ind_id}"
        path = Path(tempfile.mkdtemp()) / "nkr_rygg.csv"
        path.write_text(head + changed + "".join(lines[2:]), encoding="utf-8")
    baseline = _rss_mb()
    start = time.perf_counter()
    result = import_files([path])
    elapsed = time.perf_counter() - start
    assert result.ok, result.problems[:5]
    [file] = result.files
    return {
        "step": step,
        "seconds": round(elapsed, 3),
        "rows_per_second": round(ROWS / elapsed),
        "peak_rss_mb": round(_rss_mb(), 1),
        "peak_above_baseline_mb": round(_rss_mb() - baseline, 1),
        "deliveries": {"created": file.created, "replaced": file.replaced, "unchanged": file.unchanged},
        "values": IndicatorValue.objects.filter(indicator__id__startswith="rygg_").count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, help="also write the results to this file")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child)))
        return
    env = dict(os.environ)
    if not env.get("DATABASE_URL"):
        env["DATABASE_URL"] = f"sqlite:///{tempfile.mkdtemp()}/bench.sqlite3"
    engine = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    results = []
    for step in ("setup", "first", "again", "changed"):
        out = subprocess.run(  # noqa: S603 (our own interpreter and script, fixed arguments)
            [sys.executable, __file__, "--child", step], env=env, check=True, capture_output=True, text=True
        )
        if step != "setup":
            results.append(json.loads(out.stdout.strip().splitlines()[-1]))
    print(f"nkr_rygg.csv, {ROWS} event rows, {engine}, {os.cpu_count()} CPUs")
    print(f"{'import':<10} {'seconds':>8} {'rows/s':>9} {'peak MB':>8} {'+MB':>6}  deliveries")
    for r in results:
        d = r["deliveries"]
        print(
            f"{r['step']:<10} {r['seconds']:>8.2f} {r['rows_per_second']:>9} {r['peak_rss_mb']:>8.1f} "
            f"{r['peak_above_baseline_mb']:>6.1f}  {d['created']} new, {d['replaced']} replacing, "
            f"{d['unchanged']} unchanged; {r['values']} values"
        )
    if args.json:
        args.json.write_text(json.dumps({"engine": engine, "results": results}, indent=2))


if __name__ == "__main__":
    main()
