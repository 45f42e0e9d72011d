"""Faults injected into named training jobs (tests): each fails once, as SageMaker fails a job it has no capacity for.

A test (or a person) marks a job name with `inject_capacity_fault(run_dir, name)` before the job
starts; the training runner that meets the mark removes it (so the fault fires once, even across
processes: only one `unlink` succeeds) and ends the job Failed without running its container, with
the FailureReason SageMaker gives when it cannot provision instances ("CapacityError: Unable to
provision requested ML compute capacity. Please retry using a different ML instance type.", as
reported from real jobs, e.g. DIAGNijmegen/rse-grand-challenge#2631, aws/sagemaker-pytorch-training-
toolkit#171). A rerun with a new job name is not affected.
"""

from __future__ import annotations

from pathlib import Path

CAPACITY_ERROR = (
    "CapacityError: Unable to provision requested ML compute capacity. Please retry using a different ML instance type."
)
_FOLDER = Path("faults") / "training-jobs"


def inject_capacity_fault(run_dir: Path | str, job_name: str) -> Path:
    """Mark `job_name`: its next run in this cloud fails once with CAPACITY_ERROR."""
    mark = Path(run_dir) / _FOLDER / job_name
    mark.parent.mkdir(parents=True, exist_ok=True)
    mark.touch()
    return mark


def take_capacity_fault(run_dir: Path | str, job_name: str) -> str | None:
    """The failure reason when `job_name` was marked (the mark is consumed), else None."""
    try:
        (Path(run_dir) / _FOLDER / job_name).unlink()
    except FileNotFoundError:
        return None
    return CAPACITY_ERROR
