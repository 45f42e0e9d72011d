"""record_transform: the completed batch transform as a nested MLflow run of its execution; misses are results."""

from __future__ import annotations

from aws_lambda_powertools import Logger

from contract import schema
from contract.events import RecordTransformEvent, TransformRecording
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.mlflow_client import MlflowClient
from lambdas.experiment_records.mlflow_records import ExecutionRuns, client_from_environment, recorded

logger = Logger()


def record_transform(mlflow: MlflowClient | None, request: RecordTransformEvent) -> TransformRecording:
    """Nothing to do when tracking is off; a tracking server that is down or refuses is reported, not raised
    (the transform's SageMaker component, `<job>-aws-transform-job` on the best trial, is SageMaker's)."""
    if mlflow is None:
        return TransformRecording()
    runs = ExecutionRuns(mlflow, request.experiment_name, request.execution_name)
    misses = recorded(
        lambda: runs.record_transform(request.transform, request.model_name, request.best), "transform run"
    )
    for miss in misses:
        logger.warning("not recorded in MLflow", extra={"what": miss.what, "reason": miss.reason})
    return TransformRecording(mlflow_unrecorded=[miss.line() for miss in misses])


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return schema.dump(record_transform(client_from_environment(), parse_event(RecordTransformEvent, event)))
