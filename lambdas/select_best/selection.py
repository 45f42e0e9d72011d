"""Trial outcomes from TrainTrials' results, the records not written, and the best completed trial (pure)."""

from __future__ import annotations

import math

from contract import errors, states
from contract.events import COMPLETED, RecordingOutcome, TrialOutcome, TrialResult, UnrecordedRecord
from contract.run_plan import Objective, PreviousTrial, TrialPlan
from lambdas.experiment_records.events import InvalidEvent
from lambdas.experiment_records.outcome import training_outcome


class NoCompletedTrial(Exception):
    """No trial completed with the objective metric (Step Functions error name)."""


assert NoCompletedTrial.__name__ == errors.NO_COMPLETED_TRIAL


def trial_outcomes(plan: list[TrialPlan], results: list[TrialResult]) -> list[TrialOutcome]:
    """Each planned trial's outcome, from its iteration's result (the Map keeps the plan's order)."""
    by_name = {result.trial_name: result for result in results}
    missing = [trial.trial_name for trial in plan if trial.trial_name not in by_name]
    if missing:
        raise InvalidEvent(f"event.results: no result for trial {missing[0]}")
    return [
        training_outcome(trial, by_name[trial.trial_name].training, by_name[trial.trial_name].error) for trial in plan
    ]


def previous_outcomes(previous: list[PreviousTrial]) -> list[TrialOutcome]:
    """A rerun's completed trials of the sweep, as outcomes: they compete for best as they completed."""
    return [
        TrialOutcome(
            trial_name=trial.trial_name,
            training_job_name=trial.training_job_name,
            status=COMPLETED,
            hyperparameters=dict(trial.hyperparameters),
            metrics=dict(trial.metrics),
            model_artifact=trial.model_artifact or None,
        )
        for trial in previous
    ]


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
