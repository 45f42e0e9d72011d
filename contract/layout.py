"""The S3 layout of the project's bucket: where datasets live and where each run writes."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from contract.container import PROCESSING_OUTPUTS

# --- S3 layout of the project's bucket ---------------------------------------------------------
DATASETS_PREFIX = "datasets/"  # raw data the processing job reads
RUNS_PREFIX = "runs/"  # everything an execution writes: runs/<experiment>/<execution>/...
DEFAULT_DATASET_KEY = DATASETS_PREFIX + "digits/"  # the sample dataset uploaded for local runs


def run_prefix(experiment_name: str, execution_name: str) -> str:
    return f"{RUNS_PREFIX}{experiment_name}/{execution_name}/"


# Sub-prefixes of one run.
PREPROCESSED = "preprocessed/"  # the processing outputs, one folder each (container.PROCESSING_OUTPUTS)
MODELS = "models/"  # SageMaker writes <training job>/output/model.tar.gz here
CHECKPOINTS = "checkpoints/"  # one folder per trial, synced while it trains
TRANSFORM = "transform/"  # the batch transform's predictions
PLAN = "plan/"  # the run plan's trials, one JSON array: the Distributed Map's items (ItemReader)
RESULTS = "results/"  # the Map Run's results (ResultWriter) and every trial's outcome (SelectBest)
TRIALS_FILE = "trials.json"
OUTCOMES_FILE = "outcomes.json"
# The same files of every run, as IAM object-key patterns ("*" spans "/" in an IAM ARN).
TRIALS_FILES = f"{RUNS_PREFIX}*/{PLAN}{TRIALS_FILE}"
RESULT_FILES = f"{RUNS_PREFIX}*/{RESULTS}*"
OUTCOMES_FILES = f"{RUNS_PREFIX}*/{RESULTS}{OUTCOMES_FILE}"
# Batch transform names each output object after its input object: "<input file>.out".
TRANSFORM_OUTPUT_SUFFIX = ".out"


def split_s3_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key); ValueError naming the URI otherwise."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise ValueError(f"{uri!r}: not an s3://bucket/key URI")
    return bucket, key


@dataclass(frozen=True)
class RunLayout:
    """Every S3 location of one execution of one experiment: runs/<experiment>/<execution>/...

    The run plan (ValidateInput), the demo's report, the e2e tests and the cleanup read them from
    here, so no layer rebuilds a key by string surgery."""

    bucket: str
    experiment_name: str
    execution_name: str

    @classmethod
    def from_run_uri(cls, uri: str) -> RunLayout:
        """The layout of any URI inside a run (e.g. a plan's transform output)."""
        bucket, _, key = uri.removeprefix("s3://").partition("/")
        parts = key.removeprefix(RUNS_PREFIX).split("/")
        if not key.startswith(RUNS_PREFIX) or len(parts) < 2 or not parts[0] or not parts[1]:
            raise ValueError(f"{uri}: not inside {RUNS_PREFIX}<experiment>/<execution>/ of a bucket")
        return cls(bucket, parts[0], parts[1])

    @property
    def prefix(self) -> str:
        return run_prefix(self.experiment_name, self.execution_name)

    def uri(self, key: str) -> str:
        return f"s3://{self.bucket}/{key}"

    @property
    def preprocessed(self) -> str:
        return self.prefix + PREPROCESSED

    def processing_output(self, output: str) -> str:
        """Prefix of one processing output (train, test, transform, stats)."""
        return f"{self.preprocessed}{output}/"

    def processing_file(self, output: str, file_name: str) -> str:
        return self.processing_output(output) + file_name

    @property
    def models(self) -> str:
        return self.prefix + MODELS

    def checkpoints(self, trial_name: str) -> str:
        return f"{self.prefix}{CHECKPOINTS}{trial_name}/"

    @property
    def transform(self) -> str:
        return self.prefix + TRANSFORM

    def transform_output(self, input_file: str) -> str:
        return self.transform + input_file + TRANSFORM_OUTPUT_SUFFIX

    @property
    def trials_file(self) -> str:
        """The plan's trials (list[TrialPlan]) that ValidateInput writes and TrainTrials reads."""
        return self.prefix + PLAN + TRIALS_FILE

    @property
    def results(self) -> str:
        """The ResultWriter's prefix: `<map run id>/manifest.json` and `SUCCEEDED_<n>.json` under it."""
        return self.prefix + RESULTS

    @property
    def outcomes_file(self) -> str:
        """Every trial's outcome of the sweep (contract.events.SweepOutcomes), written by SelectBest."""
        return self.results + OUTCOMES_FILE

    def prefixes(self) -> Iterator[str]:
        """Every prefix the run writes under (the processing outputs one by one)."""
        yield self.prefix
        yield self.preprocessed
        for output in PROCESSING_OUTPUTS:
            yield self.processing_output(output)
        yield self.models
        yield self.prefix + CHECKPOINTS
        yield self.transform
        yield self.prefix + PLAN
        yield self.results
