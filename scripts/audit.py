"""Known vulnerabilities in our dependencies (`make audit`), with pip-audit.

Audits the pins of requirements.txt and requirements-dev.txt as written, and the whole installed tree (.venv, which
`make install` builds from those two files, so transitive dependencies are covered too). pip-audit asks PyPI's
vulnerability data first; when PyPI could audit nothing, it tries OSV.

pip-audit itself reports "No known vulnerabilities found" and exits 0 when every dependency was skipped because no
vulnerability service answered. That is not a pass, so this script reads its JSON and decides:

    0  every dependency was audited and none has a known vulnerability
    1  a known vulnerability was found (listed with the versions that fix it)
    2  pip-audit failed for another reason (its error is shown)
    3  the audit was skipped or incomplete: no vulnerability service answered for some or all dependencies

`python scripts/audit.py --from-json FILE...` judges pip-audit JSON written earlier (`pip-audit -f json -o FILE`).
"""

import json
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLEAN, VULNERABLE, ERROR, SKIPPED = 0, 1, 2, 3
REQUIREMENTS = ("requirements.txt", "requirements-dev.txt")
SERVICES = ("pypi", "osv")
# Both sources: the files' own pins, and the installed environment (pip-audit's default).
SOURCES = (
    [arg for name in REQUIREMENTS for arg in ("-r", str(ROOT / name))] + ["--no-deps", "--disable-pip"],
    [],
)
# pip-audit crashes with these when a vulnerability service cannot be reached at all (OSV: DNS or TLS failures).
UNREACHABLE = ("ConnectionError", "ConnectTimeout", "ReadTimeout", "NameResolutionError", "Max retries exceeded")


@dataclass
class Verdict:
    audited: set[str] = field(default_factory=set)
    skipped: dict[str, str] = field(default_factory=dict)
    vulnerable: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, report: dict[str, Any]) -> None:
        for dependency in report.get("dependencies", []):
            # By name alone: a skipped dependency has no version field (its reason names it).
            name = dependency["name"]
            if "skip_reason" in dependency:
                self.skipped.setdefault(name, dependency["skip_reason"])
                continue
            self.audited.add(name)
            if dependency.get("vulns"):
                self.vulnerable[f"{name} {dependency['version']}"] = dependency["vulns"]
        # A dependency audited in one run (or by one service) is not missing because another run skipped it.
        for name in self.audited:
            self.skipped.pop(name, None)

    def code(self) -> int:
        if self.vulnerable:
            return VULNERABLE
        if self.skipped or not self.audited:
            return SKIPPED
        return CLEAN

    def lines(self) -> list[str]:
        if self.vulnerable:
            return [f"{len(self.vulnerable)} dependencies with known vulnerabilities:"] + [
                f"  {name}: {vuln['id']} (fixed in {', '.join(vuln.get('fix_versions') or ['no release yet'])})"
                for name, vulns in sorted(self.vulnerable.items())
                for vuln in vulns
            ]
        if not self.audited:
            return [
                "audit skipped: no vulnerability service reachable "
                f"({len(self.skipped)} dependencies, none could be audited; PyPI and OSV did not answer)"
            ]
        if self.skipped:
            return [
                f"audit incomplete: {len(self.skipped)} of {len(self.skipped) + len(self.audited)} "
                "dependencies could not be audited:"
            ] + [f"  {name}: {reason}" for name, reason in sorted(self.skipped.items())]
        return [f"no known vulnerabilities in {len(self.audited)} audited dependencies"]


def run_pip_audit(service: str, source: list[str]) -> dict[str, Any] | None:
    """pip-audit's JSON report, or None when the service could not be reached; raises RuntimeError on other
    failures."""
    with tempfile.TemporaryDirectory() as folder:
        output = Path(folder) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "-f", "json", "-o", str(output), "-s", service]
        command += ["--progress-spinner", "off", "--timeout", "15", *source]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)  # noqa: S603
        if output.exists() and output.read_text():
            return json.loads(output.read_text())
    if any(marker in result.stderr for marker in UNREACHABLE):
        return None
    raise RuntimeError(f"pip-audit failed (exit {result.returncode}):\n{result.stderr.strip()}")


def audit() -> Verdict:
    verdict = Verdict()
    for service in SERVICES:
        for source in SOURCES:
            report = run_pip_audit(service, source)
            if report is not None:
                verdict.add(report)
        if verdict.audited:  # this service answered; another would only repeat it
            break
    return verdict


def judge(paths: list[str]) -> Verdict:
    verdict = Verdict()
    for path in paths:
        verdict.add(json.loads(Path(path).read_text()))
    return verdict


def main(argv: list[str]) -> int:
    try:
        verdict = judge(argv[1:]) if argv[:1] == ["--from-json"] else audit()
    except (RuntimeError, ValueError, KeyError) as error:
        print(f"audit failed: {error}", file=sys.stderr)
        return ERROR
    code = verdict.code()
    print("\n".join(verdict.lines()), file=sys.stdout if code == CLEAN else sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
