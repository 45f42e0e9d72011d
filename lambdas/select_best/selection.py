"""Trial outcomes from TrainTrials' results, a rerun's merge, the records not written, and the best trial (pure)."""

from __future__ import annotations

import math

from contract import errors, states
from contract.events import COMPLETED, RecordingOutcome, TaskError, TrialOutcome, TrialResult, UnrecordedRecord
from contract.run_plan import Objective, TrialPlan
from lambdas.experiment_records.outcome import training_outcome

# The error of a trial whose child execution left no result in the Map Run's result files (a child
# that failed outside the trial's Catch writes its input and error to FAILED_<n>.json instead).
NO_RESULT = "NoTrialResult"


class NoCompletedTrial(Exception):
    """No trial completed with the objective metric (Step Functions error name)."""


assert NoCompletedTrial.__name__ == errors.NO_COMPLETED_TRIAL


def trial_outcomes(plan: list[TrialPlan], results: list[TrialResult], *, map_run_arn: str = "") -> list[TrialOutcome]:
    """Each planned trial's outcome, in plan order, from its child's result; Failed when it has none."""
    by_name = {result.trial_name: result for result in results}
    missing = TaskError(error=NO_RESULT, cause=f"its TrainTrials child left no result in Map Run {map_run_arn}")
    outcomes = []
    for trial in plan:
        result = by_name.get(trial.trial_name)
        outcomes.append(
            training_outcome(trial, result.training, result.error) if result else training_outcome(trial, None, missing)
        )
    return outcomes


def merge_rerun(previous: list[TrialOutcome], new: list[TrialOutcome]) -> list[TrialOutcome]:
    """A rerun's outcomes: the earlier execution's, in the sweep's order, each retrained trial's replaced
    by its new attempt (trials new to the sweep last). Completed trials are kept as they completed."""
    by_name = {outcome.trial_name: outcome for outcome in new}
    merged = [by_name.get(outcome.trial_name, outcome) for outcome in previous]
    kept = {outcome.trial_name for outcome in previous}
    return merged + [outcome for outcome in new if outcome.trial_name not in kept]


def unrecorded_records(results: list[TrialResult], preprocessing: RecordingOutcome | None) -> list[UnrecordedRecord]:
    """The record states whose Catch caught an error, in the order they ran."""
    found: list[tuple[str, str | None, RecordingOutcome | None]] = [(states.RECORD_PREPROCESSING, None, preprocessing)]
    for result in results:
        found.append((states.RECORD_TRIAL, result.trial_name, result.trial_recording))
        found.append((states.RECORD_TRAINING, result.trial_name, result.training_recording))
    return [
        UnrecordedRecord(state=state, error=outcome.error, cause=outcome.cause or "", trial_name=trial)
        for state, trial, outcome in found
        if outcome is not None and outcome.error
    ]


def select_best(trials: list[TrialOutcome], objective: Objective) -> TrialOutcome:
    candidates = [
        (index, trial)
        for index, trial in enumerate(trials)
        if trial.status == COMPLETED
        and trial.model_artifact
        and math.isfinite(trial.metrics.get(objective.metric, math.nan))
    ]
    if not candidates:
        raise NoCompletedTrial(
            f"no trial completed with metric {objective.metric}: "
            + "; ".join(_describe(trial, objective.metric) for trial in trials)
            if trials
            else f"no trial completed with metric {objective.metric}: no trials ran"
        )
    sign = -1.0 if objective.goal == "Maximize" else 1.0
    # Deterministic: equal values go to the trial that comes first in the plan.
    _, best = min(candidates, key=lambda item: (sign * item[1].metrics[objective.metric], item[0]))
    return best


def _describe(trial: TrialOutcome, metric: str) -> str:
    if trial.status != COMPLETED:
        return f"{trial.trial_name} {trial.status}" + (f" ({trial.failure_reason})" if trial.failure_reason else "")
    if not trial.model_artifact:
        return f"{trial.trial_name} Completed without a model artifact"
    return f"{trial.trial_name} Completed without {metric}"
