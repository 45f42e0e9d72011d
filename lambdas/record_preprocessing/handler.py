"""record_preprocessing: the preprocessing component's statistics, outputs and outcome."""

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
    records: ExperimentRecords, s3, plan: RunPlan, status: str, error: TaskError | None
) -> RecordPreprocessingResult:
    name = plan.preprocessing.trial_component_name
    # Normally record_experiment created it; a retried or resumed execution may not have.
    records.ensure_component(
        name,
        display_name=contract.PREPROCESSING_DISPLAY_NAME,
        input_artifacts=artifacts_of({contract.DATASET_ARTIFACT: plan.dataset.s3_uri}),
    )
    now = datetime.now(UTC)
    if status == "Completed":
        stats = read_stats(s3, plan.preprocessing.output_s3_uri)
        outputs = {output: f"{plan.preprocessing.output_s3_uri}{output}/" for output in OUTPUT_ARTIFACTS}
        records.update_component(
            name,
            status=ComponentStatus("Completed"),
            parameters=parameters_of(stats),
            output_artifacts=artifacts_of(outputs),
            end_time=now,
        )
    else:
        reason = error.reason() if error else "preprocessing failed"
        records.update_component(name, status=ComponentStatus("Failed", reason), end_time=now)
    logger.info("preprocessing recorded", extra={"trialComponentName": name, "status": status})
    return RecordPreprocessingResult(trial_component_name=name, status=status)


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    request = parse_event(RecordPreprocessingEvent, event)
    if request.status not in OUTCOME_STATUSES:
        raise InvalidEvent(f"event.status: {request.status!r}; one of {', '.join(OUTCOME_STATUSES)}")
    records = ExperimentRecords(sagemaker_client())
    return schema.dump(record_preprocessing(records, s3_client(), request.plan, request.status, request.error))
