"""The Lambda functions: folder, handler, what each does, and the event and result models it takes and gives."""

from __future__ import annotations

from dataclasses import dataclass

from contract import events
from contract.run_plan import RunPlan

CLEANUP_NOTES = """\
In: `{"experimentName", "keepComponents": false, "progress": <previous output or absent>}`, or the
previous pass's output itself (what the cleanup state machine's loop sends: its `deleted`/`kept`
counts are the progress, `passes`/`deferredPasses` carry on). `keepComponents` absent means false.
Out: `{"experimentName", "done": bool, "deleted": {"associations", "trialComponents", "trials",
"experiment"}, "kept": {"sharedTrialComponents", "keptTrialComponents"}, "keepComponents",
"passes", "deferredPasses", "waitSeconds", "left": {"trials", "trialComponents"}}`.
Counts accumulate across calls (it adds to `progress`); a pass that was killed reports nothing, so
after a kill the counts may fall short of what was deleted. `passes` counts the passes, this one
included; `deferredPasses` the passes in a row that made no progress (throttled beyond the
client's retries, or refused: a record still in use); `waitSeconds` is 0 after a pass that made
progress, else 2, 4, 8 ... at most 60 (the state machine waits that long); `left` is what the
pass knew to be left when it stopped (0 and 0 when done). Stops early when the remaining time
(`context.get_remaining_time_in_millis()`) falls under a safety margin, or at the first throttling
beyond the client's retries, and returns done=false.

A pass: DescribeExperiment and ListTags of the experiment; one paginated `Search`
(Resource=ExperimentTrialComponent, `Parents.ExperimentName` = the experiment: each component with
all its parents) and ListTrials of the experiment; then, per component, DisassociateTrialComponent
from this experiment's trials and DeleteTrialComponent unless another experiment's trial holds it
(or keepComponents); then DeleteTrial, then DeleteExperiment. About 2 requests per deleted record.
Before releasing components it will delete, a pass writes their names on the experiment as tags
`cleanup-pending-00` … (names separated by spaces; overwritten by the next batch, gone with the
experiment): a pass killed between a component's last disassociation and its deletion leaves the
component without a parent, which the Search no longer finds, and the next pass (a retry or a
fresh execution) deletes it from those tags. An experiment that already holds 50 tags of its own
is cleaned up without them (logged).
"""


@dataclass(frozen=True)
class Function:
    name: str  # its folder under lambdas/
    description: str
    event: type | None  # the contract.events model of its event (None: parsed by the function itself)
    result: type | None  # the model of what it returns
    notes: str = ""  # how it behaves, for docs/lambda-contracts.md, where the models do not say it all

    @property
    def handler(self) -> str:
        """The deployed handler string: the code asset holds lambdas/ and contract/ at its root."""
        return f"lambdas.{self.name}.handler.handler"


VALIDATE_INPUT = Function(
    "validate_input", "Validates execution input and plans the run", events.ValidateInputEvent, RunPlan
)
RECORD_EXPERIMENT = Function(
    "record_experiment", "Records the experiment and its trials", RunPlan, events.RecordExperimentResult
)
RECORD_PREPROCESSING = Function(
    "record_preprocessing",
    "Records preprocessing statistics and outcome",
    events.RecordPreprocessingEvent,
    events.RecordPreprocessingResult,
)
RECORD_TRIAL = Function(
    "record_trial", "Records a trial and associates preprocessing", events.RecordTrialEvent, events.RecordTrialResult
)
RECORD_TRAINING = Function(
    "record_training", "Records a training outcome on its trial", events.RecordTrainingEvent, events.TrialOutcome
)
SELECT_BEST = Function(
    "select_best", "Makes the trials' outcomes and selects the best", events.SelectBestEvent, events.Selection
)
RECORD_TRANSFORM = Function(
    "record_transform",
    "Records the batch transform in MLflow",
    events.RecordTransformEvent,
    events.TransformRecording,
)
CLEANUP_EXPERIMENT = Function(
    "cleanup_experiment",
    "Deletes an experiment's records in API order",
    None,
    None,
    notes=CLEANUP_NOTES,
)

ALL_FUNCTIONS = (
    VALIDATE_INPUT,
    RECORD_EXPERIMENT,
    RECORD_PREPROCESSING,
    RECORD_TRIAL,
    RECORD_TRAINING,
    SELECT_BEST,
    RECORD_TRANSFORM,
    CLEANUP_EXPERIMENT,
)
# Every function but these writes SageMaker Experiments records.
PURE_FUNCTIONS = (VALIDATE_INPUT, SELECT_BEST, RECORD_TRANSFORM)
