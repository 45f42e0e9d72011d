"""Reads a finished training execution's outcomes file: every trial's outcome, from the output's pointer."""

from __future__ import annotations

import json

from botocore.exceptions import ClientError

from contract.layout import split_s3_uri
from ops.errors import OperatorError


def outcomes_of(s3, description: dict) -> dict:
    """The outcomes file (contract.events.SweepOutcomes, as JSON) that a SUCCEEDED execution's output
    points at (`outcomes.s3Uri`): `trials` in the sweep's order, `unrecorded`."""
    output = json.loads(description.get("output") or "{}")
    uri = (output.get("outcomes") or {}).get("s3Uri") or ""
    try:
        bucket, key = split_s3_uri(uri)
    except ValueError:
        raise OperatorError(f"execution {description.get('name', '?')}: its output names no outcomes file") from None
    try:
        return json.loads(s3.get_object(Bucket=bucket, Key=key)["Body"].read())
    except ClientError as error:
        code = error.response.get("Error", {}).get("Code", "")
        raise OperatorError(
            f"execution {description.get('name', '?')}: cannot read its outcomes {uri} ({code})"
        ) from None
