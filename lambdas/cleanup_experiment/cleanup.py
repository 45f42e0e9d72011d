"""Deletes one experiment's records in the order the API demands: resumable, idempotent, never beyond it.

For each trial of the experiment, for each of its components: disassociate; delete the component
only once no trial, of any experiment, holds it (or keep it when asked); then delete the trial;
at the end the experiment. A record already gone counts as done, so a rerun finishes the job. It
stops while the time budget still has `safety_margin_ms` left and says done=False with its
counts; the cleanup state machine calls it again with that output.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from lambdas.experiment_records.records import ExperimentRecords, error_code, is_throttling

# The API refuses a delete while something still hangs on the record (ValidationException):
# a concurrent association, or one not yet visible. The next pass tries again.
STILL_IN_USE = "ValidationException"
logger = Logger(child=True)


@dataclass
class CleanupCounts:
    associations: int = 0
    trial_components: int = 0
    trials: int = 0
    experiment: int = 0
    shared_trial_components: int = 0
    kept_trial_components: int = 0

    @classmethod
    def from_event(cls, progress: dict | None) -> CleanupCounts:
        progress = progress or {}
        deleted, kept = progress.get("deleted") or {}, progress.get("kept") or {}
        return cls(
            associations=int(deleted.get("associations", 0)),
            trial_components=int(deleted.get("trialComponents", 0)),
            trials=int(deleted.get("trials", 0)),
            experiment=int(deleted.get("experiment", 0)),
            shared_trial_components=int(kept.get("sharedTrialComponents", 0)),
            kept_trial_components=int(kept.get("keptTrialComponents", 0)),
        )


@dataclass
class CleanupResult:
    experiment_name: str
    keep_components: bool
    done: bool
    counts: CleanupCounts = field(default_factory=CleanupCounts)

    def to_event(self) -> dict:
        c = self.counts
        return {
            "experimentName": self.experiment_name,
            "done": self.done,
            "deleted": {
                "associations": c.associations,
                "trialComponents": c.trial_components,
                "trials": c.trials,
                "experiment": c.experiment,
            },
            "kept": {
                "sharedTrialComponents": c.shared_trial_components,
                "keptTrialComponents": c.kept_trial_components,
            },
            "keepComponents": self.keep_components,
        }


class _OutOfTime(Exception):
    pass


class _Deferred(Exception):
    """Something refused for now (still in use, or throttled past the client's retries)."""


def delete_in_order(
    records: ExperimentRecords,
    experiment_name: str,
    *,
    keep_components: bool,
    remaining_ms: Callable[[], int],
    safety_margin_ms: int,
    progress: CleanupCounts | None = None,
) -> CleanupResult:
    """One pass; `progress` holds the counts of the passes before (they accumulate)."""
    counts = progress or CleanupCounts()
    result = CleanupResult(experiment_name, keep_components, done=False, counts=counts)

    def check_time() -> None:
        if remaining_ms() < safety_margin_ms:
            raise _OutOfTime

    try:
        check_time()
        if records.describe_experiment(experiment_name) is None:
            result.done = True  # already gone: a rerun after the last pass, or never created
            return result
        trials = records.trial_names(experiment_name)
        # This experiment's trials that may still hold components (for the "held elsewhere?" test).
        pending = {t.lower() for t in trials}
        deferred = False
        for trial in trials:
            check_time()
            try:
                for component in records.component_names(trial):
                    check_time()
                    _release(records, component, trial, pending, keep_components, counts)
                check_time()
                if _delete(records.delete_trial, trial):
                    counts.trials += 1
                pending.discard(trial.lower())
            except _Deferred:
                deferred = True
        check_time()
        if deferred:
            return result  # the next pass retries what was refused or throttled
        if _delete(records.delete_experiment, experiment_name):
            counts.experiment += 1
        result.done = True
    except (_OutOfTime, _Deferred):
        pass
    except ClientError as error:
        if not is_throttling(error):
            raise
    return result


def _release(
    records: ExperimentRecords,
    component: str,
    trial: str,
    pending: set[str],
    keep_components: bool,
    counts: CleanupCounts,
) -> None:
    """Take a component off one trial and delete it once no trial holds it. After the
    disassociation the decision follows at once (no time check in between), so a pass never
    stops with a released component left undecided."""
    released = False
    try:
        released = records.disassociate(component, trial)
        if released:
            counts.associations += 1
        held_elsewhere = False
        for holder in records.trials_holding(component):
            if holder.lower() == trial.lower():
                continue  # the association just removed, if the listing still shows it
            if holder.lower() in pending:
                return  # a later trial of this experiment holds it too: decided when that one is released
            held_elsewhere = True
        if held_elsewhere:
            counts.shared_trial_components += 1  # another experiment's trial holds it: left alone
            return
        if keep_components:
            counts.kept_trial_components += 1
            return
        try:
            if records.delete_component(component):
                counts.trial_components += 1
        except ClientError as error:
            if error_code(error) != STILL_IN_USE:
                raise
            counts.shared_trial_components += 1  # associated elsewhere in the meantime
    except ClientError as error:
        if not is_throttling(error):
            raise
        if released:
            _hold_again(records, component, trial, counts)
        raise _Deferred from error


def _hold_again(records: ExperimentRecords, component: str, trial: str, counts: CleanupCounts) -> None:
    """Throttled between releasing a component and deciding its fate: give it back to the trial,
    so that the next pass finds it again instead of leaving it orphaned."""
    try:
        records.associate(component, trial)
        counts.associations -= 1
    except ClientError:
        logger.warning(
            "component left without trial after throttling; delete it by hand if unused",
            extra={"trialComponentName": component, "trialName": trial},
        )


def _delete(delete: Callable[[str], bool], name: str) -> bool:
    """True when deleted now, False when already gone; _Deferred when the API refuses for now
    (still in use) or throttles beyond the client's retries."""
    try:
        return delete(name)
    except ClientError as error:
        if error_code(error) == STILL_IN_USE or is_throttling(error):
            raise _Deferred from error
        raise
