"""The pipeline stack: least-privilege IAM, the Lambdas' wiring, outputs."""

import json

from tests.infra.templates import render_tokens, resources


def _statements(template):
    for lid, policy in resources(template, "AWS::IAM::Policy").items():
        for statement in policy["Properties"]["PolicyDocument"]["Statement"]:
            actions = statement["Action"] if isinstance(statement["Action"], list) else [statement["Action"]]
            yield lid, statement, actions


def test_no_managed_full_access_policy_anywhere(synthesized):
    for template in synthesized.templates.values():
        for role in resources(template, "AWS::IAM::Role").values():
            assert "FullAccess" not in json.dumps(role["Properties"].get("ManagedPolicyArns", []))
        assert "FullAccess" not in json.dumps(template)


def test_pass_role_only_on_the_sagemaker_role_only_to_sagemaker(synthesized):
    (sagemaker_role,) = [
        lid
        for lid, r in resources(synthesized.pipeline, "AWS::IAM::Role").items()
        if "sagemaker.amazonaws.com" in json.dumps(r["Properties"]["AssumeRolePolicyDocument"])
    ]
    passes = [s for _, s, actions in _statements(synthesized.pipeline) if "iam:PassRole" in actions]
    assert passes
    for statement in passes:
        assert statement["Resource"] == {"Fn::GetAtt": [sagemaker_role, "Arn"]}
        assert statement["Condition"] == {"StringEquals": {"iam:PassedToService": "sagemaker.amazonaws.com"}}
    assert not any(
        a == "*" or a.startswith("iam:*") for _, _, actions in _statements(synthesized.pipeline) for a in actions
    )


def test_sagemaker_role_s3_access_is_scoped_to_the_bucket_prefixes(synthesized):
    bucket = "arn:${AWS::Partition}:s3:::" + synthesized.config.project_tag + "-${AWS::AccountId}-${AWS::Region}"
    allowed = {bucket, bucket + "/datasets/*", bucket + "/runs/*"}
    s3_targets = set()
    for lid, statement, actions in _statements(synthesized.pipeline):
        if lid.startswith("SageMakerRoleDefaultPolicy") and any(a.startswith("s3:") for a in actions):
            targets = statement["Resource"] if isinstance(statement["Resource"], list) else [statement["Resource"]]
            s3_targets |= {render_tokens(t) for t in targets}
    assert s3_targets == allowed


def test_every_function_has_own_role_log_retention_tracing_and_no_reservation_by_default(synthesized):
    functions = resources(synthesized.pipeline, "AWS::Lambda::Function")
    assert len(functions) == 8
    roles = {json.dumps(f["Properties"]["Role"]) for f in functions.values()}
    assert len(roles) == 8
    log_groups = resources(synthesized.pipeline, "AWS::Logs::LogGroup")
    for function in functions.values():
        props = function["Properties"]
        assert props["TracingConfig"] == {"Mode": "Active"}
        # Opt-in (lambdaReservedConcurrency): a reservation needs an account quota of 100 + 8 x n.
        assert "ReservedConcurrentExecutions" not in props
        assert "Layers" not in props  # Powertools is in the code package
        assert props["Runtime"].startswith("python3.")
        assert props["Handler"].startswith("lambdas.") and props["Handler"].endswith(".handler.handler")
        group = log_groups[props["LoggingConfig"]["LogGroup"]["Ref"]]
        assert group["Properties"]["RetentionInDays"] == 30
        assert "KmsKeyId" in group["Properties"]


def test_function_code_asset_holds_lambdas_the_contract_and_the_pinned_wheels(synthesized):
    (asset_dir,) = {d for d in synthesized.outdir.glob("asset.*") if (d / "lambdas").exists()}
    top = sorted(p.name for p in asset_dir.iterdir())
    assert top == [
        "aws_lambda_powertools",
        "aws_lambda_powertools-3.37.0.dist-info",
        "contract",
        "jmespath",
        "jmespath-1.1.0.dist-info",
        "lambdas",
        "typing_extensions-4.16.0.dist-info",
        "typing_extensions.py",
    ]
    assert (asset_dir / "contract" / "__init__.py").is_file()
    assert not list(asset_dir.rglob("__pycache__"))


def test_state_machines_log_everything_encrypted_and_trace(synthesized):
    machines = resources(synthesized.pipeline, "AWS::StepFunctions::StateMachine")
    assert len(machines) == 2
    log_groups = resources(synthesized.pipeline, "AWS::Logs::LogGroup")
    for machine in machines.values():
        props = machine["Properties"]
        assert props["TracingConfiguration"] == {"Enabled": True}
        logging = props["LoggingConfiguration"]
        assert logging["Level"] == "ALL" and logging["IncludeExecutionData"] is True
        group_id = logging["Destinations"][0]["CloudWatchLogsLogGroup"]["LogGroupArn"]["Fn::GetAtt"][0]
        assert "KmsKeyId" in log_groups[group_id]["Properties"]


def test_outputs_name_everything_the_cli_needs(synthesized):
    assert set(synthesized.data["Outputs"]) >= {"BucketName", "KeyArn", "RepositoryName", "RepositoryUri"}
    assert set(synthesized.pipeline["Outputs"]) >= {
        "BucketName",
        "SageMakerRoleArn",
        "TrainingStateMachineArn",
        "CleanupStateMachineArn",
        "JobsImageUri",
    }


def _camel(operation: str) -> str:
    return "".join(part.capitalize() for part in operation.split("_"))


def test_the_cleanup_role_allows_every_call_the_cleanup_makes_on_resources_that_work(synthesized):
    import re
    from pathlib import Path

    records = (Path(__file__).resolve().parents[2] / "lambdas" / "experiment_records" / "records.py").read_text()
    called = {
        f"sagemaker:{_camel(op)}" for op in set(re.findall(r"self\.client\.([a-z_]+)", records)) - {"get_paginator"}
    }
    called |= {f"sagemaker:{_camel(op)}" for op in re.findall(r"_pages\(\s*\"([a-z_]+)\"", records)}
    assert {"sagemaker:ListTrials", "sagemaker:Search", "sagemaker:AssociateTrialComponent"} <= called
    # The cleanup deletes the experiment's MLflow runs too, through the App's one data-plane action.
    handler = (Path(__file__).resolve().parents[2] / "lambdas" / "cleanup_experiment" / "handler.py").read_text()
    assert "delete_experiment(mlflow" in handler
    called.add("sagemaker:CallMlflowAppApi")
    granted: dict[str, list[str]] = {}
    for lid, statement, actions in _statements(synthesized.pipeline):
        if lid.startswith("FunctionsCleanupExperimentRole"):
            for action in actions:
                granted.setdefault(action, []).append(statement["Resource"])
    # The cleanup runs everything but creating records (the recorders' part).
    cleanup_calls = {
        a
        for a in called
        if not a.startswith(("sagemaker:Create", "sagemaker:UpdateTrialComponent", "sagemaker:DescribeTrialComponent"))
    }
    assert cleanup_calls <= set(granted), cleanup_calls - set(granted)
    # ...and no SageMaker action that no call needs (least privilege).
    unused = {a for a in granted if a.startswith("sagemaker:")} - called
    assert not unused, unused
    # Listings have no resource-level permissions: on record ARNs they would be denied.
    for action in ("sagemaker:ListTrials", "sagemaker:Search"):
        assert granted[action] == ["*"], (action, granted[action])
