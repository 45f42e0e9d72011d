"""`cleanup` asks first, then reports what the cleanup state machine deleted; and the one-line errors."""

from __future__ import annotations

import json

import boto3
import pytest

from contract import functions as contract_functions
from contract import stacks, states
from local_cloud import experiments
from ops import deployment
from tests.cli import cloud

# The records one run leaves (cloud.RECORDED_INPUT): 5 trials; the preprocessing component in each
# of them, a training component in each, the transform component in the best one.
TRIALS = len(cloud.HIDDEN_CHANNELS)
ASSOCIATIONS = TRIALS + TRIALS + 1
COMPONENTS = 1 + TRIALS + 1
# Each context.get_remaining_time_in_millis() of the cleanup function spends this much of its
# 300 s (90 s kept as margin): a pass stops about half way, as a pass that runs out of time does.
CLEANUP_SECONDS_PER_CLOCK_READ = 12.0


def _cleanup_executions(deployment: cloud.Deployment) -> list[dict]:
    sfn = boto3.client("stepfunctions", region_name=cloud.REGION)
    return sfn.list_executions(stateMachineArn=deployment[stacks.CLEANUP_STATE_MACHINE_OUTPUT])["executions"]


def test_cleanup_refuses_without_confirmation_when_nobody_can_answer(recorded, run_cli):
    result = run_cli("cleanup", cloud.EXPERIMENT)  # no stdin

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines()[-1] == (
        "Error: not deleting mnist-cnn without confirmation: answer the prompt or pass --yes"
    )
    assert _cleanup_executions(recorded.deployment) == []


def test_cleanup_answered_no_deletes_nothing(recorded, run_cli):
    result = run_cli("cleanup", cloud.EXPERIMENT, input="n\n")

    assert result.exit_code == 1
    assert "Delete experiment mnist-cnn, its trials and trial components (5 trials)?" in result.stderr
    assert _cleanup_executions(recorded.deployment) == []


def test_cleanup_with_yes_starts_the_state_machine_and_reports_deleted_counts(recorded, run_cli, lambdas):
    lambdas.clock_speed[contract_functions.CLEANUP_EXPERIMENT.name] = CLEANUP_SECONDS_PER_CLOCK_READ

    result = run_cli("cleanup", cloud.EXPERIMENT, "--yes", "--keep-components", "--interval", "0.05")

    assert result.exit_code == 0, result.output
    [execution] = _cleanup_executions(recorded.deployment)
    sfn = boto3.client("stepfunctions", region_name=cloud.REGION)
    sent = json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])
    assert sent == {"experimentName": "mnist-cnn", "keepComponents": True}
    assert f"Started cleanup {execution['name']}" in result.stdout
    passes = lambdas.invocations.count(contract_functions.CLEANUP_EXPERIMENT.name)
    assert passes == 2  # the first ran out of time, the second finished
    # Progress: every pass of the state machine, the last one's counts.
    assert (
        f"{states.DELETED}: {passes} passes, deleted so far: associations {ASSOCIATIONS}, trialComponents 0, "
        f"trials {TRIALS}, experiment 1"
    ) in result.stdout
    for line in (
        f"deleted associations       │ {ASSOCIATIONS:>5}",
        "deleted trialComponents    │     0",
        f"deleted trials             │ {TRIALS:>5}",
        "deleted experiment         │     1",
        f"kept keptTrialComponents   │ {COMPONENTS:>5}",
    ):
        assert line in result.stdout


def test_cleanup_deletes_the_components_unless_kept(recorded, run_cli):
    result = run_cli("cleanup", cloud.EXPERIMENT, "--yes", "--interval", "0.05")

    assert result.exit_code == 0, result.output
    assert f"deleted trialComponents    │ {COMPONENTS:>5}" in result.stdout
    assert boto3.client("sagemaker", region_name=cloud.REGION).list_trial_components()["TrialComponentSummaries"] == []


def test_cleanup_confirmed_on_the_prompt_runs(recorded, run_cli):
    result = run_cli("cleanup", cloud.EXPERIMENT, "--interval", "0", input="y\n")
    assert result.exit_code == 0, result.output
    assert len(_cleanup_executions(recorded.deployment)) == 1


def test_cleanup_of_an_unknown_experiment_is_one_line(deployed, run_cli):
    result = run_cli("cleanup", "ghost", "--yes")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: experiment ghost not found (list them with `python -m ops experiments`)"
    ]
    assert _cleanup_executions(deployed) == []


@pytest.mark.parametrize(
    "command",
    [
        ["start", "--grid", "hidden_channels=2"],
        ["watch", "some-execution"],
        ["cleanup", "mnist-cnn", "--yes"],
    ],
)
def test_commands_needing_the_stacks_say_when_they_are_not_deployed(aws, run_cli, command):
    result = run_cli(*command)

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: stack ExperimentsPipeline is not deployed in us-east-1: run `cdk deploy --all` "
        "(or pass the --stack-prefix it was deployed with)"
    ]


def test_stack_prefix_and_region_choose_the_stacks(aws, app, run_cli):
    cloud.deploy(app, prefix="Team")

    assert (
        run_cli("--stack-prefix", "Team", "start", "--experiment", "e1", "--grid", "hidden_channels=2").exit_code == 0
    )
    other_region = run_cli("--region", "eu-west-1", "--stack-prefix", "Team", "watch", "x")
    assert other_region.stderr.startswith("Error: stack TeamPipeline is not deployed in eu-west-1")


def test_no_credentials_is_one_line(aws, run_cli, monkeypatch, tmp_path):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", raising=False)
    monkeypatch.delenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", raising=False)

    result = run_cli("experiments")

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: no AWS credentials found: set AWS_PROFILE (or AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY), "
        "or run `aws configure` / `aws sso login`"
    ]


def test_no_region_is_one_line(aws, run_cli, monkeypatch, tmp_path):
    monkeypatch.delenv("AWS_DEFAULT_REGION")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))

    result = run_cli("experiments")

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: no AWS region configured: pass --region or set AWS_DEFAULT_REGION"
    ]


def test_throttling_is_retried_then_reported_in_one_line(recorded, run_cli, monkeypatch):
    backend = experiments.backend_for(cloud.ACCOUNT, cloud.REGION)
    monkeypatch.setattr(deployment, "MAX_RETRIES", 2)  # keep the back-off short

    backend.inject_throttling(0.999, actions=["DescribeExperiment"])
    result = run_cli("compare", cloud.EXPERIMENT)

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: AWS kept throttling DescribeExperiment (ThrottlingException) after 2 retries: "
        "wait a minute and run the command again"
    ]
    assert backend.throttled["DescribeExperiment"] == 3  # every attempt was made


def test_occasional_throttling_is_absorbed_by_the_retries(recorded, run_cli, monkeypatch):
    # The outcome of retried throttling, not botocore's clock: no back-off waits, no rate limiting.
    from botocore.retries import bucket, standard

    monkeypatch.setattr(standard.ExponentialBackoff, "delay_amount", lambda self, context: 0.0)
    monkeypatch.setattr(bucket.TokenBucket, "acquire", lambda self, amount=1, block=True: True)
    backend = experiments.backend_for(cloud.ACCOUNT, cloud.REGION)
    backend.inject_throttling(0.3, seed=7)

    result = run_cli("compare", cloud.EXPERIMENT)

    assert result.exit_code == 0, result.output
    assert sum(backend.throttled.values()) > 0
    assert len([line for line in result.stdout.splitlines() if "-trial-" in line]) == TRIALS


def test_unreachable_endpoint_is_one_line(aws, run_cli, monkeypatch):
    monkeypatch.setattr(deployment, "MAX_RETRIES", 0)
    # moto lets unknown hosts through to the network; port 9 on localhost refuses at once.
    result = run_cli("--endpoint-url", "http://localhost:9", "experiments")
    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: cannot reach the AWS endpoint http://localhost:9/: check --endpoint-url / AWS_ENDPOINT_URL "
        "(is the local cloud running?)"
    ]


@pytest.mark.parametrize(
    "global_flags, environment, expected",
    [
        (
            ["--endpoint-url", "notaurl"],
            {},
            "Error: Invalid endpoint: notaurl: give a URL such as http://localhost:PORT "
            "(--endpoint-url or AWS_ENDPOINT_URL)",
        ),
        (
            [],
            {"AWS_ENDPOINT_URL": "notaurl"},
            "Error: Invalid endpoint: notaurl: give a URL such as "
            "http://localhost:PORT (--endpoint-url or AWS_ENDPOINT_URL)",
        ),
        (
            [],
            {"AWS_PROFILE": "no-such-profile"},
            "Error: AWS profile no-such-profile not found: check AWS_PROFILE "
            "(`aws configure list-profiles` lists them)",
        ),
        (
            ["--region", "bad region!"],
            {},
            "Error: Provided region_name 'bad region!' doesn't match a supported format: "
            "pass --region with a region name such as us-east-1",
        ),
    ],
)
def test_bad_aws_configuration_is_one_line(aws, run_cli, monkeypatch, tmp_path, global_flags, environment, expected):
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    for name, value in environment.items():
        monkeypatch.setenv(name, value)

    result = run_cli(*global_flags, "experiments")

    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [expected]
    assert "Traceback" not in result.output


def test_any_other_sdk_failure_is_one_line(recorded, run_cli, monkeypatch):
    from botocore.exceptions import ReadTimeoutError

    def time_out(*args, **kwargs):
        raise ReadTimeoutError(endpoint_url="https://api.sagemaker.us-east-1.amazonaws.com/")

    monkeypatch.setattr("ops.experiment_records.describe_experiment", time_out)
    result = run_cli("compare", cloud.EXPERIMENT)

    assert result.exit_code == 1, result.output
    assert result.stderr.strip().splitlines() == [
        "Error: AWS SDK error (ReadTimeoutError): Read timeout on endpoint URL: "
        '"https://api.sagemaker.us-east-1.amazonaws.com/"'
    ]
