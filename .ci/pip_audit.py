"""`make audit`: pip-audit over the pinned requirements (requirements.txt, requirements-dev.txt and
what they pull in), failing on any known vulnerability not in the reviewed allow-list
.ci/pip-audit-allow.txt (one id per line, each with a `# reason`).

pip-audit needs a vulnerability service (PyPI's JSON API or OSV). Where neither answers (a mirror
without the JSON API, no route to osv.dev) every package comes back "could not be audited": this
script then says so plainly, naming how many packages went unaudited, and passes, so that a
machine without the service can still run the tests. Anywhere the service answers, it gates."""

import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ALLOW = ROOT / ".ci" / "pip-audit-allow.txt"
PIP_AUDIT = Path(sys.executable).parent / "pip-audit"


def allowed() -> dict[str, str]:
    """{vulnerability id: reason}; a line without a reason is an error (every exception is explained)."""
    entries = {}
    for number, line in enumerate(ALLOW.read_text().splitlines(), 1) if ALLOW.exists() else ():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        vuln_id, _hash, reason = line.partition("#")
        if not reason.strip():
            sys.exit(f"{ALLOW.name}:{number}: {vuln_id.strip()} has no '# reason'")
        entries[vuln_id.strip()] = reason.strip()
    return entries


def main() -> int:
    allow = allowed()
    with tempfile.TemporaryDirectory() as tmp:
        report = Path(tmp) / "report.json"
        command = [str(PIP_AUDIT), "-r", "requirements.txt", "-r", "requirements-dev.txt", "--progress-spinner", "off",
                   "--format", "json", "--output", str(report)]
        for vuln_id in allow:
            command += ["--ignore-vuln", vuln_id]
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        data = json.loads(report.read_text()) if report.exists() and report.stat().st_size else None
    if data is None:
        tail = (result.stderr or result.stdout).strip().splitlines()[-1:] or ["no output"]
        print(f"pip-audit: NOT AUDITED - no vulnerability service reachable from here ({tail[0]}).")
        return 0
    dependencies = data.get("dependencies", [])
    skipped = [d for d in dependencies if "skip_reason" in d]
    audited = [d for d in dependencies if "skip_reason" not in d]
    if not audited:
        print(f"pip-audit: NOT AUDITED - the vulnerability service answered for none of the {len(dependencies)} "
              "pinned packages (this machine's package index has no vulnerability data). Run `make audit` "
              "where PyPI's JSON API or osv.dev is reachable.")
        return 0
    findings = [(d["name"], d["version"], v) for d in audited for v in d.get("vulns", [])]
    for name, version, vuln in findings:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "no fix yet"
        print(f"pip-audit: {name} {version}: {vuln['id']} (fixed in {fixes}) {vuln.get('description', '')[:200]}")
    for vuln_id, reason in allow.items():
        print(f"pip-audit: allowed {vuln_id}: {reason}")
    print(f"pip-audit: {len(audited)} packages audited, {len(skipped)} not found by the service, "
          f"{len(findings)} known vulnerabilities outside the allow-list.")
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
