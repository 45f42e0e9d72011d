"""The deployed code package (lambdas/ + contract/) imports on its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from contract import functions

ROOT = Path(__file__).resolve().parents[2]
FUNCTIONS = tuple(f.name for f in functions.ALL_FUNCTIONS)


def test_every_handler_imports_from_the_code_package_alone(tmp_path):
    shutil.copytree(ROOT / "lambdas", tmp_path / "lambdas", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copytree(ROOT / "contract", tmp_path / "contract", ignore=shutil.ignore_patterns("__pycache__"))
    script = (
        "import importlib, sys\n"
        f"for name in {FUNCTIONS!r}:\n"
        "    assert callable(importlib.import_module(f'lambdas.{name}.handler').handler)\n"
        "never = ('aws_cdk', 'moto', 'ops', 'local_cloud', 'jobs', 'torch', 'tests')\n"
        "leaked = [m for m in never if m in sys.modules]\n"
        "assert not leaked, leaked\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        env={"PATH": "/usr/bin:/bin", "AWS_DEFAULT_REGION": "us-east-1"},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
