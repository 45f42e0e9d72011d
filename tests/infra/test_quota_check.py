"""The pre-deploy Lambda concurrency check (infra/quota_check.py), against stubbed AWS answers."""

from __future__ import annotations

import json
import subprocess
import sys

import boto3
import pytest
from botocore.stub import Stubber

from infra import quota_check
from infra.quota_check import QuotaError, check_concurrency, held_by_stack, reservations_in_assembly

EIGHT_BY_FIVE = {f"ExperimentsPipeline/Function{i}": 5 for i in range(8)}


def _client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _lambda_with_limits(quota: int, unreserved: int):
    client = _client("lambda")
    stubber = Stubber(client)
    stubber.add_response(
        "get_account_settings",
        {"AccountLimit": {"ConcurrentExecutions": quota, "UnreservedConcurrentExecutions": unreserved}},
        {},
    )
    stubber.activate()
    return client, stubber


def test_a_new_account_quota_is_refused_with_the_numbers():
    client, stubber = _lambda_with_limits(quota=10, unreserved=10)
    with pytest.raises(QuotaError) as error:
        check_concurrency(client, EIGHT_BY_FIVE)
    message = str(error.value)
    assert "reserve 40 executions (8 functions x 5)" in message
    assert "at least 100 unreserved" in message
    assert "ConcurrentExecutions >= 140" in message
    assert "ConcurrentExecutions = 10, UnreservedConcurrentExecutions = 10" in message
    assert "lambdaReservedConcurrency" in message
    stubber.assert_no_pending_responses()


def test_exactly_100_left_unreserved_is_enough():
    client, _ = _lambda_with_limits(quota=140, unreserved=140)
    assert check_concurrency(client, EIGHT_BY_FIVE).startswith("OK: the stacks reserve 40 executions")


def test_other_functions_reservations_count():
    # Quota 1000, but other functions of the account already reserve 870 of it.
    client, _ = _lambda_with_limits(quota=1000, unreserved=130)
    with pytest.raises(QuotaError, match="UnreservedConcurrentExecutions >= 140.*would leave 90 unreserved"):
        check_concurrency(client, EIGHT_BY_FIVE)


def test_a_redeploy_counts_what_the_deployed_functions_already_hold():
    # The 40 are already reserved by the deployed functions: 100 unreserved is all there is to keep.
    client, _ = _lambda_with_limits(quota=140, unreserved=100)
    assert "100 left unreserved" in check_concurrency(client, EIGHT_BY_FIVE, already_held=40)


def test_no_reservation_needs_no_call():
    assert "nothing to check" in check_concurrency(None, {})


def test_held_by_stack_sums_the_deployed_functions_reservations():
    cloudformation, lambda_client = _client("cloudformation"), _client("lambda")
    cfn_stub, lambda_stub = Stubber(cloudformation), Stubber(lambda_client)
    summaries = [
        {
            "LogicalResourceId": f"Fn{i}",
            "PhysicalResourceId": f"fn-{i}",
            "ResourceType": "AWS::Lambda::Function",
            "LastUpdatedTimestamp": "2026-01-01T00:00:00Z",
            "ResourceStatus": "CREATE_COMPLETE",
        }
        for i in range(2)
    ]
    summaries.append({**summaries[0], "LogicalResourceId": "Role", "ResourceType": "AWS::IAM::Role"})
    cfn_stub.add_response("list_stack_resources", {"StackResourceSummaries": summaries}, {"StackName": "P"})
    lambda_stub.add_response("get_function_concurrency", {"ReservedConcurrentExecutions": 5}, {"FunctionName": "fn-0"})
    lambda_stub.add_response("get_function_concurrency", {}, {"FunctionName": "fn-1"})  # none reserved
    with cfn_stub, lambda_stub:
        assert held_by_stack(cloudformation, lambda_client, "P") == 5


def test_held_by_stack_is_zero_before_the_first_deploy():
    cloudformation = _client("cloudformation")
    stub = Stubber(cloudformation)
    stub.add_client_error(
        "list_stack_resources", "ValidationError", "Stack with id P does not exist", 400, {"StackName": "P"}
    )
    with stub:
        assert held_by_stack(cloudformation, None, "P") == 0


def _assembly(tmp_path, reserved):
    resources = {
        f"Fn{i}": {"Type": "AWS::Lambda::Function", "Properties": {"ReservedConcurrentExecutions": reserved}}
        for i in range(3)
    }
    resources["Other"] = {"Type": "AWS::IAM::Role", "Properties": {}}
    (tmp_path / "P.template.json").write_text(json.dumps({"Resources": resources}))
    (tmp_path / "D.template.json").write_text(json.dumps({"Resources": {}}))
    artifacts = {
        name: {"type": "aws:cloudformation:stack", "properties": {"templateFile": f"{name}.template.json"}}
        for name in ("P", "D")
    }
    artifacts["Tree"] = {"type": "cdk:tree", "properties": {"file": "tree.json"}}
    (tmp_path / "manifest.json").write_text(json.dumps({"artifacts": artifacts}))
    return tmp_path


def test_reservations_are_read_from_the_synthesized_templates(tmp_path):
    assert reservations_in_assembly(_assembly(tmp_path, 7)) == {"P": {"Fn0": 7, "Fn1": 7, "Fn2": 7}}


def test_cdk_json_defaults_reserve_nothing(synthesized):
    assert reservations_in_assembly(synthesized.outdir) == {}
    assert quota_check.main([str(synthesized.outdir)]) == 0


def test_the_module_needs_no_cdk():
    script = "import sys, infra.quota_check; assert not [m for m in sys.modules if m.startswith(('aws_cdk', 'jsii'))]"
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
