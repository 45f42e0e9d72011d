"""A Distributed Map on the local cloud: items read from S3, children run, their results written to S3."""

import json
import time
from typing import Any

import boto3
import pytest
from moto import mock_aws

from local_cloud import plug
from local_cloud.runtime import LocalRuntime

BUCKET = "sweep-bucket"
ROLE = "arn:aws:iam::123456789012:role/states"
ITEMS = [{"trial": f"t{i}", "hidden_channels": c} for i, c in enumerate([2, 5, 10, 20, 32], start=1)]
DEFINITION = {
    "StartAt": "Trials",
    "States": {
        "Trials": {
            "Type": "Map",
            "ItemReader": {
                "Resource": "arn:aws:states:::s3:getObject",
                "ReaderConfig": {"InputType": "JSON"},
                "Parameters": {"Bucket": BUCKET, "Key": "plan/trials.json"},
            },
            "ItemProcessor": {
                "ProcessorConfig": {"Mode": "DISTRIBUTED", "ExecutionType": "STANDARD"},
                "StartAt": "Result",
                "States": {
                    "Result": {
                        "Type": "Pass",
                        "Parameters": {"trialName.$": "$.trial", "channels.$": "$.hidden_channels"},
                        "End": True,
                    }
                },
            },
            "MaxConcurrency": 2,
            "ResultWriter": {
                "Resource": "arn:aws:states:::s3:putObject",
                "Parameters": {"Bucket": BUCKET, "Prefix": "results"},
            },
            "End": True,
        }
    },
}


def run_sweep(definition: dict = DEFINITION) -> tuple[dict, Any]:
    """The state machine created and executed on the items in S3, to its end: (DescribeExecution, s3 client)."""
    s3 = boto3.client("s3", region_name="us-east-1")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="plan/trials.json", Body=json.dumps(ITEMS).encode())
    machine = sfn.create_state_machine(name="sweep", definition=json.dumps(definition), roleArn=ROLE)
    execution = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], input="{}")["executionArn"]
    deadline = time.monotonic() + 30
    while (described := sfn.describe_execution(executionArn=execution))["status"] == "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return described, s3


@pytest.fixture
def aws(tmp_path):
    plug.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        plug.use_runtime(LocalRuntime(run_dir=tmp_path, endpoint_url=None, region="us-east-1"))
        try:
            yield
        finally:
            plug.restore_moto()


def test_the_children_results_are_written_to_s3_with_a_manifest_listing_them(aws):
    described, s3 = run_sweep()
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    execution = described["executionArn"]

    assert described["status"] == "SUCCEEDED", described
    output = json.loads(described["output"])  # the Map's result: where the results are, not the results
    details = output["ResultWriterDetails"]
    assert details["Bucket"] == BUCKET and details["Key"].startswith("results/")
    assert details["Key"].endswith("/manifest.json") and output["MapRunArn"].split(":")[-1] in details["Key"]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=details["Key"])["Body"].read())
    (results_file,) = manifest["ResultFiles"]["SUCCEEDED"]
    assert manifest["ResultFiles"]["FAILED"] == [] and manifest["MapRunArn"] == output["MapRunArn"]
    body = s3.get_object(Bucket=BUCKET, Key=results_file["Key"])["Body"].read()
    assert results_file["Size"] == len(body) and results_file["Key"].endswith("/SUCCEEDED_0.json")
    children = json.loads(body)
    assert [json.loads(child["Output"]) for child in children] == [
        {"trialName": item["trial"], "channels": item["hidden_channels"]} for item in ITEMS
    ]
    assert [json.loads(child["Input"]) for child in children] == ITEMS
    # A child is an execution of the Map Run's state machine (moto names the run `sweep/<uuid>` where AWS
    # writes `sweep/<Label or state name>`).
    assert all(child["Status"] == "SUCCEEDED" and ":execution:sweep/" in child["ExecutionArn"] for child in children)
    # The Map Run's own counts, which a watcher reads instead of the children's histories.
    (map_run,) = sfn.list_map_runs(executionArn=execution)["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["itemCounts"]
    assert counts["total"] == len(ITEMS) and counts["succeeded"] == len(ITEMS)


def test_moto_alone_writes_no_result_files(tmp_path):
    """Why the plug point exists: without it the results are lost (restore_moto puts moto's back)."""
    plug.install()
    with mock_aws(config={"stepfunctions": {"execute_state_machine": True}}):
        _, s3 = run_sweep()
        keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="results/").get("Contents", [])]
        assert len(keys) == 1 and keys[0].endswith("/manifest.json")


def with_failures(tolerated: int) -> dict:
    """DEFINITION whose children fail for 10 and 20 hidden channels (a Fail state), tolerating `tolerated`."""
    definition = json.loads(json.dumps(DEFINITION))
    trials = definition["States"]["Trials"]
    trials["ToleratedFailureCount"] = tolerated
    trials["ItemProcessor"]["StartAt"] = "Wide?"
    trials["ItemProcessor"]["States"] |= {
        "Wide?": {
            "Type": "Choice",
            "Choices": [
                {"Or": [{"Variable": "$.hidden_channels", "NumericEquals": c} for c in (10, 20)], "Next": "Refused"}
            ],
            "Default": "Result",
        },
        "Refused": {"Type": "Fail", "Error": "TooWide", "Cause": "no room for that many channels"},
    }
    return definition


def test_each_item_is_a_child_execution_with_its_own_history(aws):
    described, _ = run_sweep()
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    (map_run,) = sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"]

    children = sfn.list_executions(mapRunArn=map_run["mapRunArn"])["executions"]

    assert len(children) == len(ITEMS) and {c["status"] for c in children} == {"SUCCEEDED"}
    child = sfn.describe_execution(executionArn=children[0]["executionArn"])
    assert child["mapRunArn"] == map_run["mapRunArn"] and ":execution:sweep/" in child["executionArn"]
    item = json.loads(child["input"])
    assert json.loads(child["output"]) == {"trialName": item["trial"], "channels": item["hidden_channels"]}
    history = sfn.get_execution_history(executionArn=child["executionArn"])["events"]
    assert [e["type"] for e in history] == [
        "ExecutionStarted",
        "PassStateEntered",
        "PassStateExited",
        "ExecutionSucceeded",
    ]
    assert [e["id"] for e in history] == [1, 2, 3, 4]
    # The parent's history has the Map Run's events, none of its children's states.
    parent = sfn.get_execution_history(executionArn=described["executionArn"])["events"]
    assert "MapRunStarted" in {e["type"] for e in parent}
    assert not [e for e in parent if (e.get("stateEnteredEventDetails") or {}).get("name") == "Result"]


def test_failed_children_within_the_tolerated_count_are_written_to_the_failed_file(aws):
    described, s3 = run_sweep(with_failures(tolerated=2))
    sfn = boto3.client("stepfunctions", region_name="us-east-1")

    assert described["status"] == "SUCCEEDED", described
    manifest_key = json.loads(described["output"])["ResultWriterDetails"]["Key"]
    manifest = json.loads(s3.get_object(Bucket=BUCKET, Key=manifest_key)["Body"].read())
    (failed_file,) = manifest["ResultFiles"]["FAILED"]
    failed = json.loads(s3.get_object(Bucket=BUCKET, Key=failed_file["Key"])["Body"].read())
    assert [json.loads(f["Input"])["hidden_channels"] for f in failed] == [10, 20]
    assert {(f["Status"], f["Error"], f["Cause"]) for f in failed} == {
        ("FAILED", "TooWide", "no room for that many channels")
    }
    (succeeded_file,) = manifest["ResultFiles"]["SUCCEEDED"]
    assert len(json.loads(s3.get_object(Bucket=BUCKET, Key=succeeded_file["Key"])["Body"].read())) == 3
    (map_run,) = sfn.list_map_runs(executionArn=described["executionArn"])["mapRuns"]
    counts = sfn.describe_map_run(mapRunArn=map_run["mapRunArn"])["executionCounts"]
    assert (counts["succeeded"], counts["failed"], counts["running"]) == (3, 2, 0)
    listed = sfn.list_executions(mapRunArn=map_run["mapRunArn"], statusFilter="FAILED")["executions"]
    child = sfn.describe_execution(executionArn=listed[0]["executionArn"])
    assert (child["status"], child["error"], child["cause"]) == ("FAILED", "TooWide", "no room for that many channels")
    assert sfn.get_execution_history(executionArn=child["executionArn"])["events"][-1]["type"] == "ExecutionFailed"


def test_more_failed_children_than_tolerated_fail_the_map_run(aws):
    described, _ = run_sweep(with_failures(tolerated=1))

    assert described["status"] == "FAILED"
    assert described["error"] == "States.ExceedToleratedFailureThreshold"
    assert "2 of 5 child executions failed" in described["cause"]
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    events = sfn.get_execution_history(executionArn=described["executionArn"])["events"]
    assert "MapRunFailed" in {e["type"] for e in events}


@pytest.mark.parametrize(
    "failed, total, count, percentage, fails",
    [
        (0, 5, 0, 0, False),
        (1, 5, 0, 0, True),  # neither threshold set: none tolerated
        (2, 5, 2, 0, False),
        (3, 5, 2, 0, True),
        (2, 5, 0, 40.0, False),
        (3, 5, 0, 40.0, True),
        (3, 5, 300, 40.0, True),  # each threshold that is set can fail it
    ],
)
def test_the_failure_threshold(failed, total, count, percentage, fails):
    from local_cloud.stepfunctions.map_run_children import exceeds

    assert exceeds(failed, total, count, percentage) is fails
