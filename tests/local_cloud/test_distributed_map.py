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


def run_sweep() -> tuple[dict, Any]:
    """The state machine created and executed on the items in S3, to its end: (DescribeExecution, s3 client)."""
    s3 = boto3.client("s3", region_name="us-east-1")
    sfn = boto3.client("stepfunctions", region_name="us-east-1")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="plan/trials.json", Body=json.dumps(ITEMS).encode())
    machine = sfn.create_state_machine(name="sweep", definition=json.dumps(DEFINITION), roleArn=ROLE)
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
