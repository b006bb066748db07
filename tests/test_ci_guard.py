"""The CI guard in tests/conftest.py: with CI=true a run that skipped, xfailed (a marker or an imperative
``pytest.xfail``) or xpassed anything fails, even though pytest itself would call it green.

Each case runs a real pytest on a tiny test file in a temp dir, with the guard loaded as a plugin."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]

CASES = {
    "skip": "import pytest\n\ndef test_it():\n    pytest.skip('not here')\n",
    "imperative_xfail": "import pytest\n\ndef test_it():\n    pytest.xfail('known broken')\n",
    "xfail_marker": "import pytest\n\n@pytest.mark.xfail\ndef test_it():\n    assert False\n",
    "xpass": "import pytest\n\n@pytest.mark.xfail\ndef test_it():\n    assert True\n",
}


def run(tmp_path: Path, source: str, ci: str) -> subprocess.CompletedProcess[str]:
    test = tmp_path / "test_tiny.py"
    test.write_text(source)
    env = {**os.environ, "CI": ci}
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "tests.conftest", "-p", "no:cacheprovider",
                           "--rootdir", str(tmp_path), "-c", os.devnull, str(test)],
                          cwd=REPO, env=env, capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("case", sorted(CASES))
def test_in_ci_a_test_that_did_not_pass_fails_the_run(tmp_path: Path, case: str) -> None:
    source = CASES[case]
    assert run(tmp_path, source, "false").returncode == 0  # pytest alone calls it green
    proc = run(tmp_path, source, "true")
    assert proc.returncode == pytest.ExitCode.TESTS_FAILED, proc.stdout
    assert "CI=true:" in proc.stdout and "only a pass counts here" in proc.stdout


def test_in_ci_a_clean_pass_stays_green(tmp_path: Path) -> None:
    proc = run(tmp_path, "def test_it():\n    assert 1\n", "true")
    assert proc.returncode == 0, proc.stdout
