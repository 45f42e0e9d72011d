"""The processing entrypoint as a process: outputs, normalisation, stats, and bad input."""

from __future__ import annotations

import gzip
import json

import numpy as np
import pytest

import contract
from jobs.digits import digits_split, write_digits
from tests.jobs.conftest import run_job

pytestmark = pytest.mark.xdist_group("jobs")


def outputs(root):
    paths = contract.ContainerPaths(root)
    return {name: paths.processing_output(name) for name in contract.PROCESSING_OUTPUTS}


def test_writes_normalised_splits_transform_input_and_stats(preprocessed):
    out = outputs(preprocessed)
    raw = digits_split()
    train_x = np.load(out["train"] / contract.IMAGES_FILE)
    test_x = np.load(out["test"] / contract.IMAGES_FILE)
    assert train_x.shape == (1437, 8, 8) and train_x.dtype == np.float32
    assert test_x.shape == (360, 8, 8) and test_x.dtype == np.float32
    np.testing.assert_array_equal(np.load(out["train"] / contract.LABELS_FILE), raw["train_labels"])
    np.testing.assert_array_equal(np.load(out["test"] / contract.LABELS_FILE), raw["test_labels"])
    # Standardised with the training split's own statistics.
    assert abs(train_x.mean()) < 1e-4 and abs(train_x.std() - 1) < 1e-4

    stats = json.loads((out["stats"] / contract.STATS_FILE).read_text())
    pixels = raw["train_images"] / 255.0
    assert stats["normalization_mean"] == pytest.approx(pixels.mean())
    assert stats["normalization_std"] == pytest.approx(pixels.std())
    assert {k: stats[k] for k in ("train_count", "test_count", "image_height", "image_width", "num_classes")} == {
        "train_count": 1437,
        "test_count": 360,
        "image_height": 8,
        "image_width": 8,
        "num_classes": 10,
    }
    np.testing.assert_allclose(
        test_x,
        (raw["test_images"] / 255.0 - stats["normalization_mean"]) / stats["normalization_std"],
        rtol=1e-5,
        atol=1e-5,
    )

    # Batch transform input: one flattened test image per line, no label; labels alongside.
    lines = (out["transform"] / contract.TRANSFORM_INPUT_FILE).read_text().splitlines()
    assert len(lines) == 360
    np.testing.assert_allclose(
        np.array([[float(v) for v in line.split(",")] for line in lines]), test_x.reshape(360, 64), atol=1e-5
    )
    labels = (out["transform"] / contract.TRANSFORM_LABELS_FILE).read_text().split()
    assert [int(v) for v in labels] == raw["test_labels"].tolist()


def test_plain_and_gzipped_raw_files_give_the_same_output(tmp_path, preprocessed):
    write_digits(contract.ContainerPaths(tmp_path).processing_input(contract.RAW_INPUT), compress=False)
    result = run_job(["jobs.preprocess"], tmp_path)
    assert result.returncode == 0, result.stderr
    for name in contract.PROCESSING_OUTPUTS:
        for produced in outputs(preprocessed)[name].iterdir():
            assert (outputs(tmp_path)[name] / produced.name).read_bytes() == produced.read_bytes(), produced.name


def _truncate_images(raw):
    path = raw / (contract.RAW_FILES["train_images"] + ".gz")
    path.write_bytes(gzip.compress(gzip.decompress(path.read_bytes())[:-10]))


def _drop_test_labels(raw):
    (raw / (contract.RAW_FILES["test_labels"] + ".gz")).unlink()


def _too_few_labels(raw):
    path = raw / (contract.RAW_FILES["train_labels"] + ".gz")
    data = bytearray(gzip.decompress(path.read_bytes()))
    data[4:8] = (100).to_bytes(4, "big")  # header: 100 labels
    path.write_bytes(gzip.compress(bytes(data[: 8 + 100])))


def _not_idx(raw):
    (raw / (contract.RAW_FILES["test_images"] + ".gz")).write_bytes(b"<html>not found</html>")


@pytest.mark.parametrize(
    ("damage", "expected"),
    [
        (_truncate_images, "train-images-idx3-ubyte.gz: header says shape (1437, 8, 8) (91968 bytes) but holds 91958"),
        (_drop_test_labels, "missing input file t10k-labels-idx1-ubyte (or t10k-labels-idx1-ubyte.gz)"),
        (_too_few_labels, "train split: 1437 images in train-images-idx3-ubyte.gz but 100 labels"),
        (_not_idx, "t10k-images-idx3-ubyte.gz: not an IDX file"),
    ],
    ids=["truncated", "missing-file", "label-count", "not-idx"],
)
def test_bad_input_fails_with_a_message_naming_the_file(tmp_path, damage, expected):
    raw = contract.ContainerPaths(tmp_path).processing_input(contract.RAW_INPUT)
    write_digits(raw, compress=True)
    damage(raw)
    result = run_job(["jobs.preprocess"], tmp_path)
    assert result.returncode != 0
    assert expected in result.stderr
    assert not contract.ContainerPaths(tmp_path).processing_output(contract.STATS_OUTPUT).exists()


def test_no_input_folder_fails_saying_where_it_looked(tmp_path):
    result = run_job(["jobs.preprocess"], tmp_path)
    assert result.returncode != 0
    assert f"{tmp_path / 'processing' / 'input' / 'raw'} does not exist" in result.stderr


def test_bad_input_is_reported_as_the_processing_jobs_exit_message(tmp_path):
    # SageMaker Processing returns the first 1 KB of /opt/ml/output/message as ExitMessage
    # (the training-only `failure` file is not read for processing jobs).
    raw = contract.ContainerPaths(tmp_path).processing_input(contract.RAW_INPUT)
    write_digits(raw, compress=True)
    _drop_test_labels(raw)
    result = run_job(["jobs.preprocess"], tmp_path)
    assert result.returncode != 0
    message = contract.ContainerPaths(tmp_path).exit_message.read_text()
    assert message.startswith("preprocessing failed: missing input file t10k-labels-idx1-ubyte")
    assert contract.ContainerPaths(tmp_path).exit_message == tmp_path / "output" / "message"
