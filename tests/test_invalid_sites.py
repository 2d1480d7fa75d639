"""Every promised error message, one tiny site each: `newsgen check` names the file, line and reason.

Each folder of tests/sites/invalid/ is a site; its `expected` file holds the
exact problem lines that `newsgen check` must print (paths relative to the
site), and nothing else may be reported.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

INVALID = Path(__file__).parent / "sites" / "invalid"
CASES = sorted(p.name for p in INVALID.iterdir() if p.is_dir())


@pytest.mark.parametrize("case", CASES)
def test_invalid_site_is_refused_with_its_message(case: str) -> None:
    site = INVALID / case
    expected = (site / "expected").read_text(encoding="utf-8").splitlines()
    result = subprocess.run(
        [sys.executable, "-m", "newsgen", "check", ".", "--no-cache"],  # leave the repository as it was
        cwd=site, capture_output=True, text=True, encoding="utf-8",
    )
    assert result.returncode == 1, result.stderr
    problems = [line for line in result.stderr.splitlines() if not line.startswith("newsgen:")]
    assert problems == expected
    assert result.stdout == ""
    assert not (site / "public").exists() and not (site / ".newsgen").exists()


def test_there_is_a_case_for_every_kind_of_mistake() -> None:
    assert len(CASES) >= 20
