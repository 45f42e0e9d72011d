"""The pinned toolchain: Node LTS for the CLI and jsii, the CLI's synth offline, no Node banner."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NODE = ROOT / "node_modules" / ".bin" / "node"
CDK = [str(NODE), str(ROOT / "node_modules" / "aws-cdk" / "bin" / "cdk")]


def _installed_version(package: str) -> str:
    return json.loads((ROOT / "node_modules" / package / "package.json").read_text())["version"]


def test_cli_is_pinned_to_a_2x_release():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["aws-cdk"]
    assert pinned == _installed_version("aws-cdk") and pinned.startswith("2.")  # 3.0.0 cannot read 2.x output


def test_node_is_pinned_to_an_lts_release_and_is_what_jsii_uses():
    pinned = json.loads((ROOT / "package.json").read_text())["devDependencies"]["node"]
    assert pinned.startswith("22.") and pinned == _installed_version("node")
    version = subprocess.run([str(NODE), "--version"], capture_output=True, text=True, check=True).stdout
    assert version.strip() == f"v{pinned}"
    assert os.environ["JSII_NODE"] == str(NODE)  # tests/conftest.py, as the Makefile and app.py set it


# After `import aws_cdk`, the jsii kernel is a child process of this one: print its executable.
JSII_CHILD = """
import glob, os
import aws_cdk
children = [c for f in glob.glob("/proc/self/task/*/children") for c in open(f).read().split()]
print("\\n".join(os.readlink(f"/proc/{pid}/exe") for pid in children))
"""


def test_import_aws_cdk_prints_no_end_of_life_banner_and_runs_node_22():
    # The project's environment: JSII_NODE from conftest (= the Makefile's), nothing silenced.
    env = {k: v for k, v in os.environ.items() if not k.startswith("JSII_SILENCE")}
    result = subprocess.run([sys.executable, "-c", JSII_CHILD], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "end-of-life" not in result.stdout + result.stderr, result.stderr
    (executable,) = result.stdout.split()
    assert Path(executable) == NODE.resolve()
    version = subprocess.run([executable, "--version"], capture_output=True, text=True, check=True).stdout
    assert version.startswith("v22."), version


def test_synth_works_with_no_network_no_credentials_and_no_banner_and_nag_runs(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "JSII_"))}
    # A fresh network namespace has no interface but a down loopback: any lookup or connection fails.
    # No JSII_NODE either: app.py itself points jsii at the pinned Node.
    result = subprocess.run(
        ["unshare", "--net", *CDK, "synth", "--quiet", "--output", str(tmp_path)],
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
    # cdk-nag ran as a validation plugin under the CLI too (it fails the synth on any finding:
    # test_security_checks.py); app.py only turned off aws-cdk-lib's built-in plugin.
    report = json.loads((tmp_path / "validation-report.json").read_text())
    plugins = {p["pluginName"] for p in report["pluginReports"]}
    assert plugins >= {"AwsSolutions", "NIST.800.53.R5"}, plugins
    assert all(p["conclusion"] == "success" and p["suppressedViolations"] for p in report["pluginReports"])
