"""Reads and writes a run's JSON files in the bucket: the plan's trials, the Map Run's results, the outcomes."""

from __future__ import annotations

import json
from typing import Any


def split_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/key` -> (bucket, key)."""
    bucket, _, key = uri.removeprefix("s3://").partition("/")
    if not uri.startswith("s3://") or not bucket or not key:
        raise ValueError(f"{uri!r}: not an s3://bucket/key URI")
    return bucket, key


def get_json(s3, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def put_json(s3, bucket: str, key: str, value: Any) -> None:
    # The bucket's default encryption (SSE-KMS with the project key) applies: no header needed.
    body = json.dumps(value, separators=(",", ":")).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")
