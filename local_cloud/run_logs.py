"""Where to look when a local execution fails: the log file of each failed job or Lambda invocation.

The run folder is the local CloudWatch Logs: logs/<kind>-jobs/<JobName>.log for SageMaker jobs and
logs/lambda/<FunctionName>/<time>-<request>.log for Lambda invocations.
"""

from __future__ import annotations

import json
from pathlib import Path

JOB_NAME_FIELDS = {"TrainingJobName": "training", "ProcessingJobName": "processing", "TransformJobName": "transform"}


def tail(log: Path, lines: int) -> str:
    """The last lines of a log, or "(no log)"."""
    if not log.is_file():
        return "(no log)"
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


# The layout, written here once for the writers (sagemaker/job_run.py, awslambda/runtime.py) and the reader below.
def job_log(run_dir: Path, kind: str, name: str) -> Path:
    """A SageMaker job's log (kind: processing, training, transform)."""
    return run_dir / "logs" / f"{kind}-jobs" / f"{name}.log"


def lambda_log_dir(run_dir: Path, function_name: str) -> Path:
    """The folder of a Lambda function's invocation logs, one `<time>-<request id[:8]>.log` each."""
    return run_dir / "logs" / "lambda" / function_name


def failure_logs(run_dir: Path, history_events: list[dict]) -> list[tuple[str, Path]]:
    """(what failed, its log file) for every failed task of an execution's history, oldest first."""
    found: list[tuple[str, Path]] = []
    for event in history_events:
        details = event.get("taskFailedEventDetails") or event.get("executionFailedEventDetails")
        if not details:
            continue
        log = log_for_cause(run_dir, details.get("cause") or "")
        if log is not None and all(log != seen for _, seen in found):
            found.append((f"{details.get('error')} ({details.get('resource', 'execution')})", log))
    return found


def log_for_cause(run_dir: Path, cause: str) -> Path | None:
    try:
        parsed = json.loads(cause)
    except ValueError:
        return None
    if not isinstance(parsed, dict):
        return None
    for field, kind in JOB_NAME_FIELDS.items():
        if field in parsed:
            path = job_log(run_dir, kind, parsed[field])
            return path if path.is_file() else None
    request_id = parsed.get("requestId")
    if request_id:
        matches = sorted((run_dir / "logs" / "lambda").glob(f"*/*-{request_id[:8]}.log"))
        return matches[-1] if matches else None
    return None


def describe_failure(run_dir: Path, history_events: list[dict]) -> str:
    """A few lines for a failed execution: each failure and the log file that explains it."""
    lines = [f"  {what}: {path}" for what, path in failure_logs(run_dir, history_events)]
    if not lines:
        lines = [f"  every job and Lambda log is under {run_dir / 'logs'}"]
    return "where to look:\n" + "\n".join(lines)
