"""Folds an execution's history and its Map Run's counts into what `watch` shows: current state and trial counts."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from contract import states

TERMINAL_STATUSES = {"SUCCEEDED", "FAILED", "TIMED_OUT", "ABORTED"}
_MAP_RUN_END = {"MapRunSucceeded", "MapRunFailed", "MapRunAborted"}
# The execution's own end events that carry an error and a cause.
_EXECUTION_FAILURES = {
    "ExecutionFailed": "executionFailedEventDetails",
    "ExecutionTimedOut": "executionTimedOutEventDetails",
    "ExecutionAborted": "executionAbortedEventDetails",
}
# DescribeMapRun itemCounts of children that ended (a child's end is its trial's: trained or not).
_ITEMS_DONE = ("succeeded", "failed", "timedOut", "aborted")


@dataclass
class Failure:
    state: str | None
    error: str
    cause: str


@dataclass
class ExecutionProgress:
    """Everything `watch` derives from the events seen so far (apply them in id order) and, while the
    trials run, from their Map Run's counts (DescribeMapRun): one call per poll whatever the sweep's
    size, where reading each child execution's history would be one call per trial."""

    total_trials: int | None = None
    state: str | None = None  # current top-level state
    last_event_id: int = 0
    failure: Failure | None = None
    map_run_arn: str | None = None  # TrainTrials' Map Run, once it started
    map_run_ended: bool = False
    item_counts: dict[str, int] = field(default_factory=dict)  # its latest DescribeMapRun itemCounts
    # The trials' outcomes, once SelectBest has made them (the output's `outcomes` counts).
    completed: int | None = None
    failed: int | None = None
    # Inputs of `checkpoint_state` each time it is entered: the cleanup's "Done?" sees every pass's counts.
    passes: list[dict] = field(default_factory=list)
    checkpoint_state: str | None = None
    _state_of_event: dict[int, str] = field(default_factory=dict)

    # --- counts -----------------------------------------------------------------------------
    @property
    def done(self) -> int:
        return sum(int(self.item_counts.get(key, 0)) for key in _ITEMS_DONE)

    @property
    def running(self) -> int:
        return int(self.item_counts.get("running", 0))

    @property
    def queued(self) -> int:
        return max((self.total_trials or 0) - self.done - self.running, 0)

    def apply_map_run(self, description: dict) -> None:
        """A DescribeMapRun of TrainTrials' Map Run."""
        self.item_counts = dict(description.get("itemCounts") or {})

    def apply_output(self, output: dict) -> None:
        """The execution's output: the trials' outcomes (contract.events.ExecutionOutput.outcomes)."""
        outcomes = output.get("outcomes") if isinstance(output, dict) else None
        if isinstance(outcomes, dict):
            self.completed, self.failed = outcomes.get("completed"), outcomes.get("failed")

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
        elif kind == "MapRunStarted":
            self.map_run_arn = event.get("mapRunStartedEventDetails", {}).get("mapRunArn")
            self.map_run_ended = False
        elif kind in _MAP_RUN_END:
            self.map_run_ended = True
        exited = event.get("stateExitedEventDetails")
        if exited and exited.get("name") == states.SELECT_BEST:
            # Its output is the state with `selection` (contract.events.PipelineState): the outcomes'
            # counts, so the states after it (CreateModel, Transform) show them too.
            state = _json_or_none(exited.get("output"))
            if isinstance(state, dict):
                self.apply_output(state.get("selection") or {})
        entered = event.get("stateEnteredEventDetails")
        if entered:
            self._state_of_event[event_id] = entered["name"]
            if entered["name"] == self.checkpoint_state:
                self.passes.append(_json_or_none(entered.get("input")) or {})
            self.state = entered["name"]
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
