"""The serving entrypoint as a process, over real HTTP: content types, order, bad records, shutdown."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import tarfile
import time

import numpy as np
import pytest
import requests

import contract
from tests.jobs.conftest import free_port, run_job, start_job

pytestmark = pytest.mark.xdist_group("jobs")

SIZE = 64  # 8 x 8 digits


def model_root(tmp, trained) -> contract.ContainerPaths:
    """An /opt/ml for a transform job: the model packed as model.tar.gz and extracted, as SageMaker does."""
    source = contract.ContainerPaths(trained[0]).model
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        for path in source.iterdir():
            tar.add(path, arcname=path.name)
    paths = contract.ContainerPaths(tmp)
    paths.model.mkdir(parents=True)
    archive.seek(0)
    with tarfile.open(fileobj=archive, mode="r:gz") as tar:
        tar.extractall(paths.model, filter="data")
    return paths


def start_server(paths: contract.ContainerPaths) -> tuple[subprocess.Popen, str]:
    port = free_port()
    server = start_job(
        ["jobs", contract.SERVE_ARGUMENT],
        paths.root,
        **{contract.SERVING_PORT_ENV: str(port), "SAGEMAKER_MODEL_SERVER_WORKERS": "1"},
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, server.stdout.read() if server.stdout else ""
        try:
            # A worker still loading the model leaves the connection waiting in the listen queue.
            if requests.get(f"{url}/ping", timeout=5).status_code == 200:
                return server, url
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.1)
    server.kill()
    raise AssertionError("the server never answered /ping")


def stop(server: subprocess.Popen) -> int:
    server.send_signal(signal.SIGTERM)
    try:
        return server.wait(timeout=30)
    finally:
        if server.stdout:
            server.stdout.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory, trained):
    process, url = start_server(model_root(tmp_path_factory.mktemp("serve"), trained))
    yield url
    stop(process)


@pytest.fixture(scope="module")
def transform_input(preprocessed) -> tuple[bytes, list[int]]:
    """The transform input file and labels the processing job wrote (360 test images)."""
    transform = contract.ContainerPaths(preprocessed).processing_output(contract.TRANSFORM_OUTPUT)
    labels = [int(v) for v in (transform / contract.TRANSFORM_LABELS_FILE).read_text().split()]
    return (transform / contract.TRANSFORM_INPUT_FILE).read_bytes(), labels


def invoke(url, body, content_type, accept=contract.JSONLINES_CONTENT_TYPE):
    headers = {"Content-Type": content_type}
    if accept:
        headers["Accept"] = accept
    return requests.post(f"{url}/invocations", data=body, headers=headers, timeout=60)


def predictions(response) -> list[dict]:
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith(contract.JSONLINES_CONTENT_TYPE)
    return [json.loads(line) for line in response.text.splitlines()]


def images(transform_input) -> np.ndarray:
    return np.loadtxt(io.BytesIO(transform_input[0]), delimiter=",", dtype=np.float32)


def test_csv_transform_input_gets_one_prediction_per_line_in_order(server, transform_input):
    body, labels = transform_input
    result = predictions(invoke(server, body, contract.CSV_CONTENT_TYPE))
    assert len(result) == len(labels)
    for record in result:
        assert set(record) == {contract.PREDICTION_LABEL_KEY, contract.PREDICTION_PROBABILITIES_KEY}
        probabilities = record[contract.PREDICTION_PROBABILITIES_KEY]
        assert len(probabilities) == 10 and sum(probabilities) == pytest.approx(1, abs=1e-4)
        assert record[contract.PREDICTION_LABEL_KEY] == int(np.argmax(probabilities))
    accuracy = np.mean([r[contract.PREDICTION_LABEL_KEY] == label for r, label in zip(result, labels, strict=True)])
    assert accuracy >= 0.95  # in order: a shuffled answer would score about 10%


@pytest.mark.parametrize(
    "content_type", ["application/jsonlines", "application/x-npy", "application/json", "text/csv; charset=utf-8"]
)
def test_every_content_type_gets_the_same_predictions(server, transform_input, content_type):
    x = images(transform_input)
    body: str | bytes
    if content_type == contract.JSONLINES_CONTENT_TYPE:
        # Flat and 8 x 8 nested records may be mixed.
        body = "\n".join(json.dumps(row.tolist() if i % 2 else row.reshape(8, 8).tolist()) for i, row in enumerate(x))
    elif content_type == contract.NPY_CONTENT_TYPE:
        buffer = io.BytesIO()
        np.save(buffer, x.reshape(-1, 8, 8))
        body = buffer.getvalue()
    elif content_type == contract.JSON_CONTENT_TYPE:
        body = json.dumps(x.tolist())
    else:
        body = transform_input[0]
    expected = predictions(invoke(server, transform_input[0], contract.CSV_CONTENT_TYPE))
    got = predictions(invoke(server, body, content_type))
    assert [p["label"] for p in got] == [p["label"] for p in expected]
    np.testing.assert_allclose([p["probabilities"] for p in got], [p["probabilities"] for p in expected], atol=1e-5)


def test_accept_json_answers_one_array_and_no_accept_means_json_lines(server, transform_input):
    lines = b"\n".join(transform_input[0].splitlines()[:3])
    response = invoke(server, lines, contract.CSV_CONTENT_TYPE, accept=contract.JSON_CONTENT_TYPE)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith(contract.JSON_CONTENT_TYPE)
    assert [p["label"] for p in response.json()] == [
        p["label"] for p in predictions(invoke(server, lines, contract.CSV_CONTENT_TYPE, accept=None))
    ]


def test_a_six_megabyte_multi_record_payload_is_answered_in_order(server, transform_input):
    body, _ = transform_input
    single = predictions(invoke(server, body, contract.CSV_CONTENT_TYPE))
    repeats = 6_000_000 // len(body) + 1
    big = body * repeats  # each copy ends with a newline
    assert len(big) >= 6_000_000
    result = predictions(invoke(server, big, contract.CSV_CONTENT_TYPE))
    assert len(result) == len(single) * repeats
    assert [p["label"] for p in result] == [p["label"] for p in single] * repeats


def _csv(rows) -> str:
    return "\n".join(",".join(str(v) for v in row) for row in rows) + "\n"


GOOD = [0.0] * SIZE
NPY_WRONG = io.BytesIO()
np.save(NPY_WRONG, np.zeros((3, 12), dtype=np.float32))


@pytest.mark.parametrize(
    ("body", "content_type", "status", "message"),
    [
        (_csv([GOOD, GOOD, [0.5] * 12, GOOD]), "text/csv", 400, "record 3: expected 64 values, got 12"),
        (_csv([GOOD, GOOD[:-1] + ["abc"]]), "text/csv", 400, "record 2: value 64 ('abc') is not a number"),
        (_csv([GOOD, GOOD[:-1] + ["nan"]]), "text/csv", 400, "record 2: value 64 is not a finite number"),
        (_csv([GOOD, [], GOOD]), "text/csv", 400, "record 2: empty line"),
        ("", "text/csv", 400, "the request holds no records"),
        (b"\xff\xfe", "text/csv", 400, "not UTF-8"),
        (json.dumps(GOOD) + "\n{oops\n", "application/jsonlines", 400, "record 2: not valid JSON"),
        (
            json.dumps(GOOD) + "\n" + json.dumps(["x"] * SIZE),
            "application/jsonlines",
            400,
            "record 2: expected an array of 64 numbers",
        ),
        (
            json.dumps([[1, 2, 3]]),
            "application/json",
            400,
            "record 1: expected 64 values (or 8 rows of 8), got shape (3,)",
        ),
        (NPY_WRONG.getvalue(), "application/x-npy", 400, "the .npy array has shape (3, 12)"),
        (b"not numpy", "application/x-npy", 400, "not a readable .npy array"),
        (_csv([GOOD]), "image/png", 415, "Content-Type image/png is not supported"),
    ],
    ids=[
        "csv-width",
        "csv-text",
        "csv-nan",
        "csv-blank",
        "empty",
        "not-utf8",
        "jsonl-syntax",
        "jsonl-strings",
        "json-shape",
        "npy-shape",
        "npy-garbage",
        "content-type",
    ],
)
def test_a_malformed_request_gets_a_4xx_naming_the_problem_and_the_server_keeps_serving(
    server, body, content_type, status, message
):
    response = invoke(server, body, content_type)
    assert response.status_code == status
    assert message in response.json()["error"]
    assert requests.get(f"{server}/ping", timeout=5).status_code == 200
    assert len(predictions(invoke(server, _csv([GOOD, GOOD]), "text/csv"))) == 2


def test_an_unsupported_accept_gets_406(server):
    response = invoke(server, _csv([GOOD]), "text/csv", accept="text/html")
    assert response.status_code == 406 and "application/jsonlines" in response.json()["error"]


def test_execution_parameters_advertise_multi_record(server):
    response = requests.get(f"{server}/execution-parameters", timeout=5)
    assert response.json() == {"MaxConcurrentTransforms": 1, "BatchStrategy": "MULTI_RECORD", "MaxPayloadInMB": 6}


def test_sigterm_stops_the_server_gracefully(tmp_path, trained):
    process, url = start_server(model_root(tmp_path, trained))
    assert requests.get(f"{url}/ping", timeout=5).status_code == 200
    assert stop(process) == 0


def test_serve_without_a_model_fails_naming_the_missing_files(tmp_path):
    result = run_job(["jobs", contract.SERVE_ARGUMENT], tmp_path, **{contract.SERVING_PORT_ENV: str(free_port())})
    assert result.returncode != 0
    assert f"{tmp_path / 'model'} lacks {contract.MODEL_WEIGHTS_FILE}, {contract.MODEL_CONFIG_FILE}" in result.stderr


@pytest.mark.parametrize("args", [[], ["fit"], ["train", "serve"]])
def test_the_entrypoint_rejects_anything_but_train_or_serve(tmp_path, args):
    result = run_job(["jobs", *args], tmp_path)
    assert result.returncode == 2
    assert "usage: python3 -m jobs {train|serve}" in result.stderr
