"""A finished training execution's output with its outcomes file read in: what the CLI and e2e tests check."""

from __future__ import annotations

import json

from ops.sweep_outcomes import outcomes_of


def output_with_outcomes(s3, description: dict) -> dict:
    """A SUCCEEDED execution's output with its outcomes file read in (`trials`, `unrecorded`): the
    output itself carries the file's pointer and counts only, and they must agree with the file."""
    output = json.loads(description["output"])
    outcomes = outcomes_of(s3, description)
    counts = output["outcomes"]
    assert counts["trials"] == len(outcomes["trials"]) and counts["unrecorded"] == len(outcomes["unrecorded"])
    return {**output, "trials": outcomes["trials"], "unrecorded": outcomes["unrecorded"]}
