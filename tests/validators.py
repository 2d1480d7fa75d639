"""The real clients the theme is judged by: axe-core, the W3C Nu HTML Checker and Lighthouse.

`make test` installs them from package-lock.json into node_modules/ (and Java
and Node.js from Debian when missing, as root). A test needing one that is
missing skips, saying what to run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from browser import CHROMIUM, CHROMIUM_ARGS

REPOSITORY = Path(__file__).resolve().parents[1]
NODE_MODULES = REPOSITORY / "node_modules"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
VNU_JAR = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
LIGHTHOUSE = NODE_MODULES / "lighthouse" / "cli" / "index.js"
ARTIFACTS = REPOSITORY / "test-artifacts"
"""Where tests leave what a person may want to look at (screenshots, Lighthouse reports); ignored by git."""


def need(path: Path, *programs: str) -> None:
    """Skip the calling test, saying why, unless `path` and every program in `programs` are there."""
    if not path.is_file():
        pytest.skip(f"{path.relative_to(REPOSITORY)} is missing: `make test` installs it (npm ci)")
    for program in programs:
        if shutil.which(program) is None:
            pytest.skip(f"{program} is missing: `make test` installs it (apt-get, as root)")


def axe_violations(page, impacts: tuple[str, ...] = ("serious", "critical")) -> list[dict]:
    """Run axe-core in the page open in `page` (Playwright); return its violations of the given impacts."""
    need(AXE)
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in impacts]


def nu_html_errors(*folders: Path) -> tuple[int, list[str]]:
    """Check every HTML file below `folders` with the Nu HTML Checker: (files checked, its error messages)."""
    need(VNU_JAR, "java")
    files = sorted(str(p) for folder in folders for p in folder.rglob("*.html"))
    done = subprocess.run(["java", "-jar", str(VNU_JAR), "--format", "json", "--errors-only", *files],
                          capture_output=True, text=True, timeout=600)
    messages = json.loads(done.stderr or '{"messages": []}')["messages"]
    return len(files), [f"{m.get('url', '?')}:{m.get('lastLine', '?')}: {m['message']}" for m in messages]


def lighthouse(url: str, report: Path) -> dict:
    """Lighthouse's scores (0-100) of `url` in Debian's Chromium, its full JSON report written to `report`."""
    need(LIGHTHOUSE, "node")
    if not CHROMIUM.is_file():
        pytest.skip(f"{CHROMIUM} is missing: `make test` installs it (apt-get install chromium, as root)")
    report.parent.mkdir(parents=True, exist_ok=True)
    flags = " ".join(["--headless=new", *CHROMIUM_ARGS])
    subprocess.run(
        ["node", str(LIGHTHOUSE), url, "--quiet", "--output=json", f"--output-path={report}",
         f"--chrome-flags={flags}", "--only-categories=performance,accessibility,best-practices,seo"],
        check=True, timeout=300, env={**os.environ, "CHROME_PATH": str(CHROMIUM)})
    result = json.loads(report.read_text(encoding="utf-8"))
    return {name: round(category["score"] * 100) for name, category in result["categories"].items()}


def lighthouse_failures(report: Path) -> list[str]:
    """The audits of a Lighthouse report that count towards a score and did not pass: what to fix."""
    result = json.loads(report.read_text(encoding="utf-8"))
    return [f"{category['id']}: {ref['id']} ({result['audits'][ref['id']]['title']})"
            for category in result["categories"].values() for ref in category["auditRefs"]
            if ref["weight"] and (result["audits"][ref["id"]]["score"] or 0) < 1
            and result["audits"][ref["id"]]["scoreDisplayMode"] not in ("notApplicable", "informative", "manual")]
