"""The README, the Makefile and CI keep their promises: the two commands first, every setting documented, and no
command claimed that does not exist (unless marked planned)."""

import ast
import re
from pathlib import Path

from django.core.management import get_commands

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
ENV_HELPERS = {"env_bool", "env_list", "env_int"}


def settings_environment_variables() -> set[str]:
    """Every name that config/settings.py reads from the environment: os.environ[...], os.environ.get(...),
    os.getenv(...) and the env_* helpers."""
    tree = ast.parse((ROOT / "config" / "settings.py").read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) and _reads_env(node):
            names.add(node.args[0].value)
        elif isinstance(node, ast.Subscript) and _is_environ(node.value) and isinstance(node.slice, ast.Constant):
            names.add(node.slice.value)
    return names


def _is_environ(node: ast.expr) -> bool:
    return isinstance(node, ast.Attribute) and node.attr == "environ"


def _reads_env(call: ast.Call) -> bool:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id in ENV_HELPERS
    return isinstance(func, ast.Attribute) and (
        (func.attr == "get" and _is_environ(func.value)) or func.attr == "getenv"
    )


def test_readme_starts_with_make_demo_and_make_test():
    first_block = README.split("```")[1]

    assert [line.split("#")[0].strip() for line in first_block.strip().splitlines()[1:]] == ["make demo", "make test"]


def test_every_setting_from_the_environment_is_documented_in_the_readme():
    names = settings_environment_variables()

    undocumented = sorted(name for name in names if f"`{name}`" not in README)

    assert "DATABASE_URL" in names
    assert undocumented == []


def test_readme_names_only_commands_that_exist_or_are_marked_planned():
    commands = set(get_commands())
    claimed = {
        (match.group(1), "(planned)" in line)
        for line in README.splitlines()
        for match in re.finditer(r"manage\.py (\w+)", line)
    }

    missing = sorted(name for name, planned in claimed if name not in commands and not planned)

    assert missing == []


def test_readme_names_only_make_targets_that_exist():
    targets = set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE))
    claimed = set(re.findall(r"(?:`|^|PORT=\d+ )make ([a-z][a-z-]+)", README, re.MULTILINE))

    assert sorted(claimed - targets) == []


def test_ci_runs_make_test_on_sqlite_and_on_postgresql_and_stops_on_failure():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")

    assert "set -euo pipefail" in script
    assert script.count("run_suite") == 3  # defined once, then SQLite and PostgreSQL
    assert "unset DATABASE_URL; run_suite" in script
    assert 'export DATABASE_URL="$PG_URL"; run_suite' in script
    assert "apt-get update" in script
    for package in ("chromium", "libpango-1.0-0", "libpangoft2-1.0-0", "libharfbuzz-subset0", "gettext"):
        assert package in script


def test_ci_runs_check_deploy_and_the_dependency_audit_between_the_two_suites():
    script = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    sqlite, postgres = script.index("unset DATABASE_URL; run_suite"), script.index('export DATABASE_URL="$PG_URL"')

    deploy = script.index("manage.py check --deploy --fail-level WARNING")
    audit = script.index(".venv/bin/python scripts/audit.py || audit_status=$?")
    assert sqlite < deploy < audit < postgres
    assert "DEBUG=0 TESTING=0" in script
    # exit 3 (no vulnerability service reachable) is a warning; any other failure fails CI
    assert (
        "3 | 124)" in script and '*) echo "!! the dependency audit failed (exit $audit_status)" >&2; exit 1' in script
    )
    assert "audit: install\n\t$(BIN)/python scripts/audit.py" in (ROOT / "Makefile").read_text(encoding="utf-8")
