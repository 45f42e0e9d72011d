"""Where `cdk synth` of both stacks spends its time: the app alone, each validation, the CLI.

    .venv/bin/python -m benchmarks.synth_time [--repeat N]

Each figure is the fastest of N runs (default 3) of a fresh process, wall clock and CPU time of
its process tree (CPU time is what a busy machine inflates least); the load average is printed
beside them. Same environment as the Makefile's: the pinned Node 22, its compile cache, no
notices, no telemetry.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NODE = ROOT / "node_modules" / ".bin" / "node"
CDK_JS = ROOT / "node_modules" / "aws-cdk" / "bin" / "cdk"
PYTHON = sys.executable

# The app as app.py builds it, with the two validation layers switchable: the built-in
# "CloudFormation Validate" plugin (aws-cdk-lib) and the cdk-nag packs (infra.security_checks).
VARIANT_APP = """
import os, sys
sys.path.insert(0, {root!r})
os.environ.pop("NODE_COMPILE_CACHE", None)  # as app.py does
import aws_cdk as cdk
import infra.app
if os.environ["BENCH_NAG"] == "off":
    infra.app.register_security_checks = lambda app: None
    infra.app.acknowledge_findings = lambda *a, **k: None
app = cdk.App(builtin_cloud_formation_validation=os.environ["BENCH_BUILTIN"] == "on")
infra.app.build(app)
app.synth()
"""


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        JSII_NODE=str(NODE),
        NODE_COMPILE_CACHE=str(ROOT / "node_modules" / ".cache" / "node-compile-cache"),
        CDK_DISABLE_CLI_TELEMETRY="true",
        **extra,
    )
    return env


def _before_env() -> dict[str, str]:
    """The set-up before the Node pin: the PATH's Node (20) for the CLI and jsii, banner silenced."""
    env = {k: v for k, v in _env().items() if k not in ("JSII_NODE", "NODE_COMPILE_CACHE")}
    return {**env, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}


def _fastest(command: list[str], env: dict[str, str], repeat: int, kept: Path) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process tree) of the fastest run. `{out}` in the command is
    a new folder each run; `{kept}` is one folder for all runs (a developer's cdk.out)."""
    best, best_cpu = float("inf"), float("inf")
    for _ in range(repeat):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        with tempfile.TemporaryDirectory() as out:
            argv = [a.replace("{out}", out).replace("{kept}", str(kept)) for a in command]
            started = time.perf_counter()
            result = subprocess.run(
                argv, cwd=ROOT, env={**env, "CDK_OUTDIR": out}, capture_output=True, text=True, timeout=600
            )
            elapsed = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
        if result.returncode != 0:
            raise SystemExit(f"{' '.join(command)} failed:\n{(result.stdout + result.stderr)[-3000:]}")
        if elapsed < best:
            best, best_cpu = elapsed, cpu
    return best, best_cpu


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat

    # `python app.py` alone needs what the CLI would hand it: cdk.json's context and an outdir.
    context = json.dumps(json.loads((ROOT / "cdk.json").read_text())["context"])
    app_env = _env(CDK_CONTEXT_JSON=context)
    cli = [str(NODE), str(CDK_JS)]
    scratch = Path(tempfile.mkdtemp(prefix="synth-time-"))
    variant_file = scratch / "variant_app.py"
    variant_file.write_text(VARIANT_APP.format(root=str(ROOT)))
    variant = [PYTHON, str(variant_file)]

    rows = [
        ("node --version (Node start-up)", [str(NODE), "--version"], _env()),
        ("cdk --version (CLI start-up)", [*cli, "--version"], _env()),
        ("python -c 'import aws_cdk' (jsii start-up)", [PYTHON, "-c", "import aws_cdk"], _env()),
        ("python app.py", [PYTHON, "app.py"], app_env),
        (
            "app, no validation at all",
            variant,
            {**app_env, "BENCH_NAG": "off", "BENCH_BUILTIN": "off"},
        ),
        ("app, cdk-nag only (= app.py)", variant, {**app_env, "BENCH_NAG": "on", "BENCH_BUILTIN": "off"}),
        (
            "app, cdk-nag + built-in CloudFormation Validate",
            variant,
            {**app_env, "BENCH_NAG": "on", "BENCH_BUILTIN": "on"},
        ),
        ("cdk synth --quiet (make synth), into a new cdk.out", [*cli, "synth", "--quiet", "--output", "{out}"], _env()),
        (
            "cdk synth --quiet (make synth), again into the same cdk.out",
            [*cli, "synth", "--quiet", "--output", "{kept}"],
            _env(),
        ),
        (
            "cdk synth --quiet, built-in validation on",
            [*cli, "synth", "--quiet", "--output", "{out}", "--app", " ".join(variant)],
            {**_env(), "BENCH_NAG": "on", "BENCH_BUILTIN": "on"},
        ),
        (
            "before: npx cdk synth --quiet (system Node, built-in on)",
            ["npx", "cdk", "synth", "--quiet", "--output", "{out}", "--app", " ".join(variant)],
            {**_before_env(), "BENCH_NAG": "on", "BENCH_BUILTIN": "on"},
        ),
    ]
    print(f"fastest of {repeat} runs; load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  {'':<58} {'wall':>8} {'CPU':>8}")
    for label, command, env in rows:
        wall, cpu = _fastest(command, env, repeat, scratch / "cdk.out")
        print(f"  {label:<58} {wall:6.2f} s {cpu:6.2f} s", flush=True)
    print(f"load average at the end {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
