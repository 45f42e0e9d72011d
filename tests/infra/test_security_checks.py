"""The security checks are live: cdk-nag rejects a bad resource; cfn-lint and checkov pass."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from infra.security_checks import register_security_checks

ROOT = Path(__file__).resolve().parents[2]
CHECKOV = ROOT / ".venv-checkov" / "bin" / "checkov"


def test_nag_rejects_a_deliberately_bad_resource(tmp_path):
    app = cdk.App(outdir=str(tmp_path))
    register_security_checks(app)
    throwaway = cdk.Stack(app, "Throwaway")
    s3.Bucket(throwaway, "Unencrypted", encryption=s3.BucketEncryption.UNENCRYPTED)
    with pytest.raises(RuntimeError, match="ValidationFailed"):
        app.synth()
    report = json.loads((tmp_path / "validation-report.json").read_text())
    rules = {v["ruleName"] for plugin in report["pluginReports"] for v in plugin["violations"]}
    assert "AwsSolutions-S10" in rules  # no SSL enforcement
    assert "NIST.800.53.R5-S3BucketLoggingEnabled" in rules


def test_project_stacks_pass_nag_with_every_finding_acknowledged(synthesized):
    # The fixture's synth would have raised on any unacknowledged finding; the report records
    # each acknowledgement with its reason.
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    assert {p["pluginName"] for p in report["pluginReports"]} >= {"AwsSolutions", "NIST.800.53.R5"}
    for plugin in report["pluginReports"]:
        assert plugin["conclusion"] == "success" and plugin["violations"] == []
        assert all(len(s["reason"]) > 40 for s in plugin["suppressedViolations"])


def test_every_iam_acknowledgement_sits_on_the_role_or_policy_that_carries_the_finding(synthesized):
    # Narrowest construct: an acknowledgement on a parent (the Functions construct, the stack)
    # would also silence the same finding on any role added there later.
    report = json.loads((synthesized.outdir / "validation-report.json").read_text())
    for plugin in report["pluginReports"]:
        for suppressed in plugin["suppressedViolations"]:
            if "IAM" not in suppressed["ruleName"]:
                continue
            for construct in suppressed["violatingConstructs"]:
                # A role's default policy, or a policy of its own (the Distributed Map's).
                owner = construct["constructPath"].removesuffix("/Resource").removesuffix("/DefaultPolicy")
                assert suppressed["acknowledgedAt"] == owner, (suppressed["ruleName"], suppressed["acknowledgedAt"])


def _templates(synthesized):
    return [str(synthesized.outdir / f"{name}.template.json") for name in synthesized.templates]


def test_cfn_lint_finds_no_error(synthesized):
    result = subprocess.run(
        [
            str(Path(sys.executable).parent / "cfn-lint"),
            "--config-file",
            str(ROOT / ".cfnlintrc.yaml"),
            *_templates(synthesized),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_checkov_finds_nothing_unexplained(synthesized):
    assert CHECKOV.exists(), "checkov lives in its own venv: run `make setup` (the test command does)"
    result = subprocess.run(
        [
            str(CHECKOV),
            "--skip-download",
            "--quiet",
            "--compact",
            "--framework",
            "cloudformation",
            "--config-file",
            str(ROOT / ".checkov.yaml"),
            *sum((["-f", t] for t in _templates(synthesized)), []),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "BC_SKIP_MAPPING": "TRUE"},
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
