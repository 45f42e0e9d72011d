"""Decodes /invocations payloads into image batches and encodes predictions (no HTTP, no server)."""

from __future__ import annotations

import io
import json

import numpy as np

import contract

JSONLINES_ALIASES = (contract.JSONLINES_CONTENT_TYPE, "application/jsonl", "application/x-jsonlines")
CONTENT_TYPES = (contract.CSV_CONTENT_TYPE, *JSONLINES_ALIASES, contract.JSON_CONTENT_TYPE, contract.NPY_CONTENT_TYPE)
ACCEPT_TYPES = (contract.JSONLINES_CONTENT_TYPE, contract.JSON_CONTENT_TYPE)
PROBABILITY_DIGITS = 6  # enough to rank classes; keeps each output line short


class MalformedPayload(ValueError):
    """The request body cannot be read as images of the model's shape; the message says where and why."""


class UnsupportedContentType(ValueError):
    pass


def decode(body: bytes, content_type: str, height: int, width: int) -> np.ndarray:
    """The records of a request body as float32 images (N, 1, height, width), in order."""
    size = height * width
    if content_type == contract.CSV_CONTENT_TYPE:
        records = _csv_records(_text(body), size)
    elif content_type in JSONLINES_ALIASES:
        records = _json_records(_json_lines(_text(body)), size, height, width)
    elif content_type == contract.JSON_CONTENT_TYPE:
        records = _json_records(_json_array(_text(body)), size, height, width)
    elif content_type == contract.NPY_CONTENT_TYPE:
        records = _npy_records(body, size, height, width)
    else:
        raise UnsupportedContentType(
            f"Content-Type {content_type or '(none)'} is not supported; send one of {', '.join(CONTENT_TYPES)}"
        )
    if len(records) == 0:
        raise MalformedPayload("the request holds no records")
    bad = ~np.isfinite(records)
    if bad.any():
        record, value = np.argwhere(bad)[0]
        raise MalformedPayload(f"record {record + 1}: value {value + 1} is not a finite number")
    return records.reshape(len(records), 1, height, width)


def encode(probabilities: np.ndarray, accept: str) -> str:
    """One {"label", "probabilities"} object per record: JSON lines, or one JSON array."""
    predictions = [
        {
            contract.PREDICTION_LABEL_KEY: int(np.argmax(row)),
            contract.PREDICTION_PROBABILITIES_KEY: [round(float(p), PROBABILITY_DIGITS) for p in row],
        }
        for row in probabilities
    ]
    if accept == contract.JSON_CONTENT_TYPE:
        return json.dumps(predictions) + "\n"
    return "".join(json.dumps(p) + "\n" for p in predictions)


def _text(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise MalformedPayload(f"the body is not UTF-8 text (byte {error.start})") from None


def _lines(text: str) -> list[str]:
    # Batch transform splits its input by line and may end a mini-batch with a newline.
    return text.rstrip("\r\n").splitlines() if text.strip() else []


def _csv_records(text: str, size: int) -> np.ndarray:
    lines = _lines(text)
    if not lines:
        return np.empty((0, size), dtype=np.float32)
    try:
        # Fast path: numpy's C parser; the slow path below runs only to explain a failure.
        records = np.loadtxt(io.StringIO("\n".join(lines)), delimiter=",", dtype=np.float32, ndmin=2)
        if records.shape == (len(lines), size):
            return records
    except ValueError:
        pass
    records = np.empty((len(lines), size), dtype=np.float32)
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            raise MalformedPayload(f"record {number}: empty line, expected {size} comma-separated values")
        fields = line.split(",")
        if len(fields) != size:
            raise MalformedPayload(f"record {number}: expected {size} values, got {len(fields)}")
        for position, field in enumerate(fields, start=1):
            try:
                records[number - 1, position - 1] = float(field)
            except ValueError:
                raise MalformedPayload(
                    f"record {number}: value {position} ({field.strip()[:20]!r}) is not a number"
                ) from None
    return records


def _json_lines(text: str) -> list:
    values = []
    for number, line in enumerate(_lines(text), start=1):
        try:
            values.append(json.loads(line))
        except json.JSONDecodeError as error:
            raise MalformedPayload(f"record {number}: not valid JSON ({error.msg} at column {error.colno})") from None
    return values


def _json_array(text: str) -> list:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise MalformedPayload(f"the body is not valid JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(value, list):
        raise MalformedPayload("application/json body must be a JSON array of records")
    return value


def _json_records(values: list, size: int, height: int, width: int) -> np.ndarray:
    """Each record a flat array of height*width numbers, or height rows of width numbers."""
    records = np.empty((len(values), size), dtype=np.float32)
    for number, value in enumerate(values, start=1):
        try:
            array = np.asarray(value, dtype=np.float32)
        except (ValueError, TypeError):
            raise MalformedPayload(f"record {number}: expected an array of {size} numbers") from None
        if array.shape not in ((size,), (height, width)):
            raise MalformedPayload(
                f"record {number}: expected {size} values (or {height} rows of {width}), got shape {array.shape}"
            )
        records[number - 1] = array.reshape(size)
    return records


def _npy_records(body: bytes, size: int, height: int, width: int) -> np.ndarray:
    try:
        # allow_pickle=False: an .npy body is data, never code to unpickle.
        array = np.load(io.BytesIO(body), allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise MalformedPayload(f"the body is not a readable .npy array: {error}") from None
    if not isinstance(array, np.ndarray) or array.dtype.kind not in "fiub":
        raise MalformedPayload(f"the .npy array must hold numbers, got dtype {getattr(array, 'dtype', '?')}")
    shapes = {1: (size,), 2: (None, size), 3: (None, height, width), 4: (None, 1, height, width)}
    expected = shapes.get(array.ndim)
    if expected is None or any(e is not None and e != s for e, s in zip(expected, array.shape, strict=True)):
        raise MalformedPayload(
            f"the .npy array has shape {array.shape}; expected (N, {size}), "
            f"(N, {height}, {width}), (N, 1, {height}, {width}) or one record ({size},)"
        )
    return array.astype(np.float32).reshape(-1, size)
