"""record_preprocessing: the preprocessing statistics on SageMaker's component of the processing job."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

import contract
from contract import schema
from contract.events import OUTCOME_STATUSES, RecordPreprocessingEvent, RecordPreprocessingResult, TaskError
from contract.run_plan import RunPlan
from lambdas.experiment_records.clients import s3_client, sagemaker_client
from lambdas.experiment_records.events import InvalidEvent, parse_event
from lambdas.experiment_records.mlflow_client import MlflowClient
from lambdas.experiment_records.mlflow_records import ExecutionRuns, client_from_environment, recorded
from lambdas.experiment_records.records import (
    ComponentStatus,
    ExperimentRecords,
    artifacts_of,
    parameters_of,
)

logger = Logger()
# Output artifacts: the processing outputs the training channels and the transform read.
OUTPUT_ARTIFACTS = contract.PROCESSING_OUTPUTS


def stats_location(output_s3_uri: str) -> tuple[str, str]:
    """(bucket, key) of stats.json under the preprocessing output prefix."""
    bucket, _, prefix = output_s3_uri.removeprefix("s3://").partition("/")
    return bucket, f"{prefix}{contract.STATS_OUTPUT}/{contract.STATS_FILE}"


def read_stats(s3, output_s3_uri: str) -> dict:
    bucket, key = stats_location(output_s3_uri)
    stats = json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    if not isinstance(stats, dict):
        raise ValueError(f"s3://{bucket}/{key}: expected a JSON object of statistics")
    return stats


def record_preprocessing(
    records: ExperimentRecords,
    s3,
    plan: RunPlan,
    status: str,
    error: TaskError | None,
    mlflow: MlflowClient | None = None,
) -> RecordPreprocessingResult:
    """Adds the statistics to SageMaker's component of the processing job (its status, inputs and
    outputs are SageMaker's). UpdateTrialComponent works on a job's component: the SageMaker
    Experiments SDK's tracker logs parameters on `<processing job>-aws-processing-job` the same way."""
    name = plan.preprocessing.trial_component_name
    stats: dict = {}
    if status == "Completed":
        stats = read_stats(s3, plan.preprocessing.output_s3_uri)
        if records.describe_component(name) is None:
            # Not expected from SageMaker; recorded anyway so that the trials hold the preprocessing.
            logger.warning("completed processing job left no component", extra={"trialComponentName": name})
            outputs = {output: f"{plan.preprocessing.output_s3_uri}{output}/" for output in OUTPUT_ARTIFACTS}
            _create(records, plan, ComponentStatus("Completed"), output_artifacts=artifacts_of(outputs))
        records.update_component(name, parameters=parameters_of(stats))
    elif records.describe_component(name) is None:
        # The job never ran (CreateProcessingJob refused): no component from SageMaker, so one says why.
        _create(records, plan, ComponentStatus("Failed", error.reason() if error else "preprocessing failed"))
    if mlflow is not None:
        failure = None if status == "Completed" else (error.reason() if error else "preprocessing failed")
        runs = ExecutionRuns(mlflow, plan.experiment_name, plan.execution_name)
        for miss in recorded(lambda: runs.record_preprocessing(plan, status, stats, failure), "preprocessing run"):
            logger.warning("not recorded in MLflow", extra={"what": miss.what, "reason": miss.reason})
    logger.info("preprocessing recorded", extra={"trialComponentName": name, "status": status})
    return RecordPreprocessingResult(trial_component_name=name, status=status)


def _create(records: ExperimentRecords, plan: RunPlan, status: ComponentStatus, **fields) -> None:
    now = datetime.now(UTC)
    records.ensure_component(
        plan.preprocessing.trial_component_name,
        display_name=contract.PREPROCESSING_DISPLAY_NAME,
        status=status,
        input_artifacts=artifacts_of({contract.RAW_INPUT: plan.dataset.s3_uri}),
        start_time=now,
        end_time=now,
        **fields,
    )
    records.associate(plan.preprocessing.trial_component_name, plan.preprocessing.trial_name)


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    request = parse_event(RecordPreprocessingEvent, event)
    if request.status not in OUTCOME_STATUSES:
        raise InvalidEvent(f"event.status: {request.status!r}; one of {', '.join(OUTCOME_STATUSES)}")
    records = ExperimentRecords(sagemaker_client())
    return schema.dump(
        record_preprocessing(
            records, s3_client(), request.plan, request.status, request.error, client_from_environment()
        )
    )
