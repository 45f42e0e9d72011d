"""The SageMaker container contract: paths under /opt/ml, arguments, channels, files and content types."""

from __future__ import annotations

import os
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
    def from_env(cls) -> ContainerPaths:
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
# Serving: the address the model server binds. In the image it is every interface (SageMaker calls
# the container from outside it); the local cloud, which runs the server on the host, sets the
# loopback so nothing it starts listens beyond the machine. Not a SageMaker variable: ours.
SERVING_HOST = "0.0.0.0"
SERVING_HOST_ENV = "JOBS_SERVE_BIND_HOST"
LOOPBACK_HOST = "127.0.0.1"
# Serving: what POST /invocations reads and answers. Batch transform sends TRANSFORM_INPUT_FILE
# as CSV_CONTENT_TYPE and asks for JSONLINES_CONTENT_TYPE; each output line is one JSON object
# {PREDICTION_LABEL_KEY: int, PREDICTION_PROBABILITIES_KEY: [10 floats]}, in input order.
CSV_CONTENT_TYPE = "text/csv"
JSONLINES_CONTENT_TYPE = "application/jsonlines"
JSON_CONTENT_TYPE = "application/json"
NPY_CONTENT_TYPE = "application/x-npy"
# Batch transform: what the Transform state sends and asks for, and the largest request it makes
# (MaxPayloadInMB); serve's /execution-parameters advertises the same.
TRANSFORM_CONTENT_TYPE = CSV_CONTENT_TYPE
TRANSFORM_ACCEPT = JSONLINES_CONTENT_TYPE
TRANSFORM_MAX_PAYLOAD_MB = 6
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
