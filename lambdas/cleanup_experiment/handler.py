"""cleanup_experiment: one resumable pass of the ordered deletion of an experiment's records."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import names
from lambdas.cleanup_experiment.cleanup import CleanupCounts, delete_in_order
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import InvalidEvent, optional_dict, required_str
from lambdas.experiment_records.mlflow_client import MlflowError
from lambdas.experiment_records.mlflow_records import client_from_environment, delete_experiment
from lambdas.experiment_records.records import ExperimentRecords

logger = Logger()
# Stop while this much of the invocation is left: one API call with adaptive retries can spend
# about 71 s in backoff when throttled (8 attempts), so a call begun before the margin still ends
# before the function's 5-minute timeout and never strands a record half-deleted.
SAFETY_MARGIN_MS = 90_000


def parse_request(event: dict) -> tuple[str, bool, CleanupCounts]:
    """The experiment, keepComponents and the counts so far (see `passes_so_far` for the rest)."""
    name = required_str(event, "experimentName")
    if not names.ENTITY_NAME.match(name):
        raise InvalidEvent(f"experimentName: {name!r} is not a SageMaker experiment name")
    keep = event.get("keepComponents", False)
    if not isinstance(keep, bool):
        raise InvalidEvent(f"keepComponents: must be true or false, got {keep!r}")
    # The contract's `progress`, or (the cleanup state machine's loop) the previous output itself.
    progress = optional_dict(event, "progress")
    if progress is None and ("deleted" in event or "kept" in event):
        progress = event
    return name, keep, CleanupCounts.from_event(progress)


def passes_so_far(event: dict) -> tuple[int, int]:
    """`passes` and `deferredPasses` of the previous pass's output (0 when absent)."""
    progress = optional_dict(event, "progress") or event
    values = []
    for key in ("passes", "deferredPasses"):
        value = progress.get(key, 0)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise InvalidEvent(f"{key}: must be a non-negative integer, got {value!r}")
        values.append(value)
    return values[0], values[1]


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    if not isinstance(event, dict):
        raise InvalidEvent("event: must be an object")
    name, keep, progress = parse_request(event)
    passes, deferred_passes = passes_so_far(event)
    result = delete_in_order(
        ExperimentRecords(sagemaker_client()),
        name,
        keep_components=keep,
        remaining_ms=context.get_remaining_time_in_millis,
        safety_margin_ms=SAFETY_MARGIN_MS,
        progress=progress,
        passes=passes,
        deferred_passes=deferred_passes,
    )
    output = result.to_event()
    mlflow = client_from_environment()
    if result.done and mlflow is not None:
        # The MLflow records go with the SageMaker ones; a miss is reported, never an error.
        try:
            output["mlflow"] = {"deletedRuns": delete_experiment(mlflow, name)}
        except MlflowError as error:
            output["mlflow"] = {"unrecorded": f"MLflow experiment {name} not deleted: {error}"}
    logger.info("cleanup pass", extra=output)
    return output
