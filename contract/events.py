"""Every Lambda event and result of the training state machine, and the state each part of it carries.

The state machine builds each Lambda's Payload with `schema.template(<Event>, ...)` from these models,
and each handler parses its event with `schema.parse(<Event>, event)`: one definition for both sides.
docs/lambda-contracts.md is generated from this module (`python -m contract.docs`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from contract.run_plan import Objective, PreprocessingPlan, RunPlan, TransformPlan, TrialPlan, TrialsFile
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


@dataclass(frozen=True)
class ResultWriterDetails:
    bucket: str = field(json="Bucket", doc="the bucket the ResultWriter wrote to")
    key: str = field(json="Key", doc="the Map Run's manifest.json, which lists its result files")


@dataclass(frozen=True)
class MapRunResult:
    """A Distributed Map's result with a ResultWriter: where the children's results are, not the results
    ("ResultWriter": manifest.json lists SUCCEEDED_<n>.json, FAILED_<n>.json and PENDING_<n>.json)."""

    map_run_arn: str = field(json="MapRunArn", doc="the Map Run (DescribeMapRun: its item counts)")
    result_writer_details: ResultWriterDetails = field(json="ResultWriterDetails", doc="the manifest's location")


@dataclass(frozen=True)
class TransformJobReference:
    """The parts of DescribeTransformJob the execution reads: an adopted transform job's status."""

    transform_job_arn: str = field(json="TransformJobArn", doc="the job's ARN")
    transform_job_status: str = field(json="TransformJobStatus", doc="Completed, Failed or Stopped")


# --- Results that travel between states --------------------------------------------------------------
@dataclass(frozen=True)
class RecordingOutcome:
    """A record state's result: `{"recorded": true}` when it recorded, else the error its Catch caught
    (after the throttling retries). A failed recording never fails a trial or the execution."""

    recorded: bool = field(doc="true when the records were written", default=False)
    error: str | None = field(json="Error", doc="the caught error's name", default=None)
    cause: str | None = field(json="Cause", doc="its cause", default=None)


@dataclass(frozen=True)
class TrialResult:
    """One TrainTrials iteration's output: what training gave and whether its records were written.
    SelectBest makes each trial's outcome from it, so a failed record state cannot lose an outcome."""

    trial_name: str = field(doc="the trial")
    training_job_name: str = field(doc="its training job")
    training: TrainingResult | None = field(doc="Train's result; {} when it failed", default=None)
    error: TaskError | None = field(doc="Train's caught error; {} when it trained", default=None)
    trial_recording: RecordingOutcome | None = field(doc="RecordTrial's outcome", default=None)
    training_recording: RecordingOutcome | None = field(doc="RecordTraining's outcome", default=None)


@dataclass(frozen=True)
class UnrecordedRecord:
    """A record state that failed after its retries: what the experiment lacks (the outcome is kept)."""

    state: str = field(doc="the record state (RecordPreprocessing, RecordTrial, RecordTraining)")
    error: str = field(doc="its error")
    cause: str = field(doc="its cause", default="")
    trial_name: str | None = field(doc="the trial it was recording, if any", default=None)


@dataclass(frozen=True)
class MlflowMiss:
    """What an execution did not record in MLflow, and why; the SageMaker records stay the source of truth."""

    what: str = field(doc="the MLflow records missed, in words (e.g. 'trial runs', 'per-epoch metrics')")
    reason: str = field(doc="the tracking server's answer, or why it could not be asked")
    trials: list[str] = field(doc="the trials concerned, if any", default_factory=list)

    def line(self) -> str:
        """One line for the execution's output."""
        if not self.trials:
            return f"{self.what}: {self.reason}"
        shown = ", ".join(self.trials[:3]) + (f" and {len(self.trials) - 3} more" if len(self.trials) > 3 else "")
        return f"{self.what} of {len(self.trials)} trial(s) ({shown}): {self.reason}"


@dataclass(frozen=True)
class TrialOutcome:
    """One trial's outcome: made by select_best from the trial's TrialResult; one item of the output."""

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
    """Before any job starts: the experiment and every trial, so that each job's ExperimentConfig names
    records that exist, and no later record state can fail a trial by failing to create it."""

    experiment_name: str = field(doc="the experiment, created if absent")
    # Counts, not names: a Lambda's result is history payload (256 KiB at most), and 300 names would
    # grow it with the sweep. The trials file names them.
    trials: int = field(doc="the plan's trials, each recorded (created if absent)", default=0)
    trials_created: int = field(doc="of which this invocation created (0 on a retry)", default=0)


@dataclass(frozen=True)
class RecordPreprocessingEvent:
    """The preprocessing component is SageMaker's (`<job>-aws-processing-job`: status, inputs, outputs).
    Completed: reads `<preprocessing.outputS3Uri>stats/stats.json` and adds it to that component's
    parameters (normalization mean and std, counts, image shape). Failed: when the job never ran (its
    Create was refused, so SageMaker made no component), creates the component, status Failed with the
    cause, on `preprocessing.trialName`."""

    plan: RunPlan = field(doc="the run plan")
    status: str = field(doc="Completed or Failed")
    error: TaskError | None = field(doc="the caught error of a failed job", default=None)


@dataclass(frozen=True)
class RecordPreprocessingResult:
    trial_component_name: str = field(doc="the preprocessing component")
    status: str = field(doc="the status recorded")


@dataclass(frozen=True)
class RecordTrialEvent:
    """Associates the preprocessing component with the trial (as in the notebook, every trial holds
    the one preprocessing component); creates the trial if RecordExperiment has not."""

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
    """Reads the plan's trials and the Map Run's results from S3 and makes each trial's outcome (a trial
    whose child execution failed or left no result is Failed with the reason), lists the records that
    were not written, and picks the best completed trial by the objective (ties go to the earlier
    trial); a rerun's outcomes are the earlier execution's with the retrained trials' replaced. Writes
    every outcome to `outcomesS3Uri` (SweepOutcomes) and returns their counts. When none completed with
    the metric, raises NoCompletedTrial, whose message lists each trial's status."""

    experiment_name: str = field(doc="the experiment")
    execution_name: str = field(doc="the execution")
    trials: TrialsFile = field(doc="the plan's trials")
    results: MapRunResult = field(doc="TrainTrials' result: the ResultWriter's manifest")
    objective: Objective = field(doc="the metric and goal")
    outcomes_s3_uri: str = field(doc="where to write the outcomes")
    preprocessing_recording: RecordingOutcome | None = field(doc="RecordPreprocessing's outcome", default=None)
    previous_outcomes: str | None = field(
        doc="a rerun's: the earlier execution's outcomes (its completed trials compete for best)", default=None
    )
    preprocessing: PreprocessingPlan | None = field(
        doc="the processing job whose MLflow run is looked for", default=None
    )
    transform: TransformPlan | None = field(doc="the transform, tagged on the execution's MLflow run", default=None)


@dataclass(frozen=True)
class RecordTransformEvent:
    """The batch transform that completed: a nested MLflow run of the execution's (its model, input and
    output). MLflow only: SageMaker records the job as `<job>-aws-transform-job` on the best trial."""

    experiment_name: str = field(doc="the experiment")
    execution_name: str = field(doc="the execution")
    transform: TransformPlan = field(doc="the transform job and its input and output")
    model_name: str = field(doc="the model it ran")
    best: BestTrial = field(doc="the trial the model was trained by")


@dataclass(frozen=True)
class TransformRecording:
    """RecordTransform's result: what MLflow lacks of the transform (empty when recorded or tracking is off)."""

    mlflow_unrecorded: list[str] = field(doc="a line per miss", default_factory=list)


@dataclass(frozen=True)
class SweepOutcomes:
    """The outcomes file (`runs/<experiment>/<execution>/results/outcomes.json`): every trial of the
    sweep, a rerun's earlier completed trials included, in the sweep's order."""

    experiment_name: str = field(doc="the experiment")
    execution_name: str = field(doc="the execution that wrote it")
    trials: list[TrialOutcome] = field(doc="every trial's outcome")
    unrecorded: list[UnrecordedRecord] = field(doc="records this execution did not write", default_factory=list)
    mlflow_unrecorded: list[MlflowMiss] = field(
        doc="what this execution did not record in MLflow (empty when all was, or tracking is off)",
        default_factory=list,
    )


@dataclass(frozen=True)
class OutcomesSummary:
    """What the execution state and output carry of the outcomes: where they are and their counts."""

    s3_uri: str = field(doc="the outcomes file (SweepOutcomes)")
    trials: int = field(doc="trials in it")
    completed: int = field(doc="of which Completed")
    failed: int = field(doc="of which Failed")
    unrecorded: int = field(doc="records not written (the file lists them)", default=0)
    mlflow_unrecorded: list[str] = field(
        doc="what was not recorded in MLflow, a line per kind of miss (the file lists the trials)",
        default_factory=list,
    )


@dataclass(frozen=True)
class Selection:
    """SelectBest's result, kept as the execution's `selection`."""

    best: BestTrial = field(doc="the best trial")
    outcomes: OutcomesSummary = field(doc="the outcomes file and its counts")


# --- What the training state machine carries ----------------------------------------------------------
@dataclass(frozen=True)
class PipelineState(RunPlan):
    """The top-level state: the run plan, and what the states add beside it as the run goes on."""

    preprocessing_job: JobReference | None = field(
        doc="Preprocess's reduced result, or the Describe of the job it adopted", default=None
    )
    error: TaskError | None = field(doc="a caught failure of Preprocess or Transform", default=None)
    preprocessing_recording: RecordingOutcome | None = field(doc="RecordPreprocessing's outcome", default=None)
    trial_results: MapRunResult | None = field(doc="TrainTrials' Map Run and its results' manifest", default=None)
    selection: Selection | None = field(doc="SelectBest's result", default=None)
    transform_job: TransformJobReference | None = field(
        doc="the Describe of a transform job that Transform adopted", default=None
    )
    transform_recording: TransformRecording | None = field(doc="RecordTransform's result", default=None)


@dataclass(frozen=True)
class TrialIteration:
    """One TrainTrials iteration's state: its item, then the training result or the caught error."""

    experiment_name: str = field(doc="the experiment")
    preprocessing_trial_component_name: str = field(doc="the preprocessing component")
    preprocessing_output_s3_uri: str = field(doc="prefix of the training channels")
    trial: TrialPlan = field(doc="the trial's plan")
    training: TrainingResult | None = field(doc="Train's result (or the adopted job's Describe)", default=None)
    error: TaskError | None = field(doc="Train's caught error", default=None)
    trial_recording: RecordingOutcome | None = field(doc="RecordTrial's outcome", default=None)
    training_recording: RecordingOutcome | None = field(doc="RecordTraining's outcome", default=None)


@dataclass(frozen=True)
class BestSummary:
    trial_name: str = field(doc="the best trial")
    metric: str = field(doc="the objective metric")
    value: float = field(doc="its value")


@dataclass(frozen=True)
class TransformSummary:
    job_name: str = field(doc="the transform job")
    output_s3_uri: str = field(doc="its predictions")
    mlflow_unrecorded: list[str] = field(doc="what MLflow lacks of it (RecordTransform)", default_factory=list)


@dataclass(frozen=True)
class ExecutionOutput:
    """The training execution's output (design.md, "Execution output")."""

    experiment_name: str = field(doc="the experiment")
    outcomes: OutcomesSummary = field(doc="every trial's outcome: the file and its counts")
    best: BestSummary = field(doc="the best trial")
    model: str = field(doc="the model made from it")
    transform: TransformSummary = field(doc="the batch transform")
