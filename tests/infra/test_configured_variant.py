"""A second synth with the account-dependent settings changed: reserved concurrency on, and a custom
bootstrap qualifier. Both must reach the template; the security checks must still pass."""

from __future__ import annotations

import json

import pytest

from infra.constructs import functions as fns
from infra.quota_check import reservations_in_assembly
from tests.infra.conftest import synthesize
from tests.infra.templates import resources

QUALIFIER = "custom123"


@pytest.fixture(scope="module")
def variant(tmp_path_factory):
    # synthesize() raises on any unacknowledged cdk-nag finding, so this synth is also the nag check.
    return synthesize(
        tmp_path_factory.mktemp("cdk.out.variant"),
        lambdaReservedConcurrency=3,
        **{"@aws-cdk/core:bootstrapQualifier": QUALIFIER},
    )


def test_a_configured_reservation_reaches_every_function(variant):
    functions = resources(variant.pipeline, "AWS::Lambda::Function")
    assert len(functions) == 8
    assert {f["Properties"]["ReservedConcurrentExecutions"] for f in functions.values()} == {3}
    # What the pre-deploy quota check reads: 24 executions, so the account needs 124.
    (by_function,) = reservations_in_assembly(variant.outdir).values()
    assert sum(by_function.values()) == 24


def test_with_a_reservation_the_concurrency_finding_is_not_acknowledged(variant):
    report = json.loads((variant.outdir / "validation-report.json").read_text())
    suppressed = {s["ruleName"] for p in report["pluginReports"] for s in p["suppressedViolations"]}
    assert "NIST.800.53.R5-LambdaConcurrency" not in suppressed


def test_without_one_it_is_acknowledged_on_each_function(synthesized):
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    findings = [
        s
        for p in report["pluginReports"]
        for s in p["suppressedViolations"]
        if s["ruleName"] == "NIST.800.53.R5-LambdaConcurrency"
    ]
    # One acknowledgement per function, each on the function itself (the narrowest construct).
    assert sorted(f["acknowledgedAt"].rsplit("/", 1)[-1] for f in findings) == sorted(
        "".join(part.capitalize() for part in name.split("_")) for name in [spec.name for spec in fns.ALL_FUNCTIONS]
    )


def test_a_custom_qualifier_changes_the_repository_policy(variant):
    (repo,) = resources(variant.data, "AWS::ECR::Repository").values()
    (statement,) = repo["Properties"]["RepositoryPolicyText"]["Statement"]
    (principal,) = statement["Principal"].values()
    assert principal == {
        "Fn::Sub": f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-{QUALIFIER}-image-publishing-role-"
        "${AWS::AccountId}-${AWS::Region}"
    }


def test_the_policy_names_the_role_the_synthesizer_publishes_the_image_with(variant):
    # The jobs image's destination in the pipeline stack's asset manifest: the role `cdk deploy`
    # assumes to push must be the one the repository policy lets in.
    assets = json.loads((variant.outdir / f"{variant.config.pipeline_stack_name}.assets.json").read_text())
    roles = {d["assumeRoleArn"] for image in assets["dockerImages"].values() for d in image["destinations"].values()}
    (role,) = roles
    assert role == (
        f"arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:role/cdk-{QUALIFIER}-image-publishing-role-"
        "${AWS::AccountId}-${AWS::Region}"
    )
    (repo,) = resources(variant.data, "AWS::ECR::Repository").values()
    (statement,) = repo["Properties"]["RepositoryPolicyText"]["Statement"]
    assert statement["Principal"]["AWS"]["Fn::Sub"] == role


def test_both_stacks_check_the_custom_bootstrap_version(variant):
    for template in variant.templates.values():
        assert template["Parameters"]["BootstrapVersion"]["Default"] == f"/cdk-bootstrap/{QUALIFIER}/version"


def test_the_function_asset_hash_does_not_depend_on_the_synth(synthesized, variant):
    # Same code and pins, two synths into two folders, different context: one asset hash.
    def code_hashes(synth):
        return {
            json.dumps(f["Properties"]["Code"]["S3Key"])
            for f in resources(synth.pipeline, "AWS::Lambda::Function").values()
        }

    assert code_hashes(synthesized) == code_hashes(variant)
    assert len(code_hashes(synthesized)) == 1
