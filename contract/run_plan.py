"""The execution input and the run plan: what ValidateInput makes of the input and every later state reads."""

from __future__ import annotations

from dataclasses import dataclass

from contract.metrics import OBJECTIVE_GOALS
from contract.schema import InvalidMessage, field


@dataclass(frozen=True)
class Objective:
    metric: str = field(doc="the metric the best trial is chosen by (a MetricDefinitions name)")
    goal: str = field(doc="Maximize or Minimize")

    @classmethod
    def from_json(cls, value: dict, where: str) -> Objective:
        metric, goal = value.get("metric"), value.get("goal")
        if not isinstance(metric, str) or not metric:
            raise InvalidMessage(f"{where}.metric: missing")
        if goal not in OBJECTIVE_GOALS:
            raise InvalidMessage(f"{where}.goal: {goal!r}; one of {', '.join(OBJECTIVE_GOALS)}")
        return cls(metric=metric, goal=goal)


@dataclass(frozen=True)
class Dataset:
    s3_uri: str = field(doc="the raw dataset's S3 prefix (MNIST IDX files)")


@dataclass(frozen=True)
class Rerun:
    """Marks an execution as the rerun of another's failed trials (`python -m ops rerun`)."""

    of: str = field(doc="the execution whose failed trials this one trains again")
    trial_names: list[str] = field(doc="the trial of each entry of `trials`, trained again under a new job name")
    outcomes: str = field(
        doc="the rerun execution's outcomes file (its output's outcomes.s3Uri): its completed trials compete for best"
    )
    preprocessed_by: str = field(
        doc="the sweep's execution that preprocessed the data the rerun trains on (default: `of`)", default=""
    )


@dataclass(frozen=True)
class ExecutionInput:
    """The execution input with its defaults applied (design.md, "Execution input")."""

    experiment_name: str = field(doc="the SageMaker experiment (default mnist-cnn)")
    hyperparameters: dict[str, str] = field(doc="shared by every trial, as strings")
    trials: list[dict[str, str]] = field(doc="one hyperparameter variant per trial")
    objective: Objective = field(doc="how the best trial is chosen")
    dataset: Dataset | None = field(doc="the raw data; null: the bucket's sample dataset")
    rerun: Rerun | None = field(
        doc="set by `ops rerun`: the trials are an earlier execution's failed ones", default=None
    )


@dataclass(frozen=True)
class PreprocessingPlan:
    job_name: str = field(doc="the SageMaker processing job")
    trial_component_name: str = field(doc="SageMaker's component of the job (`<job>-aws-processing-job`)")
    trial_name: str = field(doc="the trial its ExperimentConfig names (the first); RecordTrial adds the others")
    output_s3_uri: str = field(doc="prefix of the processing outputs (train/, test/, transform/, stats/)")


@dataclass(frozen=True)
class TrialPlan:
    trial_name: str = field(doc="the SageMaker trial of this variant")
    training_job_name: str = field(doc="its training job")
    hyperparameters: dict[str, str] = field(doc="contract defaults < the input's hyperparameters < the variant")
    variant: dict[str, str] = field(doc="the trial's own entry of the input's trials")
    output_s3_uri: str = field(doc="where SageMaker writes model.tar.gz")
    checkpoint_s3_uri: str = field(doc="checkpoints synced during training (spot resume)")


@dataclass(frozen=True)
class TrialsFile:
    """Where the plan's trials are: a JSON array of TrialPlan in the run's `plan/` (contract.layout), one
    Distributed Map item each. The execution state carries this pointer, not the trials, so that its
    size does not grow with the sweep (Step Functions' 256 KiB state quota)."""

    bucket: str = field(doc="the project's bucket")
    key: str = field(doc="runs/<experiment>/<execution>/plan/trials.json")
    count: int = field(doc="how many trials it holds")


@dataclass(frozen=True)
class ModelPlan:
    model_name: str = field(doc="the SageMaker model made from the best trial")


@dataclass(frozen=True)
class TransformPlan:
    job_name: str = field(doc="the batch transform job")
    input_s3_uri: str = field(doc="the CSV of test images it predicts")
    output_s3_uri: str = field(doc="where it writes the predictions")


@dataclass(frozen=True)
class RunPlan:
    """ValidateInput's result; every state of the training state machine reads it. Its S3 locations
    follow contract.layout.RunLayout:
    runs/<experiment>/<execution>/{plan,preprocessed,models,checkpoints,results,transform}/."""

    experiment_name: str = field(doc="the SageMaker experiment")
    execution_name: str = field(doc="the Step Functions execution")
    objective: Objective = field(doc="how the best trial is chosen")
    dataset: Dataset = field(doc="the raw data preprocessing reads")
    preprocessing: PreprocessingPlan = field(doc="the processing job and its component")
    trials: TrialsFile = field(doc="the trials, one per hyperparameter variant, in S3")
    results_prefix: str = field(doc="the Map Run's ResultWriter prefix (runs/<experiment>/<execution>/results/)")
    outcomes_s3_uri: str = field(doc="where SelectBest writes every trial's outcome (SweepOutcomes)")
    model: ModelPlan = field(doc="the model of the best trial")
    transform: TransformPlan = field(doc="the batch transform with that model")
    previous_outcomes: str | None = field(
        doc="a rerun's: the outcomes of the execution it reruns (SelectBest keeps its completed trials)",
        default=None,
    )
    rerun_of: str | None = field(doc="the execution a rerun trains the failed trials of", default=None)
