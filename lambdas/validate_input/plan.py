"""Validates an execution input (README, "Execution input and output reference") and plans the run:
names, hyperparameters, S3 locations.

The CLI imports `check_execution_input` to refuse bad input before calling AWS; the state
machine's first state calls `plan_run`. Hyperparameter semantics (ranges, choices) are NOT
checked here: the training job validates them and its FailureReason is recorded on the trial.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import contract
from contract import errors, names, quotas, schema
from contract.layout import RunLayout
from contract.run_plan import (
    Dataset,
    ExecutionInput,
    ModelPlan,
    Objective,
    PreprocessingPlan,
    Rerun,
    RunPlan,
    TransformPlan,
    TrialPlan,
    TrialsFile,
)

DEFAULT_EXPERIMENT_NAME = "mnist-cnn"
# CreateTrainingJob HyperParameters: at most 100 entries, keys up to 256 and values up to 2500 characters.
MAX_HYPERPARAMETERS = 100
MAX_HYPERPARAMETER_NAME = 256
MAX_HYPERPARAMETER_VALUE = 2500


class InvalidExecutionInput(Exception):
    """The execution input is refused; the message names the field (Step Functions error name)."""


assert InvalidExecutionInput.__name__ == errors.INVALID_EXECUTION_INPUT  # the name the execution fails with


def check_execution_input(raw: dict, *, max_trials: int) -> ExecutionInput:
    """The input with defaults applied, once everything not needing the execution name is valid.

    `dataset` is None when absent: plan_run resolves it to the bucket's sample dataset."""
    if not isinstance(raw, dict):
        raise InvalidExecutionInput(f"execution input: must be a JSON object, got {_kind(raw)}")
    known = [schema.json_name(f) for f, _ in schema.fields_of(ExecutionInput)]
    unknown = sorted(set(raw) - set(known))
    if unknown:
        raise InvalidExecutionInput(f"{unknown[0]}: unknown field (the execution input has {', '.join(known)})")
    # null means "absent" for every field with a default, as objective and dataset already read it.
    experiment_name, hyperparameters = raw.get("experimentName"), raw.get("hyperparameters")
    trials = _trials(raw.get("trials"), max_trials)
    return ExecutionInput(
        experiment_name=_experiment_name(DEFAULT_EXPERIMENT_NAME if experiment_name is None else experiment_name),
        hyperparameters=_hyperparameters({} if hyperparameters is None else hyperparameters, "hyperparameters"),
        trials=trials,
        objective=_objective(raw.get("objective")),
        dataset=_dataset(raw.get("dataset")),
        rerun=_rerun(raw.get("rerun"), len(trials)),
    )


@dataclass(frozen=True)
class PlannedRun:
    """The run plan and the trials it points at (ValidateInput writes them to `plan.trials.key`)."""

    plan: RunPlan
    trials: list[TrialPlan]


def plan_run(raw: dict, *, execution_name: str, bucket_name: str, max_trials: int) -> PlannedRun:
    """The run plan (contract.run_plan.RunPlan) every later state reads, and its trials (pure: no AWS call)."""
    checked = check_execution_input(raw, max_trials=max_trials)
    if not isinstance(execution_name, str) or not execution_name:
        raise InvalidExecutionInput("executionName: must be a non-empty string")
    experiment = checked.experiment_name
    run = names.run_id(experiment, execution_name)
    layout = RunLayout(bucket_name, experiment, execution_name)
    dataset = checked.dataset or Dataset(s3_uri=layout.uri(contract.DEFAULT_DATASET_KEY))
    defaults = {h.name: _as_string(h.default) for h in contract.HYPERPARAMETERS}
    trials = []
    for index, variant in enumerate(checked.trials, start=1):
        # A rerun trains the same trials again (new job names, from this execution's run id).
        trial_name = checked.rerun.trial_names[index - 1] if checked.rerun else names.trial_name(experiment, run, index)
        trials.append(
            TrialPlan(
                trial_name=trial_name,
                training_job_name=names.training_job_name(experiment, run, index),
                # contract defaults < the input's hyperparameters < the trial's own entry
                hyperparameters={**defaults, **checked.hyperparameters, **variant},
                variant=dict(variant),
                output_s3_uri=layout.uri(layout.models),
                checkpoint_s3_uri=layout.uri(layout.checkpoints(trial_name)),
            )
        )
    # A rerun trains on the data its sweep preprocessed (that execution's job, component and prefix).
    preprocessed_by = (checked.rerun.preprocessed_by or checked.rerun.of) if checked.rerun else execution_name
    preprocessed_layout = RunLayout(bucket_name, experiment, preprocessed_by)
    preprocessing_job = names.preprocessing_job_name(experiment, names.run_id(experiment, preprocessed_by))
    plan = RunPlan(
        experiment_name=experiment,
        execution_name=execution_name,
        objective=checked.objective,
        dataset=dataset,
        preprocessing=PreprocessingPlan(
            job_name=preprocessing_job,
            trial_component_name=names.preprocessing_component_name(preprocessing_job),
            trial_name=trials[0].trial_name,
            output_s3_uri=preprocessed_layout.uri(preprocessed_layout.preprocessed),
        ),
        trials=TrialsFile(bucket=bucket_name, key=layout.trials_file, count=len(trials)),
        results_prefix=layout.results,
        outcomes_s3_uri=layout.uri(layout.outcomes_file),
        model=ModelPlan(model_name=names.model_name(experiment, run)),
        transform=TransformPlan(
            job_name=names.transform_job_name(experiment, run),
            input_s3_uri=preprocessed_layout.uri(
                preprocessed_layout.processing_file(contract.TRANSFORM_OUTPUT, contract.TRANSFORM_INPUT_FILE)
            ),
            output_s3_uri=layout.uri(layout.transform),
        ),
        previous_outcomes=checked.rerun.outcomes if checked.rerun else None,
        rerun_of=checked.rerun.of if checked.rerun else None,
    )
    _check_derived_names(plan, trials)
    return PlannedRun(plan=plan, trials=trials)


def check_experiment_capacity(experiment_name: str, *, existing_trials: int, new_trials: int) -> None:
    """Refuse a start whose trials would take the experiment past SageMaker's trials-per-experiment
    quota (contract.quotas), before anything is created: the CreateTrial calls would otherwise fail
    mid-sweep, after preprocessing and the first trials' training had been paid for."""
    past_quota = quotas.trials_past_quota(existing_trials, new_trials)
    if past_quota:
        raise InvalidExecutionInput(f"experimentName: {experiment_name}: {past_quota}")


def _check_derived_names(plan: RunPlan, trials: list[TrialPlan]) -> None:
    """Every derived name fits SageMaker's pattern and limit and is unique in the run (fail loudly)."""
    entities = [("preprocessing.trialComponentName", plan.preprocessing.trial_component_name)]
    jobs = [
        ("preprocessing.jobName", plan.preprocessing.job_name),
        ("model.modelName", plan.model.model_name),
        ("transform.jobName", plan.transform.job_name),
    ]
    for i, trial in enumerate(trials):
        entities.append((f"trials[{i}].trialName", trial.trial_name))
        entities.append(
            (f"trials[{i}].trainingJobName component", names.training_component_name(trial.training_job_name))
        )
        jobs.append((f"trials[{i}].trainingJobName", trial.training_job_name))
    entities.append(("transform component", names.transform_component_name(plan.transform.job_name)))
    for field, name in entities:
        if not names.ENTITY_NAME.match(name):
            raise InvalidExecutionInput(
                f"{field}: derived name {name!r} breaks SageMaker's pattern or "
                f"{names.ENTITY_NAME_MAX_LENGTH}-character limit"
            )
    for field, name in jobs:
        if not names.JOB_NAME.match(name):
            raise InvalidExecutionInput(
                f"{field}: derived name {name!r} breaks SageMaker's pattern or "
                f"{names.JOB_NAME_MAX_LENGTH}-character limit"
            )
    every = [n.lower() for _, n in entities + jobs]
    if len(set(every)) != len(every):
        raise InvalidExecutionInput("trials: derived names are not unique within the run")


def _experiment_name(value: Any) -> str:
    if not isinstance(value, str):
        raise InvalidExecutionInput(f"experimentName: must be a string, got {_kind(value)}")
    if len(value) > names.ENTITY_NAME_MAX_LENGTH:
        raise InvalidExecutionInput(
            f"experimentName: {len(value)} characters, SageMaker allows at most {names.ENTITY_NAME_MAX_LENGTH}"
        )
    if not names.ENTITY_NAME.match(value):
        raise InvalidExecutionInput(
            f"experimentName: {value!r} breaks SageMaker's pattern {names.ENTITY_NAME.pattern.removesuffix('$')} "
            "(letters, digits and hyphens; starts and ends with a letter or digit)"
        )
    return value


def _hyperparameters(value: Any, field: str) -> dict[str, str]:
    if not isinstance(value, dict):
        raise InvalidExecutionInput(f"{field}: must be an object of name -> value, got {_kind(value)}")
    if len(value) > MAX_HYPERPARAMETERS:
        raise InvalidExecutionInput(
            f"{field}: {len(value)} hyperparameters, SageMaker allows at most {MAX_HYPERPARAMETERS}"
        )
    converted = {}
    for name, item in value.items():
        if not name or len(name) > MAX_HYPERPARAMETER_NAME:
            raise InvalidExecutionInput(
                f"{field}: hyperparameter names must have 1 to {MAX_HYPERPARAMETER_NAME} characters"
            )
        if not isinstance(item, (str, int, float, bool)) or (isinstance(item, float) and not math.isfinite(item)):
            raise InvalidExecutionInput(f"{field}.{name}: must be a string, number or boolean, got {_kind(item)}")
        text = _as_string(item)
        if len(text) > MAX_HYPERPARAMETER_VALUE:
            raise InvalidExecutionInput(f"{field}.{name}: longer than {MAX_HYPERPARAMETER_VALUE} characters")
        converted[name] = text
    return converted


def _trials(value: Any, max_trials: int) -> list[dict[str, str]]:
    if value is None:
        raise InvalidExecutionInput(
            'trials: missing; give a list of hyperparameter variants, e.g. [{"hidden_channels": 2}]'
        )
    if not isinstance(value, list):
        raise InvalidExecutionInput(f"trials: must be a list of objects, got {_kind(value)}")
    if not value:
        raise InvalidExecutionInput("trials: empty; give at least one hyperparameter variant")
    past_quota = quotas.trials_past_quota(0, len(value))
    if past_quota:
        raise InvalidExecutionInput(f"trials: {past_quota}")
    if len(value) > max_trials:
        raise InvalidExecutionInput(
            f"trials: {len(value)} trials, this deployment allows at most {max_trials} (MAX_TRIALS)"
        )
    variants = []
    for i, entry in enumerate(value):
        if not isinstance(entry, dict):
            raise InvalidExecutionInput(
                f"trials[{i}]: must be an object of hyperparameter -> value, got {_kind(entry)}"
            )
        variants.append(_hyperparameters(entry, f"trials[{i}]"))
    return variants


def _rerun(value: Any, trials: int) -> Rerun | None:
    """`rerun` (written by `ops rerun`): one existing trial name per entry of `trials`, and the outcomes
    file of the execution rerun, whose completed trials SelectBest keeps."""
    if value is None:
        return None
    try:
        rerun = schema.parse(Rerun, value, "rerun")
    except schema.InvalidMessage as error:
        raise InvalidExecutionInput(str(error)) from None
    if not rerun.of:
        raise InvalidExecutionInput("rerun.of: the execution rerun is missing")
    if len(rerun.trial_names) != trials:
        raise InvalidExecutionInput(
            f"rerun.trialNames: {len(rerun.trial_names)} names for {trials} trials; give one per entry of trials"
        )
    seen: set[str] = set()
    for i, name in enumerate(rerun.trial_names):
        if not names.ENTITY_NAME.match(name):
            raise InvalidExecutionInput(f"rerun.trialNames[{i}]: {name!r} breaks SageMaker's trial name pattern")
        if name.lower() in seen:
            raise InvalidExecutionInput(f"rerun.trialNames[{i}]: {name} appears twice; a trial is rerun once")
        seen.add(name.lower())
    if not rerun.outcomes.startswith("s3://") or not rerun.outcomes.endswith(".json"):
        raise InvalidExecutionInput(
            f"rerun.outcomes: {rerun.outcomes!r}; the S3 URI of the rerun execution's outcomes file "
            "(its output's outcomes.s3Uri)"
        )
    return rerun


def _objective(value: Any) -> Objective:
    if value is None:
        return Objective(**contract.DEFAULT_OBJECTIVE)
    if not isinstance(value, dict):
        raise InvalidExecutionInput(f"objective: must be an object with metric and goal, got {_kind(value)}")
    unknown = sorted(set(value) - {schema.json_name(f) for f, _ in schema.fields_of(Objective)})
    if unknown:
        raise InvalidExecutionInput(f"objective.{unknown[0]}: unknown field (objective has metric and goal)")
    metric = value.get("metric", contract.DEFAULT_OBJECTIVE["metric"])
    if metric not in contract.METRICS_BY_NAME:
        raise InvalidExecutionInput(
            f"objective.metric: {metric!r} is not a recorded metric; one of {', '.join(contract.METRICS_BY_NAME)}"
        )
    if "goal" not in value and metric != contract.DEFAULT_OBJECTIVE["metric"]:
        raise InvalidExecutionInput(
            f"objective.goal: required with objective.metric {metric!r}; one of {', '.join(contract.OBJECTIVE_GOALS)}"
        )
    goal = value.get("goal", contract.DEFAULT_OBJECTIVE["goal"])
    if goal not in contract.OBJECTIVE_GOALS:
        raise InvalidExecutionInput(f"objective.goal: {goal!r}; one of {', '.join(contract.OBJECTIVE_GOALS)}")
    return Objective(metric=metric, goal=goal)


def _dataset(value: Any) -> Dataset | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidExecutionInput(f"dataset: must be an object with s3Uri, got {_kind(value)}")
    unknown = sorted(set(value) - {schema.json_name(f) for f, _ in schema.fields_of(Dataset)})
    if unknown:
        raise InvalidExecutionInput(f"dataset.{unknown[0]}: unknown field (dataset has s3Uri)")
    uri = value.get("s3Uri")
    if not isinstance(uri, str) or not uri.startswith("s3://") or len(uri) <= len("s3://") or uri[5] == "/":
        raise InvalidExecutionInput(f"dataset.s3Uri: must be an s3://bucket/prefix/ URI, got {uri!r}")
    return Dataset(s3_uri=uri)


def _as_string(value: Any) -> str:
    """SageMaker takes hyperparameters as strings; the jobs parse them back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )
