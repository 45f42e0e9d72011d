"""The Lambda functions: folder, handler, what each does, and the event and result models it takes and gives."""

from __future__ import annotations

from dataclasses import dataclass

from contract import events
from contract.run_plan import RunPlan


@dataclass(frozen=True)
class Function:
    name: str  # its folder under lambdas/
    description: str
    event: type | None  # the contract.events model of its event (None: parsed by the function itself)
    result: type | None  # the model of what it returns

    @property
    def handler(self) -> str:
        """The deployed handler string: the code asset holds lambdas/ and contract/ at its root."""
        return f"lambdas.{self.name}.handler.handler"


VALIDATE_INPUT = Function(
    "validate_input", "Validates execution input and plans the run", events.ValidateInputEvent, RunPlan
)
RECORD_EXPERIMENT = Function(
    "record_experiment", "Records the experiment and preprocessing component", RunPlan, events.RecordExperimentResult
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
SELECT_BEST = Function("select_best", "Selects the best completed trial", events.SelectBestEvent, events.BestTrial)
RECORD_TRANSFORM = Function(
    "record_transform",
    "Records the batch transform and its lineage",
    events.RecordTransformEvent,
    events.RecordTransformResult,
)
CLEANUP_EXPERIMENT = Function("cleanup_experiment", "Deletes an experiment's records in API order", None, None)

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
# Every function but these two writes SageMaker Experiments records.
PURE_FUNCTIONS = (VALIDATE_INPUT, SELECT_BEST)
