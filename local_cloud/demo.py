"""The full local run: local cloud up, stacks deployed, digits uploaded, the notebook's five trials run, report.

Every step a user would take is taken the way they would take it: `cdk deploy` with the pinned CLI,
the operator CLI (`python -m ops start --watch`, `python -m ops compare`) against the local
endpoint. The report folder holds the comparison table (CSV, JSON), the accuracy plot and a sample
of the batch predictions joined with the true labels.
"""

from __future__ import annotations

import csv
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import contract
from contract import stacks
from jobs.digits import write_digits
from local_cloud.cloud import LocalCloud
from local_cloud.deploy import deploy
from local_cloud.mlflow.server import experiment_url
from local_cloud.run_logs import describe_failure

PROJECT_ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK_HIDDEN_CHANNELS = (2, 5, 10, 20, 32)  # the MNIST experiment notebook's five trials
OBJECTIVE = "test:accuracy"
SAMPLE_ROWS = 20
MLFLOW_SCREENSHOT = "mlflow-compare-trials.png"


def run_demo(
    *,
    run_dir: Path,
    report_dir: Path,
    experiment_name: str,
    hidden_channels: tuple[int, ...] = NOTEBOOK_HIDDEN_CHANNELS,
) -> int:
    report_dir = report_dir.resolve()
    report_dir.mkdir(parents=True, exist_ok=True)
    _fresh(run_dir)
    timings: dict[str, float] = {}
    started = time.monotonic()
    with LocalCloud(run_dir) as cloud:
        timings["start"] = time.monotonic() - started
        _say(f"local cloud on {cloud.endpoint_url} (run folder {cloud.run_dir}, logs in {cloud.run_dir / 'logs'})")

        step = time.monotonic()
        outputs = deploy(cloud.endpoint_url, work_dir=cloud.run_dir)
        timings["deploy"] = time.monotonic() - step
        pipeline = outputs[stacks.pipeline_stack_name()]
        bucket, state_machine = pipeline[stacks.BUCKET_OUTPUT], pipeline[stacks.TRAINING_STATE_MACHINE_OUTPUT]
        _say(f"deployed {' and '.join(outputs)} with cdk in {timings['deploy']:.0f} s")

        _say(f"uploaded the digits sample dataset to {upload_sample_dataset(cloud, bucket)}")
        mlflow_url = cloud.wait_for_mlflow() if cloud.mlflow else None
        if mlflow_url:
            _say(f"MLflow UI (the sweep's runs appear as it trains): {mlflow_url}")

        execution = f"{experiment_name}-local-{time.strftime('%Y%m%d%H%M%S')}"
        step = time.monotonic()
        watched = _ops(
            cloud,
            "start",
            "--experiment",
            experiment_name,
            "--name",
            execution,
            "--grid",
            "hidden_channels=" + ",".join(str(h) for h in hidden_channels),
            "--watch",
            "--interval",
            "2",
        )
        timings["execution"] = time.monotonic() - step
        sfn = cloud.client("stepfunctions")
        execution_arn = state_machine.replace(":stateMachine:", ":execution:") + f":{execution}"
        final = sfn.describe_execution(executionArn=execution_arn)
        if watched != 0 or final["status"] != "SUCCEEDED":
            history = sfn.get_execution_history(executionArn=execution_arn, maxResults=1000)["events"]
            _say(f"execution {execution} ended {final['status']}\n{describe_failure(cloud.run_dir, history)}")
            return 1
        result = json.loads(final["output"])

        step = time.monotonic()
        compared = _ops(
            cloud,
            "compare",
            experiment_name,
            "--objective",
            OBJECTIVE,
            "--csv",
            str(report_dir / "trials.csv"),
            "--json",
            str(report_dir / "trials.json"),
            "--plot",
            str(report_dir / "accuracy-vs-hidden-channels.png"),
            "--x",
            "hidden_channels",
        )
        if compared != 0:
            _say("`python -m ops compare` failed")
            return 1
        accuracy = _transform_sample(cloud.client("s3"), bucket, result, report_dir / "transform-sample.csv")
        timings["report"] = time.monotonic() - step
        best = result["best"]
        _say(f"best trial: {best['trialName']} with {best['metric']} = {best['value']:.2f}%")
        if mlflow_url:
            missed = result["outcomes"].get("mlflowUnrecorded") or []
            _say(
                f"MLflow: the sweep's runs at {experiment_url(mlflow_url, experiment_name)}"
                + ("" if not missed else " (not recorded: " + "; ".join(missed) + ")")
            )
            _mlflow_screenshot(mlflow_url, experiment_name, report_dir / "trials.json", report_dir / MLFLOW_SCREENSHOT)
        _say(
            f"batch transform: {accuracy['correct']}/{accuracy['records']} predictions right "
            f"({accuracy['accuracy']:.2f}%) with the best model"
        )
        (report_dir / "run.json").write_text(
            json.dumps(
                {
                    "execution": execution,
                    "output": result,
                    "transformAccuracy": accuracy,
                    "timingsSeconds": {k: round(v, 1) for k, v in timings.items()},
                },
                indent=2,
            )
            + "\n"
        )
    timings["total"] = time.monotonic() - started
    leftovers = cloud.leftover_processes()
    _say(
        f"report: {report_dir} (trials.csv, trials.json, accuracy-vs-hidden-channels.png, transform-sample.csv, "
        f"run.json, {MLFLOW_SCREENSHOT})"
    )
    _say("timings: " + ", ".join(f"{k} {v:.0f} s" for k, v in timings.items()))
    if leftovers:
        _say(f"local cloud stopped but processes {leftovers} of its group are still alive")
        return 1
    _say("local cloud stopped; no process of it left behind")
    if mlflow_url:
        _say(f"`make up` serves these MLflow runs again ({cloud.run_dir / 'mlflow' / 'mlflow.db'} is kept)")
    return 0


def _mlflow_screenshot(mlflow_url: str, experiment_name: str, trials_file: Path, destination: Path) -> None:
    """MLflow's comparison of the sweep's trials (test:accuracy by hidden_channels), from headless Chromium."""
    from local_cloud.mlflow import ui

    if ui.chromium_path() is None:
        _say("no chromium on PATH (make setup installs it): no MLflow screenshot")
        return
    try:
        # By name (`compare` wrote them best first): the compare page's columns in a stable order.
        trials = sorted(t["trial"] for t in json.loads(trials_file.read_text())["trials"])
        ui.compare_trials(mlflow_url, experiment_name, trials, destination, x="hidden_channels")
    except Exception as error:  # noqa: BLE001 - a picture is not worth failing the run for
        _say(f"MLflow screenshot not taken: {type(error).__name__}: {error}")
        return
    _say(f"MLflow's comparison of the trials: {destination}")


def upload_sample_dataset(cloud: LocalCloud, bucket: str) -> str:
    """The digits in MNIST's raw layout under the default dataset prefix; returns that S3 URI."""
    s3 = cloud.client("s3")
    for path in write_digits(cloud.run_dir / "digits"):
        s3.upload_file(str(path), bucket, contract.DEFAULT_DATASET_KEY + path.name)
    return f"s3://{bucket}/{contract.DEFAULT_DATASET_KEY}"


def _transform_sample(s3, bucket: str, result: dict, destination: Path) -> dict:
    """The batch predictions joined with the true labels: a sample CSV and the overall accuracy."""
    layout = contract.RunLayout.from_run_uri(result["transform"]["outputS3Uri"])
    predictions_key = layout.transform_output(contract.TRANSFORM_INPUT_FILE)
    labels_key = layout.processing_file(contract.TRANSFORM_OUTPUT, contract.TRANSFORM_LABELS_FILE)
    predictions = [
        json.loads(line)
        for line in s3.get_object(Bucket=bucket, Key=predictions_key)["Body"].read().decode().splitlines()
        if line
    ]
    labels = [int(line) for line in s3.get_object(Bucket=bucket, Key=labels_key)["Body"].read().decode().split()]
    if len(predictions) != len(labels):
        raise RuntimeError(f"{len(predictions)} predictions for {len(labels)} labels ({predictions_key})")
    correct = sum(p["label"] == t for p, t in zip(predictions, labels, strict=True))  # lengths checked above
    with destination.open("w", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["record", "true_label", "predicted_label", "probability", "correct"])
        for index, (prediction, label) in enumerate(zip(predictions[:SAMPLE_ROWS], labels, strict=False)):
            writer.writerow(
                [
                    index,
                    label,
                    prediction["label"],
                    f"{max(prediction['probabilities']):.4f}",
                    prediction["label"] == label,
                ]
            )
        writer.writerow([])
        writer.writerow(
            ["all records", len(labels), "correct", correct, f"accuracy {100 * correct / len(labels):.2f}%"]
        )
    return {
        "records": len(labels),
        "correct": correct,
        "accuracy": 100 * correct / len(labels),
        "predictions": f"s3://{bucket}/{predictions_key}",
        "labels": f"s3://{bucket}/{labels_key}",
    }


def _ops(cloud: LocalCloud, *arguments: str) -> int:
    """`python -m ops ...` against the local cloud, its output shown live."""
    return subprocess.run(
        [sys.executable, "-m", "ops", *arguments],
        cwd=PROJECT_ROOT,
        env={**cloud.env(), "PYTHONPATH": str(PROJECT_ROOT)},
    ).returncode


def _fresh(run_dir: Path) -> None:
    """A new run folder; an old one is removed only when it is a local cloud's (it has server.log)."""
    run_dir = Path(run_dir)
    if run_dir.exists():
        if not (run_dir / "server.log").exists():
            raise SystemExit(f"{run_dir} exists and is not a local cloud run folder; pass another --run-dir")
        shutil.rmtree(run_dir)


def _say(message: str) -> None:
    print(f"[local-cloud] {message}", flush=True)
