"""The stacks deployed on one local cloud, shared by the end-to-end modules of group E2E_GROUP.

xdist's loadgroup sends every test of a group to one worker, so the session-scoped `deployed` is
deployed once per run for all of them.
"""

import json
import time

import pytest

from local_cloud.cloud import LocalCloud
from local_cloud.demo import upload_sample_dataset
from local_cloud.deploy import deploy
from tests.sweep_output import output_with_outcomes

E2E_GROUP = "local-cloud-e2e"


class Deployed:
    def __init__(self, cloud: LocalCloud, outputs: dict) -> None:
        self.cloud = cloud
        pipeline = outputs["ExperimentsPipeline"]
        self.bucket = pipeline["BucketName"]
        self.training = pipeline["TrainingStateMachineArn"]
        self.cleanup = pipeline["CleanupStateMachineArn"]
        self.sfn = cloud.client("stepfunctions")
        self.sagemaker = cloud.client("sagemaker")
        self.s3 = cloud.client("s3")

    def run(self, state_machine: str, execution_input: dict, name: str, timeout_s: float = 240) -> dict:
        arn = self.sfn.start_execution(stateMachineArn=state_machine, name=name, input=json.dumps(execution_input))[
            "executionArn"
        ]
        return self.wait(arn, timeout_s)

    def wait(self, arn: str, timeout_s: float = 240) -> dict:
        """DescribeExecution once the execution has ended, with its history."""
        deadline = time.monotonic() + timeout_s
        while (described := self.sfn.describe_execution(executionArn=arn))["status"] == "RUNNING":
            assert time.monotonic() < deadline, f"{arn} still running after {timeout_s} s"
            time.sleep(1)
        described["history"] = self.sfn.get_execution_history(executionArn=arn, maxResults=1000)["events"]
        return described

    def output(self, described: dict) -> dict:
        """tests/sweep_output.py's, on the local cloud's S3."""
        return output_with_outcomes(self.s3, described)

    def keys(self, prefix: str) -> list[str]:
        pages = self.s3.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=prefix)
        return [item["Key"] for page in pages for item in page.get("Contents", [])]

    def components(self, experiment: str) -> dict[str, dict]:
        """{trial name: {component display name: DescribeTrialComponent}} as the notebook's analytics see it."""
        view = {}
        for trial in self.sagemaker.list_trials(ExperimentName=experiment, MaxResults=100)["TrialSummaries"]:
            summaries = self.sagemaker.list_trial_components(TrialName=trial["TrialName"], MaxResults=100)[
                "TrialComponentSummaries"
            ]
            view[trial["TrialName"]] = {
                s["DisplayName"]: self.sagemaker.describe_trial_component(TrialComponentName=s["TrialComponentName"])
                for s in summaries
            }
        return view


@pytest.fixture(scope="session")
def deployed(tmp_path_factory):
    with LocalCloud(tmp_path_factory.mktemp("local-cloud")) as cloud:
        stacks = Deployed(cloud, deploy(cloud.endpoint_url, work_dir=cloud.run_dir))
        upload_sample_dataset(cloud, stacks.bucket)
        yield stacks
