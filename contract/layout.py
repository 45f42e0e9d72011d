"""The S3 layout of the project's bucket: where datasets live and where each run writes."""

from __future__ import annotations

# --- S3 layout of the project's bucket ---------------------------------------------------------
DATASETS_PREFIX = "datasets/"  # raw data the processing job reads
RUNS_PREFIX = "runs/"  # everything an execution writes: runs/<experiment>/<execution>/...
DEFAULT_DATASET_KEY = DATASETS_PREFIX + "digits/"  # the sample dataset uploaded for local runs


def run_prefix(experiment_name: str, execution_name: str) -> str:
    return f"{RUNS_PREFIX}{experiment_name}/{execution_name}/"
