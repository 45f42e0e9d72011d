"""Folds a Step Functions execution history into what `watch` shows: current state and trial counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from contract import states

TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_ITERATION_END = {"MapIterationSucceeded", "MapIterationFailed", "MapIterationAborted"}
# The execution's own end events that carry an error and a cause.
_EXECUTION_FAILURES = {
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}


@dataclass
class TrialProgress:
    index: int
    state: str | None = None  # the state the iteration is in now
    outcome: str | None = None  # "completed" (trained) or "failed"; None while running


@dataclass
class Failure:
    state: str | None
    error: str
    cause: str


@dataclass
class ExecutionProgress:
    """Everything `watch` derives from the events seen so far (apply them in id order)."""

    total_trials: int | None = None
    state: str | None = None  # current top-level state
    trials: dict[int, TrialProgress] = field(default_factory=dict)
    last_event_id: int = 0
    failure: Failure | None = None
    # Inputs of `checkpoint_state` each time it is entered: the cleanup's "Done?" sees every pass's counts.
    passes: list[dict] = field(default_factory=list)
    checkpoint_state: str | None = None
    _iteration_of: dict[int, int] = field(default_factory=dict)
    _state_of_event: dict[int, str] = field(default_factory=dict)

    # --- counts -----------------------------------------------------------------------------
    @property
    def started(self) -> int:
        return len(self.trials)

    @property
    def completed(self) -> int:
        return sum(1 for t in self.trials.values() if t.outcome == "completed")

    @property
    def failed(self) -> int:
        return sum(1 for t in self.trials.values() if t.outcome == "failed")

    @property
    def running(self) -> int:
        return sum(1 for t in self.trials.values() if t.outcome is None)

    @property
    def queued(self) -> int:
        return max((self.total_trials or 0) - self.started, 0)

    # --- folding ----------------------------------------------------------------------------
    def apply(self, events: list[dict]) -> None:
        for event in sorted(events, key=lambda e: e["id"]):
            if event["id"] > self.last_event_id:
                self._apply(event)
                self.last_event_id = event["id"]

    def _apply(self, event: dict) -> None:
        kind = event["type"]
        event_id = event["id"]
        previous = event.get("previousEventId")
        if kind == "ExecutionStarted":
            self._read_input(event["executionStartedEventDetails"].get("input"))
        elif kind == "MapStateStarted":
            self.total_trials = event.get("mapStateStartedEventDetails", {}).get("length", self.total_trials)
        elif kind == "MapIterationStarted":
            index = event["mapIterationStartedEventDetails"]["index"]
            self.trials.setdefault(index, TrialProgress(index))
            self._iteration_of[event_id] = index
            return
        elif kind in _ITERATION_END:
            index = event.get(kind[0].lower() + kind[1:] + "EventDetails", {}).get("index", -1)
            trial = self.trials.setdefault(index, TrialProgress(index))
            # An iteration that ends without passing Trained/NotTrained (e.g. a Lambda error) failed.
            trial.outcome = (trial.outcome or "completed") if kind == "MapIterationSucceeded" else "failed"
            return  # the chain after an iteration's end belongs to the Map, not the iteration

        iteration = self._iteration_of.get(previous) if previous is not None else None
        if iteration is not None:
            self._iteration_of[event_id] = iteration
        entered = event.get("stateEnteredEventDetails")
        if entered:
            self._state_of_event[event_id] = entered["name"]
            self._enter(entered, iteration)
        elif previous in self._state_of_event:
            self._state_of_event[event_id] = self._state_of_event[previous]
        if kind in _EXECUTION_FAILURES:
            details = event.get(_EXECUTION_FAILURES[kind], {})
            # The state the failure came from: the chain of events leads back to its "entered" event.
            self.failure = Failure(
                state=self._state_of_event.get(previous, self.state) if previous is not None else self.state,
                error=details.get("error", kind),
                cause=details.get("cause", ""),
            )

    def _enter(self, entered: dict, iteration: int | None) -> None:
        """A state was entered: at the top level it is the current state (and the cleanup's checkpoint
        records a pass); in a TrainTrials iteration, Trained, or NotTrained / AdoptedJobFailed, tells the
        trial's outcome."""
        name = entered["name"]
        if iteration is None:
            if name == self.checkpoint_state:
                self.passes.append(_json_or_none(entered.get("input")) or {})
            self.state = name
            return
        trial = self.trials[iteration]
        trial.state = name
        if name == states.TRAINED:
            trial.outcome = "completed"
        elif name in (states.NOT_TRAINED, states.ADOPTED_JOB_FAILED):
            trial.outcome = "failed"

    def _read_input(self, text: str | None) -> None:
        payload = _json_or_none(text)
        if isinstance(payload, dict) and isinstance(payload.get("trials"), list):
            self.total_trials = len(payload["trials"])


def _json_or_none(text: str | None):
    try:
        return json.loads(text) if text else None
    except ValueError:
        return None


def readable_cause(cause: str) -> str:
    """A failure cause as a person reads it: the message inside a JSON cause, if there is one."""
    payload = _json_or_none(cause)
    if isinstance(payload, dict):
        for key in ("FailureReason", "errorMessage", "Cause", "message"):
            if isinstance(payload.get(key), str) and payload[key]:
                kind = payload.get("errorType")
                return f"{kind}: {payload[key]}" if kind and key == "errorMessage" else payload[key]
    return cause
