"""Deletes one experiment's records in the order the API demands: resumable, idempotent, crash-safe.

One pass:

1. DescribeExperiment (gone: done) and ListTags on it: the *pending ledger* (below).
2. One paginated Search of the experiment's components (Resource=ExperimentTrialComponent,
   Parents.ExperimentName = the experiment), each with all its parents, and ListTrials of the
   experiment (trials that hold nothing). No per-trial or per-component listing.
3. Components no longer found through the experiment but named in the ledger (a pass was killed
   between their last disassociation and their deletion): deleted.
4. Each component: disassociated from this experiment's trials; then deleted when no other
   experiment's trial holds it (kept when asked, or when another experiment holds it).
5. The trials, then the experiment.

Crash safety. DeleteTrialComponent: "A trial component must be disassociated from all trials
before the trial component can be deleted." Between the last disassociation and the deletion a
component has no parent, and the Search by experiment no longer finds it. So before releasing a
batch of components it will delete, a pass writes their names on the experiment itself, as tags
(`cleanup-pending-NN`, names separated by spaces: the ledger). The experiment is deleted last, so a
rerun killed at any point (a fresh execution too, not only a retry of the same input) still
finds every record: through the Search, ListTrials, or the ledger.

A record already gone counts as done. A pass stops while the time budget still has
`safety_margin_ms` left, or at the first throttling beyond the client's retries, and says
done=False with its counts; the cleanup state machine calls it again with that output.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field

from aws_lambda_powertools import Logger
from botocore.exceptions import ClientError

from lambdas.experiment_records.records import ExperimentRecords, error_code, is_throttling

# The API refuses a delete while something still hangs on the record (ValidationException):
# a concurrent association, or one the Search does not show yet. The next pass tries again.
STILL_IN_USE = "ValidationException"
# The ledger: AddTags "Tags ... Array Members: Maximum number of 50 items" (also the most a
# resource can hold); a tag value is at most 256 characters of [\p{L}\p{Z}\p{N}_.:/=+\-@]*, so
# names (letters, digits, hyphens) are separated by spaces.
LEDGER_KEY_PREFIX = "cleanup-pending-"
MAX_TAGS = 50
TAG_VALUE_MAX_LENGTH = 256
# Components recorded and released per batch: a pass cut short leaves at most this many names
# already deleted in the ledger, which the next pass tries once more (ResourceNotFound: done).
BATCH_SIZE = 100
# A pass that made no progress asks the state machine to wait this long before the next one,
# doubling per pass in a row without progress, at most MAX_WAIT_SECONDS. Passes that progressed
# follow at once.
FIRST_WAIT_SECONDS = 2
MAX_WAIT_SECONDS = 60
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

    def total(self) -> int:
        return (
            self.associations
            + self.trial_components
            + self.trials
            + self.experiment
            + self.shared_trial_components
            + self.kept_trial_components
        )


@dataclass
class CleanupResult:
    experiment_name: str
    keep_components: bool
    done: bool
    counts: CleanupCounts = field(default_factory=CleanupCounts)
    passes: int = 0  # passes so far, this one included
    deferred_passes: int = 0  # passes in a row that made no progress
    left_trials: int = 0
    left_components: int = 0

    @property
    def wait_seconds(self) -> int:
        if self.done or self.deferred_passes == 0:
            return 0
        return min(FIRST_WAIT_SECONDS * 2 ** (self.deferred_passes - 1), MAX_WAIT_SECONDS)

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
            "passes": self.passes,
            "deferredPasses": self.deferred_passes,
            "waitSeconds": self.wait_seconds,
            "left": {"trials": self.left_trials, "trialComponents": self.left_components},
        }


class _OutOfTime(Exception):
    pass


class _Throttled(Exception):
    """Throttled beyond the client's retries: the pass ends, the next one resumes."""


@dataclass
class _Component:
    name: str
    ours: list[str]  # this experiment's trials holding it
    elsewhere: bool  # a trial of another experiment holds it too


def delete_in_order(
    records: ExperimentRecords,
    experiment_name: str,
    *,
    keep_components: bool,
    remaining_ms: Callable[[], int],
    safety_margin_ms: int,
    progress: CleanupCounts | None = None,
    passes: int = 0,
    deferred_passes: int = 0,
) -> CleanupResult:
    """One pass; `progress` holds the counts of the passes before (they accumulate), `passes` and
    `deferred_passes` what the previous pass reported."""
    counts = progress or CleanupCounts()
    before = counts.total()
    result = CleanupResult(experiment_name, keep_components, done=False, counts=counts, passes=passes + 1)
    cleanup = _Pass(records, experiment_name, keep_components, remaining_ms, safety_margin_ms, counts)
    with contextlib.suppress(_OutOfTime, _Throttled):
        result.done = cleanup.run()
    result.left_trials = len(cleanup.trials_left)
    result.left_components = len(cleanup.components_left)
    progressed = result.done or counts.total() > before
    result.deferred_passes = 0 if progressed else deferred_passes + 1
    return result


class _Pass:
    def __init__(self, records, experiment_name, keep_components, remaining_ms, safety_margin_ms, counts) -> None:
        self.records: ExperimentRecords = records
        self.experiment = experiment_name
        self.keep = keep_components
        self.remaining_ms = remaining_ms
        self.safety_margin_ms = safety_margin_ms
        self.counts: CleanupCounts = counts
        self.trials_left: set[str] = set()  # lower-cased names
        self.components_left: set[str] = set()
        self.arn = ""
        self.ledger_keys: set[str] = set()  # the ledger's tag keys on the experiment now
        self.other_tags = 0  # the experiment's other tags (they count against the 50)
        self.unresolved: list[str] = []  # ours, released, refused for now: stay in the ledger
        self.ledger_holds_names = False
        self.in_flight: str | None = None  # the component being released and deleted now

    def check_time(self) -> None:
        if self.remaining_ms() < self.safety_margin_ms:
            raise _OutOfTime

    def call(self, operation: Callable, *args, timed: bool = True):
        """One API call (after a time check unless `timed` is False); throttling beyond the
        client's retries ends the pass."""
        if timed:
            self.check_time()
        try:
            return operation(*args)
        except ClientError as error:
            if is_throttling(error):
                raise _Throttled from error
            raise

    # --- the pass ----------------------------------------------------------------------------------
    def run(self) -> bool:
        try:
            done = self.run_pass()
        except (_OutOfTime, _Throttled):
            self.clear_ledger_on_exit()
            raise
        if not done:
            self.clear_ledger_on_exit()
        return done

    def clear_ledger_on_exit(self) -> None:
        """A pass that stops undone leaves in the ledger only what may still need it: the
        unresolved, and the component it was releasing. Best effort (the safety margin leaves
        time for this one call; if it fails the next pass only retries names already gone)."""
        keep = self.unresolved + ([self.in_flight] if self.in_flight else [])
        try:
            if self.ledger_holds_names:
                self.write_names(keep, timed=False)
        except (_Throttled, ClientError):
            logger.warning("could not trim the cleanup ledger", extra={"experimentName": self.experiment})

    def run_pass(self) -> bool:
        described = self.call(self.records.describe_experiment, self.experiment)
        if described is None:
            return True  # already gone: a rerun after the last pass, or never created
        self.arn = described["ExperimentArn"]
        # Names are case-insensitive; the Search compares the name as created.
        self.experiment = described.get("ExperimentName") or self.experiment
        pending = self.read_ledger() if not self.keep else []
        components = self.call(self.find_components)
        trials = self.call(self.records.trial_names, self.experiment)
        for trial in trials:
            self.trials_left.add(trial.lower())
        for component in components.values():
            self.trials_left.update(t.lower() for t in component.ours)
            self.components_left.add(component.name.lower())
        orphans = [name for name in pending if name.lower() not in components]
        self.components_left.update(name.lower() for name in orphans)
        trial_names = {t.lower(): t for t in trials} | {t.lower(): t for c in components.values() for t in c.ours}

        # Until deleted they stay in the ledger, whatever happens to this pass.
        self.unresolved = list(orphans)
        for name in orphans:
            self.delete_orphan(name)
        self.release_and_delete(components.values())
        if not self.delete_trials(trial_names) or self.unresolved:
            return False
        try:
            if self.call(self.records.delete_experiment, self.experiment):
                self.counts.experiment += 1
        except ClientError as error:
            if error_code(error) != STILL_IN_USE:
                raise
            return False  # a trial created meanwhile, or one ListTrials did not show (yet)
        return True

    def release_and_delete(self, components) -> None:
        to_delete = []
        for component in components:
            if component.elsewhere or self.keep:
                self.release(component)
                self.components_left.discard(component.name.lower())
                if component.elsewhere:
                    self.counts.shared_trial_components += 1  # another experiment's trial holds it: left alone
                else:
                    self.counts.kept_trial_components += 1
            else:
                to_delete.append(component)
        while to_delete:
            batch = self.write_ledger(to_delete)
            to_delete = to_delete[len(batch) :]
            for component in batch:
                self.in_flight = component.name
                self.release(component)
                # The deletion follows the release at once, with no time check in between: the
                # safety margin covers it, so a pass cut by its budget never leaves it released.
                self.delete_component(component.name)
                self.in_flight = None

    def delete_trials(self, trial_names: dict[str, str]) -> bool:
        """True when every trial is gone."""
        refused = False
        for key, trial in trial_names.items():
            try:
                if self.call(self.records.delete_trial, trial):
                    self.counts.trials += 1
                self.trials_left.discard(key)
            except ClientError as error:
                if error_code(error) != STILL_IN_USE:
                    raise
                refused = True  # still holds a component the Search did not show (yet)
        return not refused

    def find_components(self) -> dict[str, _Component]:
        found: dict[str, _Component] = {}
        me = self.experiment.lower()
        for name, parents in self.records.components_of_experiment(self.experiment):
            ours = [trial for trial, experiment in parents if experiment.lower() == me]
            elsewhere = any(experiment.lower() != me for _, experiment in parents)
            found[name.lower()] = _Component(name, ours, elsewhere)
        return found

    def release(self, component: _Component) -> None:
        """Disassociate the component from every trial of this experiment that holds it."""
        for trial in component.ours:
            if self.call(self.records.disassociate, component.name, trial):
                self.counts.associations += 1

    def delete_component(self, name: str) -> None:
        try:
            if self.call(self.records.delete_component, name, timed=False):
                self.counts.trial_components += 1
            self.components_left.discard(name.lower())
        except ClientError as error:
            if error_code(error) != STILL_IN_USE:
                raise
            self.unresolved.append(name)  # still linked to a trial not seen: the next pass decides

    def delete_orphan(self, name: str) -> None:
        """A ledger name no longer found through the experiment: released by a pass that was
        killed before deleting it (or deleted already: gone counts as done)."""
        try:
            if self.call(self.records.delete_component, name):
                self.counts.trial_components += 1
        except ClientError as error:
            if error_code(error) != STILL_IN_USE:
                raise
            # Associated with another experiment's trial since: no longer this experiment's to delete.
            self.counts.shared_trial_components += 1
        self.components_left.discard(name.lower())
        self.unresolved.remove(name)

    # --- the ledger --------------------------------------------------------------------------------
    def read_ledger(self) -> list[str]:
        tags = self.call(self.records.tags_of, self.arn)
        self.ledger_keys = {k for k in tags if k.startswith(LEDGER_KEY_PREFIX)}
        self.other_tags = len(tags) - len(self.ledger_keys)
        names = [name for key in sorted(self.ledger_keys) for name in tags[key].split()]
        self.ledger_holds_names = bool(names)
        return names

    def write_ledger(self, components: list[_Component]) -> list[_Component]:
        """Record the names of the next batch (and of the ones still unresolved) on the
        experiment before any of them is released; returns the batch."""
        names = self.unresolved + [c.name for c in components[:BATCH_SIZE]]
        written = self.write_names(names)
        batch = components[: max(written - len(self.unresolved), 0)]
        if not batch:
            # The experiment holds 50 tags of its own (or the unresolved fill the ledger): no room
            # to record; the components go without a record, as one batch.
            logger.warning(
                "no room for the cleanup ledger on the experiment: a pass killed now may leave components",
                extra={"experimentName": self.experiment, "tags": self.other_tags},
            )
            return components
        return batch

    def write_names(self, names: list[str], *, timed: bool = True) -> int:
        """Write as many of `names` as the experiment's tags can take (the ledger keys of an earlier
        write not needed now are emptied in the same call); returns how many were written."""
        capacity = MAX_TAGS - self.other_tags
        values: list[str] = []
        written = 0
        for name in names:
            if values and len(values[-1]) + 1 + len(name) <= TAG_VALUE_MAX_LENGTH:
                values[-1] += " " + name
            elif len(values) < capacity:
                values.append(name)
            else:
                break
            written += 1
        keys = [f"{LEDGER_KEY_PREFIX}{i:02d}" for i in range(len(values))]
        tags = dict(zip(keys, values, strict=True))
        tags.update(dict.fromkeys(self.ledger_keys - set(keys), ""))
        if tags:
            self.call(self.records.add_tags, self.arn, tags, timed=timed)
        self.ledger_keys |= set(keys)
        self.ledger_holds_names = written > 0
        return written
