"""SageMaker managed MLflow (context mlflowTracking): the App, its role, who may call it, the training jobs' config."""

from __future__ import annotations

import json

import pytest

from contract import stacks, tracking
from infra.constructs import functions as fns
from tests.infra.templates import render_tokens, resources, state_machine_definition, walk_states

APP = "AWS::SageMaker::MlflowApp"
MLFLOW_FUNCTIONS = {spec.name for spec in fns.MLFLOW_FUNCTIONS}


def _train(template) -> dict:
    return dict(walk_states(state_machine_definition(template, "TrainingStateMachine")))["Train"]["Parameters"]


def _functions(template) -> dict[str, dict]:
    """{contract function name: its Lambda resource}, by the handler it runs."""
    by_handler = {spec.function.handler: spec.name for spec in fns.ALL_FUNCTIONS}
    return {by_handler[r["Properties"]["Handler"]]: r for r in resources(template, "AWS::Lambda::Function").values()}


def _call_grants(template) -> list[tuple[str, dict]]:
    return [
        (lid, statement)
        for lid, policy in resources(template, "AWS::IAM::Policy").items()
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]
        if "sagemaker:CallMlflowAppApi" in json.dumps(statement["Action"])
    ]


def test_the_data_stack_holds_one_retained_app_whose_artifacts_are_the_buckets_mlflow_prefix(synthesized):
    ((app_id, app),) = resources(synthesized.data, APP).items()
    props = app["Properties"]
    assert props["Name"] == synthesized.config.project_tag
    assert render_tokens(props["ArtifactStoreUri"]).endswith("/" + tracking.ARTIFACTS_PREFIX)
    assert props["ModelRegistrationMode"] == "AutoModelRegistrationDisabled"
    assert app["DeletionPolicy"] == "RetainExceptOnCreate" and app["UpdateReplacePolicy"] == "Retain"
    outputs = synthesized.data["Outputs"]
    assert outputs[stacks.MLFLOW_ARN_OUTPUT]["Value"] == {"Fn::GetAtt": [app_id, "Arn"]}
    assert outputs[stacks.MLFLOW_UI_OUTPUT]["Value"] == {
        "Fn::Join": ["", ["https://mlflow.sagemaker.", {"Ref": "AWS::Region"}, ".app.aws"]]
    }


def test_the_apps_role_reaches_only_the_mlflow_prefix_and_the_key(synthesized):
    ((_, app),) = resources(synthesized.data, APP).items()
    role_id = app["Properties"]["RoleArn"]["Fn::GetAtt"][0]
    role = resources(synthesized.data, "AWS::IAM::Role")[role_id]
    assert "sagemaker.amazonaws.com" in json.dumps(role["Properties"]["AssumeRolePolicyDocument"])
    assert "ManagedPolicyArns" not in role["Properties"]
    (policy,) = [
        p
        for p in resources(synthesized.data, "AWS::IAM::Policy").values()
        if {"Ref": role_id} in p["Properties"]["Roles"]
    ]
    for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
        actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
        assert all(a.startswith(("s3:", "kms:")) for a in actions), actions
        if any(a.startswith("s3:") for a in actions):
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            assert {render_tokens(t).rsplit("}", 1)[-1] for t in targets} == {"", "/mlflow/*"}, targets


def test_only_the_functions_that_record_in_mlflow_and_the_jobs_may_call_the_app(synthesized):
    functions = _functions(synthesized.pipeline)
    for name, function in functions.items():
        env = function["Properties"]["Environment"]["Variables"]
        assert (tracking.TRACKING_URI_ENV in env) == (name in MLFLOW_FUNCTIONS), name
        if name in MLFLOW_FUNCTIONS:
            assert "MlflowApp" in json.dumps(env[tracking.TRACKING_URI_ENV])  # the data stack's App ARN
    grants = _call_grants(synthesized.pipeline)
    assert len(grants) == len(MLFLOW_FUNCTIONS) + 1  # and the SageMaker execution role (training jobs)
    for lid, statement in grants:
        assert statement["Action"] == "sagemaker:CallMlflowAppApi", lid
        assert "ImportValue" in json.dumps(statement["Resource"]) and "MlflowApp" in json.dumps(statement["Resource"])
    assert any(lid.startswith("SageMakerRole") for lid, _ in grants)


def test_training_jobs_carry_mlflow_config_and_the_environment_and_reach_the_network(synthesized):
    params = _train(synthesized.pipeline)
    config = params["MlflowConfig"]
    assert "MlflowApp" in json.dumps(config["MlflowResourceArn"])
    assert config["MlflowExperimentName.$"] == "$.experimentName"
    assert config["MlflowRunName.$"] == "$.trial.trialName"
    assert params["Environment"][f"{tracking.EXPERIMENT_NAME_ENV}.$"] == "$.experimentName"
    assert params["Environment"][f"{tracking.RUN_NAME_ENV}.$"] == "$.trial.trialName"
    assert params["Environment"][tracking.TRACKING_URI_ENV] == config["MlflowResourceArn"]
    # A job under network isolation could not reach the App, nor sign for it (no credentials).
    assert params["EnableNetworkIsolation"] is False


@pytest.fixture(scope="module")
def untracked(tmp_path_factory):
    from tests.infra.conftest import synthesize

    return synthesize(tmp_path_factory.mktemp("cdk.out"), mlflowTracking=False)


def test_switched_off_there_is_no_app_no_grant_and_the_jobs_stay_isolated(untracked):
    assert resources(untracked.data, APP) == {}
    assert stacks.MLFLOW_ARN_OUTPUT not in untracked.data["Outputs"]
    assert _call_grants(untracked.pipeline) == []
    for function in _functions(untracked.pipeline).values():
        assert tracking.TRACKING_URI_ENV not in function["Properties"]["Environment"]["Variables"]
    params = _train(untracked.pipeline)
    assert "MlflowConfig" not in params and "Environment" not in params
    assert params["EnableNetworkIsolation"] is True
