"""`npx cdk synth` with the pinned CLI: offline, without credentials, without the Node banner."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CDK = ROOT / "node_modules" / ".bin" / "cdk"


def test_cli_is_pinned_to_a_2x_release():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    installed = json.loads((ROOT / "node_modules" / "aws-cdk" / "package.json").read_text())["version"]
    assert pinned == installed and pinned.startswith("2.")  # 3.0.0 cannot read aws-cdk-lib 2.x output


def test_synth_works_with_no_network_no_credentials_and_no_banner(tmp_path):
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("AWS_") and k != "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION"
    }
    # A fresh network namespace has no interface but a down loopback: any lookup or connection fails.
    result = subprocess.run(
        ["unshare", "--net", str(CDK), "synth", "--quiet", "--output", str(tmp_path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-4000:]
    assert "end-of-life" not in output
    stacks = {p.name for p in tmp_path.glob("*.template.json")}
    assert stacks == {"ExperimentsData.template.json", "ExperimentsPipeline.template.json"}
