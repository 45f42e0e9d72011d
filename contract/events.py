"""Every Lambda event and result of the training state machine, and the state each part of it carries.

The state machine builds each Lambda's Payload with `schema.template(<Event>, ...)` from these models,
and each handler parses its event with `schema.parse(<Event>, event)`: one definition for both sides.
docs/lambda-contracts.md is generated from this module (`python -m contract.docs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contract.run_plan import Objective, RunPlan, TrialPlan
from contract.schema import InvalidMessage, field, parse

COMPLETED = "Completed"
FAILED = "Failed"
OUTCOME_STATUSES = (COMPLETED, FAILED)


# --- Shapes AWS makes (field names as AWS writes them) ----------------------------------------------
@dataclass(frozen=True)
class TaskError:
    """A caught error, as a Catch's ResultPath holds it."""

    error: str = field(json="Error", doc="the error name")
    cause: str = field(json="Cause", doc="its cause; a `.sync` job's is the Describe*Job JSON", default="")

    @classmethod
    def from_json(cls, value: dict, where: str) -> TaskError:
        return cls(error=str(value.get("Error") or "Error"), cause=str(value.get("Cause") or ""))

    def reason(self) -> str:
        """The failure reason: a `.sync` task's Cause is usually the Describe*Job JSON."""
        try:
            described = json.loads(self.cause)
        except (TypeError, ValueError):
            described = None
        if isinstance(described, dict) and described.get("FailureReason"):
            return str(described["FailureReason"])
        return f"{self.error}: {self.cause}" if self.cause else self.error


@dataclass(frozen=True)
class TrainingResult:
    """The parts of DescribeTrainingJob that a `.sync` training task returns and the recorder reads."""

    status: str = field(json="TrainingJobStatus", doc="Completed, Failed or Stopped")
    final_metrics: dict[str, float] = field(json="FinalMetricDataList", doc="the last value of each metric")
    model_artifact: str | None = field(json="ModelArtifacts", doc="S3ModelArtifacts: model.tar.gz")
    failure_reason: str | None = field(json="FailureReason", doc="why the job failed")

    @classmethod
    def from_json(cls, value: dict, where: str) -> TrainingResult:
        metrics = {}
        for item in value.get("FinalMetricDataList") or []:
            if isinstance(item, dict) and "MetricName" in item and item.get("Value") is not None:
                metrics[str(item["MetricName"])] = float(item["Value"])
        return cls(
            status=str(value.get("TrainingJobStatus") or "Unknown"),
            final_metrics=metrics,
            model_artifact=(value.get("ModelArtifacts") or {}).get("S3ModelArtifacts"),
            failure_reason=value.get("FailureReason"),
        )


@dataclass(frozen=True)
class JobReference:
    """A `.sync` processing job's result, reduced to what the execution keeps (ResultSelector)."""

    processing_job_arn: str = field(json="ProcessingJobArn", doc="the job's ARN")
    processing_job_status: str = field(json="ProcessingJobStatus", doc="Completed")


# --- Results that travel between states --------------------------------------------------------------
@dataclass(frozen=True)
class TrialOutcome:
    """One trial's result: record_training's output, one item of select_best's input and of the output."""

    trial_name: str = field(doc="the SageMaker trial")
    training_job_name: str = field(doc="its training job")
    status: str = field(doc="Completed or Failed")
    hyperparameters: dict[str, str] = field(doc="the trial's hyperparameters", default_factory=dict)
    metrics: dict[str, float] = field(doc="final metrics (empty when none)", default_factory=dict)
    failure_reason: str | None = field(doc="why the trial failed", default=None)
    model_artifact: str | None = field(doc="the model.tar.gz of a completed trial", default=None)

    @classmethod
    def from_json(cls, value: dict, where: str) -> TrialOutcome:
        for key in ("trialName", "trainingJobName", "status"):
            if not isinstance(value.get(key), str) or not value[key]:
                raise InvalidMessage(f"{where}.{key}: missing")
        metrics = value.get("metrics") or {}
        if not isinstance(metrics, dict):
            raise InvalidMessage(f"{where}.metrics: must be an object")
        return cls(
            trial_name=value["trialName"],
            training_job_name=value["trainingJobName"],
            status=value["status"],
            hyperparameters=parse(dict[str, str], value.get("hyperparameters") or {}, f"{where}.hyperparameters"),
            # A metric SageMaker could not parse is left out rather than failing the whole selection.
            metrics={str(k): float(v) for k, v in metrics.items() if isinstance(v, (int, float))},
            failure_reason=value.get("failureReason"),
            model_artifact=value.get("modelArtifact"),
        )


@dataclass(frozen=True)
class BestTrial:
    """select_best's result, kept as the execution's `best`."""

    trial_name: str = field(doc="the best trial")
    training_job_name: str = field(doc="its training job")
    metric: str = field(doc="the objective metric")
    value: float = field(doc="its value")
    model_artifact: str = field(doc="the model the transform runs")
    hyperparameters: dict[str, str] = field(doc="the best trial's hyperparameters", default_factory=dict)


# --- Lambda events and results ------------------------------------------------------------------------
@dataclass(frozen=True)
class ValidateInputEvent:
    """Validates the execution input (ExecutionInput; InvalidExecutionInput names the field) and plans the
    run: the RunPlan every later state reads. A trial's hyperparameters are the contract's defaults,
    overridden by the input's hyperparameters, overridden by the trial's own entry; all strings."""

    input: Any = field(doc="the execution input, as started")
    execution_name: str = field(doc="the execution's name ($$.Execution.Name)")


@dataclass(frozen=True)
class RecordExperimentResult:
    experiment_name: str = field(doc="the experiment, created if absent")
    trial_component_name: str = field(doc="the preprocessing component, created InProgress")


@dataclass(frozen=True)
class RecordPreprocessingEvent:
    """Completed: reads `<preprocessing.outputS3Uri>stats/stats.json` and sets it as the preprocessing
    component's parameters (normalization mean and std, counts, image shape), with output artifacts for
    the train/test/transform/stats prefixes and status Completed. Failed: status Failed with the cause."""

    plan: RunPlan = field(doc="the run plan")
    status: str = field(doc="Completed or Failed")
    error: TaskError | None = field(doc="the caught error of a failed job", default=None)


@dataclass(frozen=True)
class RecordPreprocessingResult:
    trial_component_name: str = field(doc="the preprocessing component")
    status: str = field(doc="the status recorded")


@dataclass(frozen=True)
class RecordTrialEvent:
    """Creates the trial if absent and associates the preprocessing component with it (as in the
    notebook, every trial holds the one preprocessing component)."""

    experiment_name: str = field(doc="the experiment")
    trial: TrialPlan = field(doc="the trial's plan")
    preprocessing_trial_component_name: str = field(doc="associated with the trial")


@dataclass(frozen=True)
class RecordTrialResult:
    trial_name: str = field(doc="the trial recorded")


@dataclass(frozen=True)
class RecordTrainingEvent:
    """Records the outcome: a job started with ExperimentConfig has its component
    `<trainingJobName>-aws-training-job` from SageMaker, which is associated with the trial; a job that
    failed before SageMaker made one gets it created here (DisplayName Training, status Failed with
    the failure reason, the hyperparameters as parameters). A failed `.sync` task's Cause is usually
    the DescribeTrainingJob JSON as a string; its FailureReason becomes the trial's."""

    experiment_name: str = field(doc="the experiment")
    trial: TrialPlan = field(doc="the trial's plan")
    training: TrainingResult | None = field(doc="the `.sync` task's result; {} when it failed", default=None)
    error: TaskError | None = field(doc="the caught error; {} when it trained", default=None)


@dataclass(frozen=True)
class SelectBestEvent:
    """The best completed trial by the objective (ties go to the earlier trial); when none completed
    with the metric, raises NoCompletedTrial, whose message lists each trial's status."""

    trials: list[TrialOutcome] = field(doc="every trial's outcome")
    objective: Objective = field(doc="the metric and goal")


@dataclass(frozen=True)
class RecordTransformEvent:
    """Creates the transform component (DisplayName Transform, Completed) with input artifacts
    dataset, model (the best trial's model artifact) and transform input, and output artifact
    predictions; associates it with the best trial."""

    experiment_name: str = field(doc="the experiment")
    best: BestTrial = field(doc="the best trial")
    model_name: str = field(doc="the model the transform ran")
    transform_job_name: str = field(doc="the transform job")
    input_s3_uri: str = field(doc="its input")
    output_s3_uri: str = field(doc="its output prefix")
    dataset_s3_uri: str = field(doc="the raw dataset (lineage)")


@dataclass(frozen=True)
class RecordTransformResult:
    trial_component_name: str = field(doc="the transform component")


# --- What the training state machine carries ----------------------------------------------------------
@dataclass(frozen=True)
class PipelineState(RunPlan):
    """The top-level state: the run plan, and what the states add beside it as the run goes on."""

    preprocessing_job: JobReference | None = field(doc="Preprocess's reduced result", default=None)
    error: TaskError | None = field(doc="a caught preprocessing failure", default=None)
    trial_results: list[TrialOutcome] | None = field(doc="the trials' outcomes (TrainTrials)", default=None)
    best: BestTrial | None = field(doc="SelectBest's result", default=None)


@dataclass(frozen=True)
class TrialIteration:
    """One TrainTrials iteration's state: its item, then the training result or the caught error."""

    experiment_name: str = field(doc="the experiment")
    preprocessing_trial_component_name: str = field(doc="the preprocessing component")
    preprocessing_output_s3_uri: str = field(doc="prefix of the training channels")
    trial: TrialPlan = field(doc="the trial's plan")
    training: TrainingResult | None = field(doc="Train's result", default=None)
    error: TaskError | None = field(doc="Train's caught error", default=None)


@dataclass(frozen=True)
class BestSummary:
    trial_name: str = field(doc="the best trial")
    metric: str = field(doc="the objective metric")
    value: float = field(doc="its value")


@dataclass(frozen=True)
class TransformSummary:
    job_name: str = field(doc="the transform job")
    output_s3_uri: str = field(doc="its predictions")


@dataclass(frozen=True)
class ExecutionOutput:
    """The training execution's output (design.md, "Execution output")."""

    experiment_name: str = field(doc="the experiment")
    trials: list[TrialOutcome] = field(doc="every trial's outcome")
    best: BestSummary = field(doc="the best trial")
    model: str = field(doc="the model made from it")
    transform: TransformSummary = field(doc="the batch transform")
