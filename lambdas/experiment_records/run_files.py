"""Reads and writes a run's JSON files in the bucket: the plan's trials, the Map Run's results, the outcomes."""

from __future__ import annotations

import json
from typing import Any

from contract import schema
from contract.run_plan import TrialPlan, TrialsFile


def get_json(s3, bucket: str, key: str) -> Any:
    return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())


def put_json(s3, bucket: str, key: str, value: Any) -> None:
    # The bucket's default encryption (SSE-KMS with the project key) applies: no header needed.
    body = json.dumps(value, separators=(",", ":")).encode()
    s3.put_object(Bucket=bucket, Key=key, Body=body, ContentType="application/json")


def read_trials(s3, trials: TrialsFile) -> list[TrialPlan]:
    """The plan's trials, as ValidateInput wrote them."""
    return schema.parse(list[TrialPlan], get_json(s3, trials.bucket, trials.key), "trials file")
