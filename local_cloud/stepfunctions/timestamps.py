"""Timestamps in a task's result, as each Step Functions integration writes them into the state.

moto's interpreter puts boto3's `datetime` objects on the state as they are; AWS writes numbers or
strings, and an intrinsic such as `States.JsonToString` fails on a `datetime` (TypeError) where AWS
succeeds. The two integrations differ:

- a `.sync` SageMaker job's result (and the Describe*Job JSON in a failed one's cause): epoch
  milliseconds;
- an AWS SDK task (`aws-sdk:<service>:<action>`): ISO 8601 strings, e.g. `"CreationTime":
  "2013-08-23T01:02:15.422Z"` (an execution's output quoted in sam-goodwin/functionless issue #489).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any


def to_state_json(description: dict) -> dict:
    """A Describe*Job response as the `.sync` integration passes it on: timestamps in epoch milliseconds."""
    return _map_timestamps(description, lambda value: int(value.timestamp() * 1000))


def to_sdk_json(value: Any) -> Any:
    """A boto3 response as an AWS SDK task's result: every timestamp an ISO 8601 UTC string (ms, "Z")."""
    return _map_timestamps(value, _iso8601)


def _iso8601(value: dt.datetime) -> str:
    utc = value.astimezone(dt.UTC) if value.tzinfo else value.replace(tzinfo=dt.UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def _map_timestamps(value: Any, render: Callable[[dt.datetime], Any]) -> Any:
    if isinstance(value, dt.datetime):
        return render(value)
    if isinstance(value, dict):
        return {k: _map_timestamps(v, render) for k, v in value.items()}
    if isinstance(value, list):
        return [_map_timestamps(v, render) for v in value]
    return value
