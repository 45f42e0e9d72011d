"""How the jobs the local cloud runs, and the models it creates, live in moto's SageMaker backend."""

from __future__ import annotations

from typing import Any

# Step Functions' sagemaker:<action> -> (job kind, the request's name field, moto backend's dict of that kind).
JOB_KINDS = {
    "createProcessingJob": ("processing", "ProcessingJobName", "processing_jobs"),
    "createTrainingJob": ("training", "TrainingJobName", "training_jobs"),
    "createTransformJob": ("transform", "TransformJobName", "transform_jobs"),
}


class JobRecord:
    """Stands in moto's job objects for a job the local cloud runs: Describe*/List* see its real state.

    moto's Describe*Job answers the stored object's `response_object` and its List*Jobs read the
    `<kind>_job_name`, `<kind>_job_status`, times and ARN attributes; this record has exactly those.
    """

    def __init__(self, kind: str, description: dict) -> None:
        self.kind = kind
        title = kind.capitalize()
        self.description = dict(description)
        self.arn = description[f"{title}JobArn"]
        self.creation_time = description["CreationTime"]
        self.last_modified_time = description["LastModifiedTime"]
        self.failure_reason = description.get("FailureReason")
        self.tags = description.get("Tags") or []
        # moto's attribute names depend on the kind (training_job_name, processing_job_status, ...).
        for attribute, value in (
            (f"{kind}_job_name", description[f"{title}JobName"]),
            (f"{kind}_job_status", description[f"{title}JobStatus"]),
            (f"{kind}_end_time", description.get(f"{title}EndTime")),
        ):
            setattr(self, attribute, value)

    @property
    def response_object(self) -> dict:
        return dict(self.description)

    @property
    def response_create(self) -> dict:
        return {f"{self.kind.capitalize()}JobArn": self.arn}


def jobs_of_kind(backend: Any, action: str) -> dict:
    """moto's dict of the jobs `action` creates (backend.training_jobs etc.), keyed by job name."""
    return getattr(backend, JOB_KINDS[action][2])


def create_model(backend: Any, request: dict) -> dict:
    """sagemaker:createModel through moto's own CreateModel; returns its response."""
    model = backend.create_model(
        model_name=request.get("ModelName"),
        execution_role_arn=request.get("ExecutionRoleArn"),
        primary_container=request.get("PrimaryContainer") or {},
        vpc_config=request.get("VpcConfig"),
        containers=request.get("Containers"),
        tags=request.get("Tags"),
    )
    return {"ModelArn": model.arn}


def model_description(backend: Any, model_name: str | None) -> dict | None:
    """DescribeModel of `model_name` through moto's public describe_model; None when there is no such model."""
    from moto.sagemaker.exceptions import ValidationError

    try:
        return backend.describe_model(model_name).response_object
    except ValidationError:
        return None
