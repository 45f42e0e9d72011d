"""record_transform: the batch transform component on the best trial (lineage dataset -> model -> predictions)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from aws_lambda_powertools import Logger

import contract
from contract import names
from lambdas.experiment_records.clients import sagemaker_client
from lambdas.experiment_records.events import InvalidEvent, required_str
from lambdas.experiment_records.records import ComponentStatus, ExperimentRecords, artifacts_of, parameters_of

logger = Logger()


@dataclass(frozen=True)
class TransformRecord:
    experiment_name: str
    best_trial_name: str
    best_training_job_name: str
    model_artifact: str
    model_name: str
    transform_job_name: str
    input_s3_uri: str
    output_s3_uri: str
    dataset_s3_uri: str

    @classmethod
    def parse(cls, event: dict) -> TransformRecord:
        best = event.get("best") if isinstance(event, dict) else None
        if not isinstance(best, dict):
            raise InvalidEvent("best: missing or not an object")
        return cls(
            experiment_name=required_str(event, "experimentName"),
            best_trial_name=required_str(best, "trialName", "best"),
            best_training_job_name=required_str(best, "trainingJobName", "best"),
            model_artifact=required_str(best, "modelArtifact", "best"),
            model_name=required_str(event, "modelName"),
            transform_job_name=required_str(event, "transformJobName"),
            input_s3_uri=required_str(event, "inputS3Uri"),
            output_s3_uri=required_str(event, "outputS3Uri"),
            dataset_s3_uri=required_str(event, "datasetS3Uri"),
        )


def record_transform(records: ExperimentRecords, transform: TransformRecord) -> dict:
    name = names.transform_component_name(transform.transform_job_name)
    fields = dict(
        status=ComponentStatus("Completed"),
        parameters=parameters_of(
            {
                "ModelName": transform.model_name,
                "TransformJobName": transform.transform_job_name,
                "TrainingJobName": transform.best_training_job_name,
            }
        ),
        input_artifacts=artifacts_of(
            {
                contract.DATASET_ARTIFACT: transform.dataset_s3_uri,
                contract.MODEL_ARTIFACT: transform.model_artifact,
                contract.TRANSFORM_INPUT_ARTIFACT: transform.input_s3_uri,
            }
        ),
        output_artifacts=artifacts_of({contract.PREDICTIONS_ARTIFACT: transform.output_s3_uri}),
        end_time=datetime.now(UTC),
    )
    if not records.ensure_component(name, display_name=contract.TRANSFORM_DISPLAY_NAME, **fields):
        records.update_component(name, **fields)  # a retry: same values again
    records.associate(name, transform.best_trial_name)
    logger.info("transform recorded", extra={"trialComponentName": name, "trialName": transform.best_trial_name})
    return {"trialComponentName": name}


@logger.inject_lambda_context
def handler(event: dict, context) -> dict:
    return record_transform(ExperimentRecords(sagemaker_client()), TransformRecord.parse(event))
