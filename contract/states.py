"""State names of the training and cleanup state machines: infra builds them, the CLI and the local cloud read them."""

from __future__ import annotations

from dataclasses import dataclass

# --- Training state machine (infra/constructs/training_pipeline.py) -----------------------------------
VALIDATE_INPUT = "ValidateInput"
RECORD_EXPERIMENT = "RecordExperiment"
RERUN_CHOICE = "Rerun?"  # a rerun (`ops rerun`) trains on the sweep's preprocessed data: no Preprocess
REUSE_PREPROCESSING = "ReusePreprocessing"
PREPROCESS = "Preprocess"
RECORD_PREPROCESSING = "RecordPreprocessing"
RECORD_PREPROCESSING_FAILURE = "RecordPreprocessingFailure"
PREPROCESSING_FAILED = "PreprocessingFailed"
TRAIN_TRIALS = "TrainTrials"  # the Map: one iteration per trial
SELECT_BEST = "SelectBest"
CREATE_MODEL = "CreateModel"
TRANSFORM = "Transform"
RECORD_TRANSFORM = "RecordTransform"  # the transform's MLflow run; never fails the execution
TRANSFORM_NOT_RECORDED = "TransformNotRecorded"  # ...and what its Catch makes of a RecordTransform failure
SUMMARIZE = "Summarize"
# In each TrainTrials iteration:
RECORD_TRIAL = "RecordTrial"
TRAIN = "Train"
TRAINED = "Trained"  # the iteration passes here when its training job completed
NOT_TRAINED = "NotTrained"  # ...and here when Train's Catch caught the job's failure
RECORD_TRAINING = "RecordTraining"
TRIAL_RESULT = "TrialResult"  # the iteration's output: SelectBest makes the trial's outcome from it
# After a job state's Catch, when a job of that name exists (a Create retried after an ambiguous error
# met its own job): that job is described until it ends and adopted. One set of states per job state.
TRAINING_JOB_EXISTS = "TrainingJobExists?"
DESCRIBE_TRAINING_JOB = "DescribeTrainingJob"
ADOPTED_JOB_ENDED = "AdoptedJobEnded?"
WAIT_FOR_ADOPTED_JOB = "WaitForAdoptedJob"
ADOPTED_JOB_FAILED = "AdoptedJobFailed"
# The transform's: a transform that fails, adopted or not, fails the execution here (its caught error).
TRANSFORM_FAILED = "TransformFailed"


@dataclass(frozen=True)
class JobAdoption:
    """The states that adopt an existing job after a Create*Job state was refused its name."""

    exists: str  # Choice: is the caught error's cause "name in use"?
    describe: str  # Describe*Job into the state's result path
    ended: str  # Choice on the job's status
    wait: str  # between Describes while the job runs
    failed: str  # Pass: the adopted job ended Failed or Stopped


TRAINING_ADOPTION = JobAdoption(
    TRAINING_JOB_EXISTS, DESCRIBE_TRAINING_JOB, ADOPTED_JOB_ENDED, WAIT_FOR_ADOPTED_JOB, ADOPTED_JOB_FAILED
)
PROCESSING_ADOPTION = JobAdoption(
    "ProcessingJobExists?",
    "DescribeProcessingJob",
    "AdoptedProcessingJobEnded?",
    "WaitForAdoptedProcessingJob",
    "AdoptedProcessingJobFailed",
)
TRANSFORM_ADOPTION = JobAdoption(
    "TransformJobExists?",
    "DescribeTransformJob",
    "AdoptedTransformJobEnded?",
    "WaitForAdoptedTransformJob",
    "AdoptedTransformJobFailed",
)

# --- Cleanup state machine (infra/constructs/cleanup_pipeline.py) -------------------------------------
DELETE_RECORDS = "DeleteRecords"  # one pass of the cleanup function; the CLI follows its inputs
CLEANUP_DONE_CHOICE = "Done?"
BACK_OFF = "BackOff"  # waits the pass's waitSeconds after a pass that made no progress
DELETED = "Deleted"

# Which job field each SageMaker state's request names, and which states invoke a Lambda: `watch`
# says where a failure's logs are from these.
JOB_NAME_FIELD_OF_STATE = {
    PREPROCESS: "ProcessingJobName",
    TRAIN: "TrainingJobName",
    TRANSFORM: "TransformJobName",
}
LAMBDA_STATES = frozenset(
    {
        VALIDATE_INPUT,
        RECORD_EXPERIMENT,
        RECORD_PREPROCESSING,
        RECORD_PREPROCESSING_FAILURE,
        RECORD_TRIAL,
        RECORD_TRAINING,
        SELECT_BEST,
        RECORD_TRANSFORM,
        DELETE_RECORDS,
    }
)
