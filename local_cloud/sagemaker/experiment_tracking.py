"""Records a job started with ExperimentConfig in Experiments as SageMaker does, from its Describe response.

SageMaker tracks such a job as trial component `<TrainingJobName>-aws-training-job` (source: the
job) associated with ExperimentConfig.TrialName: parameters = hyperparameters (numbers as numbers)
and the job's `SageMaker.*` settings, metrics from the job's MetricDefinitions, input artifacts =
the channels, output artifact SageMaker.ModelArtifact = the model.tar.gz URI, status and message.
The record itself is the Experiments backend's (`record_training_job` of
local_cloud/experiments/backend.py); this adapter only reads the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class TrainingJobRecorder(Protocol):  # local_cloud/experiments/backend.py ExperimentsBackend
    @property
    def record_training_job(self) -> Callable[..., str]: ...  # keyword arguments: the job's fields

    @property
    def record_job_component(self) -> Callable[..., str]: ...  # keyword arguments: the component's fields


# A processing or transform job's component, as SageMaker records one (seen in records SageMaker made,
# e.g. a `...-aws-processing-job` with Source.SourceType SageMakerProcessingJob, parameters
# SageMaker.InstanceCount/InstanceType/VolumeSizeInGB, input artifacts SageMaker.ImageUri and each
# ProcessingInput by InputName, output artifacts each ProcessingOutput by OutputName; and a
# `...-aws-transform-job` with SageMaker.ModelName and SageMaker.ModelPrimary.DataUrl/Image parameters,
# input artifact SageMaker.TransformInput (its ContentType as MediaType), output SageMaker.TransformOutput).
JOB_COMPONENT_SUFFIX = {"processing": "-aws-processing-job", "transform": "-aws-transform-job"}
JOB_SOURCE_TYPE = {"processing": "SageMakerProcessingJob", "transform": "SageMakerTransformJob"}


class JobComponentTracker:
    """Records a processing or transform job with ExperimentConfig each time its Describe response is
    published (InProgress, then Completed or Failed): `<job>-aws-processing-job` / `-aws-transform-job`."""

    def __init__(self, recorder: TrainingJobRecorder) -> None:
        self.recorder = recorder

    def published(self, kind: str, description: dict, model: dict | None = None) -> str | None:
        config = description.get("ExperimentConfig") or {}
        if kind not in JOB_COMPONENT_SUFFIX or not config:
            return None
        title = kind.capitalize()
        parameters, inputs, outputs = (
            _processing_fields(description) if kind == "processing" else _transform_fields(description, model or {})
        )
        return self.recorder.record_job_component(
            name=description[f"{title}JobName"] + JOB_COMPONENT_SUFFIX[kind],
            source_arn=description[f"{title}JobArn"],
            source_type=JOB_SOURCE_TYPE[kind],
            experiment_config=config,
            status=description[f"{title}JobStatus"],
            parameters=parameters,
            input_artifacts=inputs,
            output_artifacts=outputs,
            failure_reason=description.get("FailureReason"),
            exit_message=description.get("ExitMessage"),
            start_time=description.get(f"{title}StartTime") or description.get("CreationTime"),
            end_time=description.get(f"{title}EndTime"),
        )


def _processing_fields(description: dict) -> tuple[dict, dict, dict]:
    cluster = (description.get("ProcessingResources") or {}).get("ClusterConfig") or {}
    parameters = {
        "SageMaker.InstanceCount": {"NumberValue": float(cluster.get("InstanceCount", 1))},
        "SageMaker.InstanceType": {"StringValue": str(cluster.get("InstanceType", ""))},
        "SageMaker.VolumeSizeInGB": {"NumberValue": float(cluster.get("VolumeSizeInGB", 0))},
    }
    image = (description.get("AppSpecification") or {}).get("ImageUri")
    inputs = {"SageMaker.ImageUri": {"Value": image}} if image else {}
    for item in description.get("ProcessingInputs") or []:
        if item.get("S3Input"):
            inputs[item["InputName"]] = {"MediaType": "s3/uri", "Value": item["S3Input"]["S3Uri"]}
    outputs = {
        item["OutputName"]: {"MediaType": "s3/uri", "Value": item["S3Output"]["S3Uri"]}
        for item in (description.get("ProcessingOutputConfig") or {}).get("Outputs") or []
        if item.get("S3Output")
    }
    return parameters, inputs, outputs


def _transform_fields(description: dict, model: dict) -> tuple[dict, dict, dict]:
    resources = description.get("TransformResources") or {}
    container = model.get("PrimaryContainer") or (model.get("Containers") or [{}])[0]
    parameters = {
        "SageMaker.InstanceCount": {"NumberValue": float(resources.get("InstanceCount", 1))},
        "SageMaker.InstanceType": {"StringValue": str(resources.get("InstanceType", ""))},
        "SageMaker.ModelName": {"StringValue": str(description.get("ModelName", ""))},
    }
    for key, field in (("SageMaker.ModelPrimary.DataUrl", "ModelDataUrl"), ("SageMaker.ModelPrimary.Image", "Image")):
        if container.get(field):
            parameters[key] = {"StringValue": container[field]}
    transform_input = description.get("TransformInput") or {}
    source = (transform_input.get("DataSource") or {}).get("S3DataSource") or {}
    inputs = (
        {
            "SageMaker.TransformInput": {
                "MediaType": transform_input.get("ContentType", "s3/uri"),
                "Value": source["S3Uri"],
            }
        }
        if source.get("S3Uri")
        else {}
    )
    output = (description.get("TransformOutput") or {}).get("S3OutputPath")
    outputs = {"SageMaker.TransformOutput": {"Value": output}} if output else {}
    return parameters, inputs, outputs


class TrainingComponentTracker:
    """The job runner's TrainingTracker: the component is created at start and completed at the end."""

    def __init__(self, recorder: TrainingJobRecorder) -> None:
        self.recorder = recorder

    def started(self, description: dict) -> None:
        self.recorder.record_training_job(**_fields(description))

    def finished(self, description: dict, metric_series: dict[str, list[float]]) -> None:
        self.recorder.record_training_job(
            **_fields(description),
            model_artifact=(description.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
            final_metrics={m["MetricName"]: m["Value"] for m in description.get("FinalMetricDataList") or []},
            metric_series=metric_series,
            failure_reason=description.get("FailureReason"),
            end_time=description.get("TrainingEndTime"),
        )


def _fields(description: dict) -> dict:
    return {
        "training_job_name": description["TrainingJobName"],
        "training_job_arn": description["TrainingJobArn"],
        "experiment_config": description.get("ExperimentConfig") or {},
        "status": description["TrainingJobStatus"],
        "hyperparameters": description.get("HyperParameters") or {},
        "input_artifacts": {
            channel["ChannelName"]: channel["DataSource"]["S3DataSource"]["S3Uri"]
            for channel in description.get("InputDataConfig") or []
            if channel.get("DataSource", {}).get("S3DataSource")
        },
        "start_time": description.get("TrainingStartTime") or description.get("CreationTime"),
        "job_parameters": _training_parameters(description),
    }


def _training_parameters(description: dict) -> dict[str, dict]:
    """The `SageMaker.*` parameters of a training job's component: its image, instance type and count
    (as in a DescribeTrialComponent answer for a training job quoted in sagemaker-core's unit tests:
    SageMaker.ImageUri is a parameter there, not an input artifact as on a processing job's component),
    and its volume size."""
    resources = description.get("ResourceConfig") or {}
    image = (description.get("AlgorithmSpecification") or {}).get("TrainingImage")
    return {
        **({"SageMaker.ImageUri": {"StringValue": str(image)}} if image else {}),
        "SageMaker.InstanceCount": {"NumberValue": float(resources.get("InstanceCount", 1))},
        "SageMaker.InstanceType": {"StringValue": str(resources.get("InstanceType", ""))},
        "SageMaker.VolumeSizeInGB": {"NumberValue": float(resources.get("VolumeSizeInGB", 0))},
    }
