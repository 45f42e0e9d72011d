"""The one source of truth shared by the state machine (infra/), the Lambdas and the jobs.

Names of channels, container paths, S3 prefixes, hyperparameters and metric line formats are
defined here once. Pure Python, no dependencies: the CDK code, the Lambda package and the jobs
image all import it.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

# --- Container paths -------------------------------------------------------------------------
# SageMaker mounts everything under /opt/ml. The local cloud remaps that root into a run folder
# by setting OPT_ML_ROOT; nothing else about the contract changes.
OPT_ML_ROOT_ENV = "OPT_ML_ROOT"
DEFAULT_OPT_ML_ROOT = "/opt/ml"


def opt_ml_root() -> Path:
    return Path(os.environ.get(OPT_ML_ROOT_ENV, DEFAULT_OPT_ML_ROOT))


@dataclass(frozen=True)
class ContainerPaths:
    """Every path of the container contract, relative to one root (normally /opt/ml)."""

    root: Path

    @classmethod
    def from_env(cls) -> "ContainerPaths":
        return cls(opt_ml_root())

    # training
    @property
    def hyperparameters(self) -> Path:
        return self.root / "input" / "config" / "hyperparameters.json"

    @property
    def resource_config(self) -> Path:
        return self.root / "input" / "config" / "resourceconfig.json"

    @property
    def input_data_config(self) -> Path:
        return self.root / "input" / "config" / "inputdataconfig.json"

    def channel(self, name: str) -> Path:
        return self.root / "input" / "data" / name

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output_data(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure(self) -> Path:
        return self.root / "output" / "failure"

    @property
    def checkpoints(self) -> Path:
        return self.root / "checkpoints"

    @property
    def exit_message(self) -> Path:
        """A processing job's message file: its first 1 KB becomes DescribeProcessingJob's
        ExitMessage (processing jobs do not read the training `failure` file)."""
        return self.root / "output" / "message"

    # processing
    def processing_input(self, name: str) -> Path:
        return self.root / "processing" / "input" / name

    def processing_output(self, name: str) -> Path:
        return self.root / "processing" / "output" / name


# Container arguments (SageMaker starts training images with "train", serving with "serve").
TRAIN_ARGUMENT = "train"
SERVE_ARGUMENT = "serve"
# Processing jobs name their entrypoint explicitly (AppSpecification.ContainerEntrypoint).
PREPROCESS_ENTRYPOINT = ["python3", "-m", "jobs.preprocess"]

# Serving: SageMaker calls port 8080; SAGEMAKER_BIND_TO_PORT overrides it (local runs).
SERVING_PORT = 8080
SERVING_PORT_ENV = "SAGEMAKER_BIND_TO_PORT"
# Serving: what POST /invocations reads and answers. Batch transform sends TRANSFORM_INPUT_FILE
# as CSV_CONTENT_TYPE and asks for JSONLINES_CONTENT_TYPE; each output line is one JSON object
# {PREDICTION_LABEL_KEY: int, PREDICTION_PROBABILITIES_KEY: [10 floats]}, in input order.
CSV_CONTENT_TYPE = "text/csv"
JSONLINES_CONTENT_TYPE = "application/jsonlines"
JSON_CONTENT_TYPE = "application/json"
NPY_CONTENT_TYPE = "application/x-npy"
PREDICTION_LABEL_KEY = "label"
PREDICTION_PROBABILITIES_KEY = "probabilities"
# Training also writes a summary (per-epoch metrics, throughput) to SM_OUTPUT_DATA_DIR.
TRAINING_SUMMARY_FILE = "training-summary.json"

# --- Processing inputs and outputs (names are also the folder names) ---------------------------
RAW_INPUT = "raw"  # /opt/ml/processing/input/raw: MNIST IDX files (gzipped or not)
TRAIN_OUTPUT = "train"  # train images.npy + labels.npy
TEST_OUTPUT = "test"  # test images.npy + labels.npy
TRANSFORM_OUTPUT = "transform"  # transform input (one image per line, CSV) + labels
STATS_OUTPUT = "stats"  # stats.json: normalisation and counts
PROCESSING_OUTPUTS = (TRAIN_OUTPUT, TEST_OUTPUT, TRANSFORM_OUTPUT, STATS_OUTPUT)

IMAGES_FILE = "images.npy"
LABELS_FILE = "labels.npy"
TRANSFORM_INPUT_FILE = "test-images.csv"
TRANSFORM_LABELS_FILE = "test-labels.csv"
STATS_FILE = "stats.json"

# Raw layout (the MNIST distribution's file names; .gz optional).
RAW_FILES = {
    "train_images": "train-images-idx3-ubyte",
    "train_labels": "train-labels-idx1-ubyte",
    "test_images": "t10k-images-idx3-ubyte",
    "test_labels": "t10k-labels-idx1-ubyte",
}

# --- Training channels (fed from the processing outputs of the same names) ----------------------
TRAIN_CHANNEL = "train"
TEST_CHANNEL = "test"
TRAINING_CHANNELS = (TRAIN_CHANNEL, TEST_CHANNEL)

# --- Model artifact layout ---------------------------------------------------------------------
MODEL_WEIGHTS_FILE = "model.pt"
MODEL_CONFIG_FILE = "model-config.json"


# --- Hyperparameters ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Hyperparameter:
    name: str
    kind: type  # int, float or str
    default: object
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] | None = None


HYPERPARAMETERS: tuple[Hyperparameter, ...] = (
    Hyperparameter("hidden_channels", int, 10, minimum=1, maximum=1024),
    Hyperparameter("kernel_size", int, 5, minimum=1, maximum=7),
    Hyperparameter("dropout", float, 0.2, minimum=0.0, maximum=0.95),
    Hyperparameter("optimizer", str, "sgd", choices=("sgd", "adam")),
    Hyperparameter("lr", float, 0.1, minimum=1e-6, maximum=10.0),
    Hyperparameter("momentum", float, 0.5, minimum=0.0, maximum=0.999),
    Hyperparameter("epochs", int, 2, minimum=1, maximum=1000),
    Hyperparameter("batch_size", int, 32, minimum=1, maximum=65536),
    Hyperparameter("seed", int, 1, minimum=0, maximum=2**31 - 1),
)
HYPERPARAMETERS_BY_NAME = {h.name: h for h in HYPERPARAMETERS}


# --- Metrics -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Metric:
    name: str  # the name SageMaker records (MetricDefinitions Name)
    regex: str  # the MetricDefinitions Regex; group 1 is the value
    line: str  # the format the training job prints; {value} is the figure


METRICS: tuple[Metric, ...] = (
    Metric("train:loss", r"Train Loss: (.*?);", "Train Loss: {value:.6f};"),
    Metric("test:loss", r"Test Average loss: (.*?),", "Test Average loss: {value:.6f},"),
    Metric("test:accuracy", r"Test Accuracy: (.*?)%;", "Test Accuracy: {value:.4f}%;"),
)
METRICS_BY_NAME = {m.name: m for m in METRICS}
OBJECTIVE_GOALS = ("Maximize", "Minimize")
DEFAULT_OBJECTIVE = {"metric": "test:accuracy", "goal": "Maximize"}


def metric_definitions() -> list[dict[str, str]]:
    """MetricDefinitions for CreateTrainingJob."""
    return [{"Name": m.name, "Regex": m.regex} for m in METRICS]


def format_metric(name: str, value: float) -> str:
    return METRICS_BY_NAME[name].line.format(value=value)


def parse_metrics(text: str) -> dict[str, float]:
    """The last value of each metric in a job's output, as SageMaker's FinalMetricDataList."""
    found: dict[str, float] = {}
    for metric in METRICS:
        for match in re.finditer(metric.regex, text):
            try:
                found[metric.name] = float(match.group(1))
            except ValueError:
                continue
    return found


# --- S3 layout of the project's bucket ---------------------------------------------------------
DATASETS_PREFIX = "datasets/"  # raw data the processing job reads
RUNS_PREFIX = "runs/"  # everything an execution writes: runs/<experiment>/<execution>/...
DEFAULT_DATASET_KEY = DATASETS_PREFIX + "digits/"  # the sample dataset uploaded for local runs


def run_prefix(experiment_name: str, execution_name: str) -> str:
    return f"{RUNS_PREFIX}{experiment_name}/{execution_name}/"


# --- SageMaker Experiments records (the Lambdas write them, the CLI's lineage reads them) -------
PREPROCESSING_DISPLAY_NAME = "Preprocessing"
TRAINING_DISPLAY_NAME = "Training"
TRANSFORM_DISPLAY_NAME = "Transform"
# SageMaker names the component of a training job started with ExperimentConfig
# `<TrainingJobName>-aws-training-job` and records the model as output artifact SageMaker.ModelArtifact.
TRAINING_COMPONENT_SUFFIX = "-aws-training-job"
SAGEMAKER_MODEL_ARTIFACT = "SageMaker.ModelArtifact"
# The transform component the transform recorder creates: `<TransformJobName>-component`.
TRANSFORM_COMPONENT_SUFFIX = "-component"
# Artifact names (values are S3 URIs, media type "s3/uri"):
DATASET_ARTIFACT = "dataset"  # input of Preprocessing and Transform: the raw dataset prefix
# Preprocessing outputs: PROCESSING_OUTPUTS names (train, test, transform, stats) -> their prefixes.
MODEL_ARTIFACT = "model"  # input of Transform: the best trial's model.tar.gz
TRANSFORM_INPUT_ARTIFACT = "transform-input"  # input of Transform: test-images.csv
PREDICTIONS_ARTIFACT = "predictions"  # output of Transform: the batch transform output prefix
