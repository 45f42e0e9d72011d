"""`start`'s capacity preflight: SageMaker instance quotas (the local cloud's Service Quotas) and Lambda concurrency."""

from __future__ import annotations

import json

import boto3

from local_cloud.servicequotas import quotas
from ops import capacity_preflight
from tests.cli import cloud

SPOT = "ml.m5.large for spot training job usage"  # cdk.json: ml.m5.large everywhere, spot training on
PROCESSING = "ml.m5.large for processing job usage"
TRANSFORM = "ml.m5.large for transform job usage"


def _quotas(monkeypatch, **values: float) -> None:
    names = {"spot": SPOT, "processing": PROCESSING, "transform": TRANSFORM}
    monkeypatch.setenv(quotas.QUOTAS_VARIABLE, json.dumps({names[k]: v for k, v in values.items()}))


def test_preflight_reports_each_quota_the_deployed_definition_draws_on(deployed, run_cli):
    result = run_cli("preflight", "--trials", "5")
    assert result.exit_code == 0, result.output
    # The local default (4 of each), against what the deployed definition asks: spot training (its
    # EnableManagedSpotTraining), 1 instance a job, MaxConcurrency 2 of the 5 trials at once.
    assert f"Preprocess: '{PROCESSING}' = 4, one job needs 1" in result.stdout
    assert f"Train: '{SPOT}' = 4, one job needs 1, 2 at once need 2" in result.stdout
    assert f"Transform: '{TRANSFORM}' = 4, one job needs 1" in result.stdout
    assert "Lambda: no function reserves concurrency" in result.stdout
    assert result.stdout.rstrip().endswith("preflight: OK")


def test_a_quota_below_the_trials_at_once_warns_and_starts(deployed, run_cli, monkeypatch):
    _quotas(monkeypatch, spot=1)
    result = run_cli("start", "--grid", "hidden_channels=2,5")
    assert result.exit_code == 0, result.output
    assert (
        f"Warning: Train: '{SPOT}' is 1, below the 2 instances 2 trials at once would use: at most 1 train at "
        "once, the others wait for a slot" in result.stderr
    )
    assert len(cloud.executions(deployed)) == 1


def test_a_quota_below_one_job_refuses_the_start_with_the_numbers(deployed, run_cli, monkeypatch):
    _quotas(monkeypatch, spot=0)
    result = run_cli("start", "--grid", "hidden_channels=2,5")
    assert result.exit_code == 1, result.output
    assert (
        f"Error: Train needs 1 x ml.m5.large per job but the account's quota '{SPOT}' is 0: every such job "
        "would fail with ResourceLimitExceeded" in result.stderr
    )
    assert "nothing was started" in result.stderr
    assert cloud.executions(deployed) == []


def test_every_job_kind_has_its_own_quota(deployed, run_cli, monkeypatch):
    _quotas(monkeypatch, transform=0, processing=0)
    result = run_cli("preflight")
    assert result.exit_code == 1
    assert f"Preprocess needs 1 x ml.m5.large per job but the account's quota '{PROCESSING}' is 0" in result.stderr
    assert f"Transform needs 1 x ml.m5.large per job but the account's quota '{TRANSFORM}' is 0" in result.stderr
    assert "Train" not in result.stderr.split("Error:")[1].split(";")[0]  # the spot quota (4) is fine
    monkeypatch.delenv(quotas.QUOTAS_VARIABLE)
    assert run_cli("start", "--grid", "hidden_channels=2", "--skip-preflight").exit_code == 0


def test_without_spot_the_on_demand_training_quota_is_checked(aws, app, run_cli, monkeypatch):
    definition = json.loads(json.dumps(app.training))
    train = definition["States"]["TrainTrials"]["ItemProcessor"]["States"]["Train"]["Parameters"]
    for key in ("EnableManagedSpotTraining", "CheckpointConfig"):
        train.pop(key)
    cloud.deploy(app, training_definition=definition)
    monkeypatch.setenv(quotas.QUOTAS_VARIABLE, json.dumps({SPOT: 0, "ml.m5.large for training job usage": 3}))
    result = run_cli("preflight", "--trials", "2")
    assert result.exit_code == 0, result.output
    assert "Train: 'ml.m5.large for training job usage' = 3, one job needs 1, 2 at once need 2" in result.stdout


def test_quotas_are_found_by_name_across_pages(aws):
    client = boto3.client("service-quotas", region_name=cloud.REGION)
    first = client.list_service_quotas(ServiceCode="sagemaker")
    assert len(first["Quotas"]) == 100 and "NextToken" in first  # ListServiceQuotas pages by at most 100
    names = {q["QuotaName"] for q in first["Quotas"]}
    late = sorted(quotas.sagemaker_quota_names())[-1]  # on the last page
    assert late not in names
    found = capacity_preflight.sagemaker_quotas(client, [late, SPOT, "ml.nonexistent for training job usage"])
    assert found == {late: 4.0, SPOT: 4.0}


def test_lambda_reservations_are_checked_against_the_account_quota(deployed, monkeypatch):
    lambda_client = boto3.client("lambda", region_name=cloud.REGION)
    names = sorted(deployed.function_names.values())
    for name in names:
        lambda_client.put_function_concurrency(FunctionName=name, ReservedConcurrentExecutions=1)
    settings = lambda_client.get_account_settings()["AccountLimit"]  # the local cloud's (moto has none)
    assert settings["ConcurrentExecutions"] == 1000
    assert settings["UnreservedConcurrentExecutions"] == 1000 - len(names)
    reserved = dict.fromkeys(names, 1)
    report = capacity_preflight.check_lambda_concurrency(lambda_client, reserved, trials_at_once=2)
    assert report.lines == [
        f"Lambda: OK: the stacks reserve {len(names)} executions ({len(names)} functions x 1); "
        f"ConcurrentExecutions = 1000, UnreservedConcurrentExecutions = {1000 - len(names)}, "
        f"{1000 - len(names)} left unreserved after the deploy (>= 100)."
    ]
    (warning,) = report.warnings
    assert warning.startswith(f"Lambda: {len(names)} functions reserve fewer executions than the 2 trials at once")
