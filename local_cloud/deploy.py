"""Deploys the real stacks to the local cloud with the pinned CDK CLI (bootstrap, then deploy)."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules" / ".bin" / "node"  # the Node LTS pinned in package.json
CDK = [str(NODE), str(ROOT / "node_modules" / "aws-cdk" / "bin" / "cdk")]
ACCOUNT = "123456789012"  # the local AWS's default account
REGION = "us-east-1"
# What the emulator requires, and nothing else (see README, "The local cloud": what the local deployment changes).
LOCAL_CONTEXT = ["-c", "localCloud=true"]


class DeployError(RuntimeError):
    """A cdk command failed; the message names the command and its log."""


def local_aws_env(endpoint_url: str) -> dict[str, str]:
    """Environment that points every AWS SDK (boto3, the CDK CLI's JS SDK) at the local cloud."""
    port = endpoint_url.rsplit(":", 1)[-1].rstrip("/")
    return {
        **os.environ,
        "AWS_ENDPOINT_URL": endpoint_url,
        "AWS_ACCESS_KEY_ID": "local",
        "AWS_SECRET_ACCESS_KEY": "local",
        "AWS_SESSION_TOKEN": "local",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "MOTO_PORT": port,
        "CDK_DISABLE_CLI_TELEMETRY": "true",
        "JSII_NODE": str(NODE),
        "NODE_NO_WARNINGS": "1",
    }


def deploy(endpoint_url: str, *, work_dir: Path, context: dict[str, str] | None = None) -> dict[str, dict[str, str]]:
    """Bootstraps the local account and deploys every stack; returns the stacks' outputs.

    `context`: extra `-c key=value` settings (e.g. trialConcurrency), as a user would pass them.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    env = local_aws_env(endpoint_url)
    extra = [argument for key, value in (context or {}).items() for argument in ("-c", f"{key}={value}")]
    outputs_file = work_dir / "stack-outputs.json"
    _cdk(["bootstrap", f"aws://{ACCOUNT}/{REGION}"], env=env, log=work_dir / "logs" / "cdk-bootstrap.log")
    # Direct deployments: the local CloudFormation leaves Outputs empty after change sets.
    _cdk(
        [
            "deploy",
            "--all",
            "--require-approval",
            "never",
            "--method=direct",
            "--outputs-file",
            str(outputs_file),
            *extra,
        ],
        env=env,
        log=work_dir / "logs" / "cdk-deploy.log",
    )
    return json.loads(outputs_file.read_text())


def _cdk(arguments: list[str], *, env: dict[str, str], log: Path) -> None:
    log.parent.mkdir(parents=True, exist_ok=True)
    command = [*CDK, *arguments, "--no-notices", "--output", str(log.parent.parent / "cdk.out"), *LOCAL_CONTEXT]
    # The CLI's modules keep their paths, so Node's compile cache serves it (app.py keeps it from jsii).
    env = {**env, "NODE_COMPILE_CACHE": str(ROOT / "node_modules" / ".cache" / "node-compile-cache")}
    with log.open("w") as out:
        result = subprocess.run(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, timeout=600)
    if result.returncode != 0:
        tail = "\n".join(log.read_text().splitlines()[-15:])
        raise DeployError(f"`cdk {arguments[0]}` failed (exit {result.returncode}); full log: {log}\n{tail}")
