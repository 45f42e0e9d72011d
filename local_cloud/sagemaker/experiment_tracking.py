"""Records a training job with ExperimentConfig in Experiments as SageMaker does, from its Describe response.

SageMaker tracks such a job as trial component `<TrainingJobName>-aws-training-job` (source: the
job) associated with ExperimentConfig.TrialName: parameters = hyperparameters, metrics from the
job's MetricDefinitions, input artifacts = the channels, output artifact SageMaker.ModelArtifact =
the model.tar.gz URI, status and failure message. The record itself is the Experiments backend's
(`record_training_job` of local_cloud/experiments/backend.py); this adapter only reads the job.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class TrainingJobRecorder(Protocol):  # local_cloud/experiments/backend.py ExperimentsBackend
    @property
    def record_training_job(self) -> Callable[..., str]: ...  # keyword arguments: the job's fields


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
    }
