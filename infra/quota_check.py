"""Before `cdk deploy`: does the account's Lambda concurrency quota hold the functions' reservations?

CDK-free (boto3 only): it reads the synthesized templates in a cloud assembly and asks Lambda.

    npx cdk synth --quiet && .venv/bin/python -m infra.quota_check cdk.out

Why: `lambdaReservedConcurrency` (null by default) reserves that many executions for each
function, and Lambda refuses a reservation that leaves fewer than 100 unreserved: "You can reserve
concurrency for as many functions as you like, as long as you leave at least 100 simultaneous
executions unreserved for functions that aren't configured with a per-function limit" (Lambda API
reference, PutFunctionConcurrency). New accounts get reduced quotas, so `AWS::Lambda::Function`
creation fails half-way through the pipeline stack. `GetAccountSettings` returns the quota
(`AccountLimit.ConcurrentExecutions`) and what is left of it: "UnreservedConcurrentExecutions: The
maximum number of simultaneous function executions, minus the capacity that's reserved for
individual functions with PutFunctionConcurrency" (Lambda API reference, AccountLimit).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Mapping
from pathlib import Path

# Lambda keeps this many executions unreserved (see the module docstring).
MIN_UNRESERVED = 100


class QuotaError(Exception):
    """The account cannot hold the reservations; the message names the numbers."""


def reservations_in_assembly(cdk_out: Path) -> dict[str, dict[str, int]]:
    """{stack name: {function logical id: ReservedConcurrentExecutions}} of a synthesized assembly,
    only functions that reserve; stacks without any are left out."""
    manifest = json.loads((Path(cdk_out) / "manifest.json").read_text())
    found: dict[str, dict[str, int]] = {}
    for artifact_id, artifact in sorted(manifest["artifacts"].items()):
        if artifact["type"] != "aws:cloudformation:stack":
            continue
        properties = artifact["properties"]
        template = json.loads((Path(cdk_out) / properties["templateFile"]).read_text())
        reserved = {
            logical_id: int(resource["Properties"]["ReservedConcurrentExecutions"])
            for logical_id, resource in template.get("Resources", {}).items()
            if resource["Type"] == "AWS::Lambda::Function"
            and "ReservedConcurrentExecutions" in resource.get("Properties", {})
        }
        if reserved:
            found[properties.get("stackName", artifact_id)] = reserved
    return found


def held_by_stack(cloudformation, lambda_client, stack_name: str) -> int:
    """What the stack's deployed functions reserve now (0 before the first deploy): on a redeploy
    those executions are already missing from UnreservedConcurrentExecutions."""
    from botocore.exceptions import ClientError

    held = 0
    try:
        for page in cloudformation.get_paginator("list_stack_resources").paginate(StackName=stack_name):
            for resource in page["StackResourceSummaries"]:
                if resource["ResourceType"] != "AWS::Lambda::Function" or not resource.get("PhysicalResourceId"):
                    continue
                concurrency = lambda_client.get_function_concurrency(FunctionName=resource["PhysicalResourceId"])
                held += concurrency.get("ReservedConcurrentExecutions", 0)
    except ClientError as error:
        if "does not exist" in str(error):  # ValidationError: Stack with id ... does not exist
            return 0
        raise
    return held


def check_concurrency(lambda_client, reservations: Mapping[str, int], *, already_held: int = 0) -> str:
    """Raises QuotaError unless the account can take `reservations` ({function: executions}) and
    keep MIN_UNRESERVED unreserved; `already_held`: what those functions reserve today."""
    wanted = sum(reservations.values())
    if not wanted:
        return "No function reserves concurrency (lambdaReservedConcurrency is null): nothing to check."
    limits = lambda_client.get_account_settings()["AccountLimit"]
    quota = limits["ConcurrentExecutions"]
    unreserved = limits["UnreservedConcurrentExecutions"]
    required_quota = wanted + MIN_UNRESERVED
    left = unreserved + already_held - wanted
    what = _describe(reservations)
    if quota < required_quota or left < MIN_UNRESERVED:
        raise QuotaError(
            f"Lambda concurrency quota too small: the stacks reserve {wanted} executions ({what}) and Lambda "
            f"keeps at least {MIN_UNRESERVED} unreserved, so the account needs ConcurrentExecutions >= "
            f"{required_quota} and UnreservedConcurrentExecutions >= {wanted - already_held + MIN_UNRESERVED}; "
            f"this account and region has ConcurrentExecutions = {quota}, UnreservedConcurrentExecutions = {unreserved}"
            + (f" ({already_held} of the reservation already held by the deployed functions)" if already_held else "")
            + f", which would leave {left} unreserved. Set lambdaReservedConcurrency to null (cdk.json or "
            "-c lambdaReservedConcurrency=null) or request more in Service Quotas "
            '(AWS Lambda, "Concurrent executions").'
        )
    return (
        f"OK: the stacks reserve {wanted} executions ({what}); ConcurrentExecutions = {quota}, "
        f"UnreservedConcurrentExecutions = {unreserved}, {left} left unreserved after the deploy (>= {MIN_UNRESERVED})."
    )


def _describe(reservations: Mapping[str, int]) -> str:
    values = set(reservations.values())
    if len(values) == 1:
        return f"{len(reservations)} functions x {values.pop()}"
    return ", ".join(f"{name} {n}" for name, n in sorted(reservations.items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m infra.quota_check", description=__doc__.splitlines()[0])
    parser.add_argument("cdk_out", nargs="?", default="cdk.out", help="the synthesized assembly (default: cdk.out)")
    parser.add_argument("--region", help="default: the AWS CLI/SDK configuration")
    args = parser.parse_args(argv)
    if not (Path(args.cdk_out) / "manifest.json").is_file():
        print(f"{args.cdk_out}/manifest.json not found: run `npx cdk synth --quiet` first", file=sys.stderr)
        return 2
    by_stack = reservations_in_assembly(Path(args.cdk_out))
    reservations = {f"{stack}/{fn}": n for stack, functions in by_stack.items() for fn, n in functions.items()}
    if not reservations:
        print(check_concurrency(None, {}))
        return 0
    import boto3

    session = boto3.Session(region_name=args.region)
    lambda_client = session.client("lambda")
    cloudformation = session.client("cloudformation")
    held = sum(held_by_stack(cloudformation, lambda_client, stack) for stack in by_stack)
    try:
        print(check_concurrency(lambda_client, reservations, already_held=held))
    except QuotaError as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
