"""Processing entrypoint: raw MNIST-layout IDX files in, normalised train/test/transform arrays out.

Run as `python3 -m jobs.preprocess` (contract.PREPROCESS_ENTRYPOINT). Reads
/opt/ml/processing/input/raw/ and writes, under /opt/ml/processing/output/:
  train/images.npy, train/labels.npy, test/images.npy, test/labels.npy  (float32 N x H x W, int64)
  transform/test-images.csv  one flattened normalised test image per line, no header, no label
  transform/test-labels.csv  the matching label per line, for scoring the transform output
  stats/stats.json           normalisation and counts (the preprocessing component's parameters)
Needs numpy only (no torch), so it is quick to start.
"""

from __future__ import annotations

import gzip
import json
import struct
import sys
from pathlib import Path

import numpy as np

import contract

NUM_CLASSES = 10
IDX_UBYTE = 0x08
PIXEL_MAX = 255.0  # IDX images are unsigned bytes; scale to [0, 1] before standardising
EXIT_MESSAGE_LIMIT = 1024  # SageMaker keeps the first 1 KB of the message file


class PreprocessingError(Exception):
    """Bad or missing input; the message names the file and the problem."""


def find_raw_file(raw_dir: Path, name: str) -> Path:
    """The raw file `name` or `name.gz` in raw_dir; a clear error listing what is there if neither."""
    for candidate in (raw_dir / name, raw_dir / f"{name}.gz"):
        if candidate.is_file():
            return candidate
    present = sorted(p.name for p in raw_dir.iterdir()) if raw_dir.is_dir() else None
    where = f"{raw_dir} does not exist" if present is None else f"{raw_dir} holds {present or 'nothing'}"
    raise PreprocessingError(f"missing input file {name} (or {name}.gz): {where}")


def read_idx(path: Path) -> np.ndarray:
    """An IDX file of unsigned bytes as a numpy array; gzip is detected from the content."""
    try:
        data = path.read_bytes()
        if data[:2] == b"\x1f\x8b":  # gzip magic, whatever the file is called
            data = gzip.decompress(data)
    except (OSError, EOFError, gzip.BadGzipFile) as error:
        raise PreprocessingError(f"{path.name}: cannot read it: {error}") from error
    if len(data) < 4 or data[0] != 0 or data[1] != 0:
        raise PreprocessingError(f"{path.name}: not an IDX file (bad magic number)")
    if data[2] != IDX_UBYTE:
        raise PreprocessingError(f"{path.name}: IDX data type 0x{data[2]:02x}, expected unsigned bytes (0x08)")
    ndim = data[3]
    header_size = 4 + 4 * ndim
    if len(data) < header_size:
        raise PreprocessingError(f"{path.name}: truncated header")
    shape = struct.unpack(f">{ndim}i", data[4:header_size])
    expected = int(np.prod(shape, dtype=np.int64))
    if len(data) - header_size != expected:
        raise PreprocessingError(
            f"{path.name}: header says shape {tuple(shape)} ({expected} bytes) but holds {len(data) - header_size}"
        )
    return np.frombuffer(data, dtype=np.uint8, offset=header_size).reshape(shape)


def load_split(raw_dir: Path, split: str) -> tuple[np.ndarray, np.ndarray]:
    """Images (N, H, W) uint8 and labels (N,) of one split, checked against each other."""
    images_path = find_raw_file(raw_dir, contract.RAW_FILES[f"{split}_images"])
    labels_path = find_raw_file(raw_dir, contract.RAW_FILES[f"{split}_labels"])
    images, labels = read_idx(images_path), read_idx(labels_path)
    if images.ndim != 3 or images.shape[0] == 0 or min(images.shape[1:]) < 1:
        raise PreprocessingError(f"{images_path.name}: expected N x height x width images, got shape {images.shape}")
    if labels.ndim != 1:
        raise PreprocessingError(f"{labels_path.name}: expected a list of labels, got shape {labels.shape}")
    if len(labels) != len(images):
        raise PreprocessingError(
            f"{split} split: {len(images)} images in {images_path.name} but {len(labels)} labels in {labels_path.name}"
        )
    if labels.max() >= NUM_CLASSES:
        raise PreprocessingError(f"{labels_path.name}: label {int(labels.max())} outside 0..{NUM_CLASSES - 1}")
    return images, labels


def preprocess(raw_dir: Path, output: OutputDirs) -> dict:
    """Normalise both splits with the training split's mean and std, write every output, return stats."""
    train_images, train_labels = load_split(raw_dir, "train")
    test_images, test_labels = load_split(raw_dir, "test")
    if train_images.shape[1:] != test_images.shape[1:]:
        raise PreprocessingError(
            f"train images are {train_images.shape[1:]} but test images are {test_images.shape[1:]}"
        )
    train = train_images.astype(np.float64) / PIXEL_MAX
    mean, std = float(train.mean()), float(train.std())
    if std == 0.0:
        raise PreprocessingError("training images are all the same value: cannot normalise (std is 0)")

    def normalise(images: np.ndarray) -> np.ndarray:
        return ((images.astype(np.float64) / PIXEL_MAX - mean) / std).astype(np.float32)

    train_x, test_x = normalise(train_images), normalise(test_images)
    for directory, images, labels in ((output.train, train_x, train_labels), (output.test, test_x, test_labels)):
        directory.mkdir(parents=True, exist_ok=True)
        np.save(directory / contract.IMAGES_FILE, images)
        np.save(directory / contract.LABELS_FILE, labels.astype(np.int64))

    output.transform.mkdir(parents=True, exist_ok=True)
    # Batch transform splits its input by line, so one flattened image per line; %.6g keeps the
    # file small while float32 round-trips closely enough for identical predictions.
    np.savetxt(
        output.transform / contract.TRANSFORM_INPUT_FILE, test_x.reshape(len(test_x), -1), fmt="%.6g", delimiter=","
    )
    np.savetxt(output.transform / contract.TRANSFORM_LABELS_FILE, test_labels, fmt="%d")

    height, width = train_images.shape[1:]
    # Flat numbers only: the recorder sets each key as a trial component parameter.
    stats = {
        "normalization_mean": mean,
        "normalization_std": std,
        "train_count": int(len(train_labels)),
        "test_count": int(len(test_labels)),
        "image_height": int(height),
        "image_width": int(width),
        "num_classes": NUM_CLASSES,
    }
    output.stats.mkdir(parents=True, exist_ok=True)
    (output.stats / contract.STATS_FILE).write_text(json.dumps(stats, indent=2) + "\n")
    return stats


class OutputDirs:
    """The four processing output folders of the contract."""

    def __init__(self, paths: contract.ContainerPaths) -> None:
        self.train = paths.processing_output(contract.TRAIN_OUTPUT)
        self.test = paths.processing_output(contract.TEST_OUTPUT)
        self.transform = paths.processing_output(contract.TRANSFORM_OUTPUT)
        self.stats = paths.processing_output(contract.STATS_OUTPUT)


def main() -> int:
    paths = contract.ContainerPaths.from_env()
    raw_dir = paths.processing_input(contract.RAW_INPUT)
    try:
        stats = preprocess(raw_dir, OutputDirs(paths))
    except PreprocessingError as error:
        message = f"preprocessing failed: {error}"
        print(message, file=sys.stderr, flush=True)
        # SageMaker Processing reports /opt/ml/output/message as the job's ExitMessage; the
        # training-style failure file is written too, for runners that read that one.
        for path in (paths.exit_message, paths.failure):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(message[:EXIT_MESSAGE_LIMIT])
        return 1
    print(f"preprocessing done: {json.dumps(stats)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
