"""scripts/audit.py (`make audit`) fails on a known vulnerability and never passes an audit that did not happen."""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "audit.py"

CLEAN = {
    "dependencies": [
        {"name": "django", "version": "6.1.3", "vulns": []},
        {"name": "weasyprint", "version": "70.0", "vulns": []},
    ],
    "fixes": [],
}
VULNERABLE = {
    "dependencies": [
        {"name": "django", "version": "6.1.3", "vulns": []},
        {"name": "weasyprint", "version": "70.0", "vulns": [{"id": "GHSA-xxxx-yyyy-zzzz", "fix_versions": ["70.1"]}]},
    ],
    "fixes": [],
}
UNAUDITABLE = {
    "dependencies": [
        {"name": "django", "skip_reason": "Dependency not found on PyPI and could not be audited: django (6.1.3)"},
        {
            "name": "weasyprint",
            "skip_reason": "Dependency not found on PyPI and could not be audited: weasyprint (70.0)",
        },
    ],
    "fixes": [],
}
PARTLY = {
    "dependencies": [
        {"name": "django", "version": "6.1.3", "vulns": []},
        {
            "name": "weasyprint",
            "skip_reason": "Dependency not found on PyPI and could not be audited: weasyprint (70.0)",
        },
    ],
    "fixes": [],
}


def judge(tmp_path, *reports):
    paths = []
    for number, report in enumerate(reports):
        path = tmp_path / f"report{number}.json"
        path.write_text(json.dumps(report))
        paths.append(str(path))
    return subprocess.run(  # noqa: S603 - our own script with our own files
        [sys.executable, str(SCRIPT), "--from-json", *paths], capture_output=True, text=True, timeout=60, check=False
    )


def test_a_known_vulnerability_fails_the_audit_with_the_fix(tmp_path):
    result = judge(tmp_path, VULNERABLE)

    assert (result.returncode, result.stderr) == (
        1,
        "1 dependencies with known vulnerabilities:\n  weasyprint 70.0: GHSA-xxxx-yyyy-zzzz (fixed in 70.1)\n",
    )


def test_every_dependency_audited_and_clean_passes(tmp_path):
    result = judge(tmp_path, CLEAN)

    assert (result.returncode, result.stdout) == (0, "no known vulnerabilities in 2 audited dependencies\n")


def test_nothing_auditable_is_a_skipped_audit_not_a_pass(tmp_path):
    result = judge(tmp_path, UNAUDITABLE)

    assert (result.returncode, result.stderr) == (
        3,
        "audit skipped: no vulnerability service reachable "
        "(2 dependencies, none could be audited; PyPI and OSV did not answer)\n",
    )


def test_a_partly_audited_tree_is_incomplete_and_names_what_was_not_audited(tmp_path):
    result = judge(tmp_path, PARTLY)

    assert (result.returncode, result.stderr) == (
        3,
        "audit incomplete: 1 of 2 dependencies could not be audited:\n"
        "  weasyprint: Dependency not found on PyPI and could not be audited: weasyprint (70.0)\n",
    )


def test_a_dependency_skipped_in_one_report_but_audited_in_another_counts_as_audited(tmp_path):
    result = judge(tmp_path, UNAUDITABLE, CLEAN)

    assert (result.returncode, result.stdout) == (0, "no known vulnerabilities in 2 audited dependencies\n")


def test_a_vulnerability_wins_over_skipped_dependencies(tmp_path):
    result = judge(tmp_path, UNAUDITABLE, VULNERABLE)

    assert result.returncode == 1


# ---------------------------------------------------------------- the real run, with a stand-in pip-audit

FAKE_PIP_AUDIT = """
    import json, os, sys
    args = sys.argv[1:]
    service = args[args.index("-s") + 1]
    answer = json.loads(os.environ["FAKE_ANSWERS"])[service]
    with open(os.environ["FAKE_LOG"], "a") as log:
        log.write(service + (" requirements" if "-r" in args else " environment") + "\\n")
    if answer == "unreachable":
        print("requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.osv.dev', port=443): "
              "Max retries exceeded", file=sys.stderr)
        sys.exit(1)
    if answer == "broken":
        print("pip-audit: error: requirements.txt: no such file", file=sys.stderr)
        sys.exit(1)
    with open(args[args.index("-o") + 1], "w") as out:
        json.dump(answer, out)
"""


@pytest.fixture
def fake_pip_audit(tmp_path):
    package = tmp_path / "fake" / "pip_audit"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(textwrap.dedent(FAKE_PIP_AUDIT))
    log = tmp_path / "calls.log"

    def run(**answers):
        env = {
            **os.environ,
            "PYTHONPATH": str(tmp_path / "fake"),
            "FAKE_ANSWERS": json.dumps(answers),
            "FAKE_LOG": str(log),
        }
        result = subprocess.run(  # noqa: S603 - our own script
            [sys.executable, str(SCRIPT)], capture_output=True, text=True, env=env, timeout=60, check=False
        )
        return result, log.read_text().splitlines() if log.exists() else []

    return run


def test_the_run_audits_the_requirement_pins_and_the_installed_tree_on_pypi(fake_pip_audit):
    result, calls = fake_pip_audit(pypi=CLEAN, osv="unreachable")

    assert (result.returncode, calls) == (0, ["pypi requirements", "pypi environment"])


def test_when_pypi_audits_nothing_the_run_asks_osv(fake_pip_audit):
    result, calls = fake_pip_audit(pypi=UNAUDITABLE, osv=VULNERABLE)

    assert (result.returncode, calls[2:]) == (1, ["osv requirements", "osv environment"])


def test_with_no_service_reachable_the_run_is_skipped_with_exit_3(fake_pip_audit):
    result, _ = fake_pip_audit(pypi=UNAUDITABLE, osv="unreachable")

    assert result.returncode == 3
    assert result.stderr.startswith("audit skipped: no vulnerability service reachable")


def test_any_other_pip_audit_failure_is_an_error(fake_pip_audit):
    result, _ = fake_pip_audit(pypi="broken", osv="broken")

    assert (result.returncode, result.stderr) == (
        2,
        "audit failed: pip-audit failed (exit 1):\npip-audit: error: requirements.txt: no such file\n",
    )
