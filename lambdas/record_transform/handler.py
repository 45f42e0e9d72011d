"""record_transform: the batch transform component on the best trial (lineage dataset -> model -> predictions)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aws_lambda_powertools import Logger

import contract
from contract import names, schema
from contract.events import RecordTransformEvent, RecordTransformResult
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import parse_event
from lambdas.experiment_records.records import ComponentStatus, ExperimentRecords, artifacts_of, parameters_of

logger = Logger()


def record_transform(records: ExperimentRecords, transform: RecordTransformEvent) -> RecordTransformResult:
    name = names.transform_component_name(transform.transform_job_name)
    fields: dict[str, Any] = {
        "status": ComponentStatus("Completed"),
        "parameters": parameters_of(
            {
                "ModelName": transform.model_name,
                "TransformJobName": transform.transform_job_name,
                "TrainingJobName": transform.best.training_job_name,
            }
        ),
        "input_artifacts": artifacts_of(
            {
                contract.DATASET_ARTIFACT: transform.dataset_s3_uri,
                contract.MODEL_ARTIFACT: transform.best.model_artifact,
                contract.TRANSFORM_INPUT_ARTIFACT: transform.input_s3_uri,
            }
        ),
        "output_artifacts": artifacts_of({contract.PREDICTIONS_ARTIFACT: transform.output_s3_uri}),
        "end_time": datetime.now(UTC),
    }
    if not records.ensure_component(name, display_name=contract.TRANSFORM_DISPLAY_NAME, **fields):
        records.update_component(name, **fields)  # a retry: same values again
    records.associate(name, transform.best.trial_name)
    logger.info("transform recorded", extra={"trialComponentName": name, "trialName": transform.best.trial_name})
    return RecordTransformResult(trial_component_name=name)


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    transform = parse_event(RecordTransformEvent, event)
    return schema.dump(record_transform(ExperimentRecords(sagemaker_client()), transform))
