"""The functions' settings from their environment (infra/constructs/functions.py sets them), read once."""

from __future__ import annotations

import os
from dataclasses import dataclass


class FunctionMisconfigured(Exception):
    """The function's environment lacks a setting or holds a bad one: a deployment fault, not the user's input."""


@dataclass(frozen=True)
class FunctionSettings:
    bucket_name: str
    max_trials: int

    @classmethod
    def from_environment(cls, environ: dict[str, str] | None = None) -> FunctionSettings:
        env = os.environ if environ is None else environ
        bucket = env.get("BUCKET_NAME", "")
        if not bucket:
            raise FunctionMisconfigured("BUCKET_NAME: not set in the function's environment")
        raw = env.get("MAX_TRIALS", "")
        try:
            max_trials = int(raw)
        except ValueError:
            raise FunctionMisconfigured(f"MAX_TRIALS: must be a positive integer, got {raw!r}") from None
        if max_trials < 1:
            raise FunctionMisconfigured(f"MAX_TRIALS: must be a positive integer, got {raw!r}")
        return cls(bucket_name=bucket, max_trials=max_trials)
