"""`compare`, `lineage` and `experiments`: what the recorded experiment looks like to an operator.

The records are those one execution of the synthesized training state machine leaves: written by the
project's Lambdas, and SageMaker's own record of each training job (tests/cli/cloud.py)."""

from __future__ import annotations

import csv
import json
import re

import boto3
from matplotlib import image as mpimg

import contract
from tests.cli import cloud
from tests.cli.cloud import ACCURACY, EXPERIMENT

BY_ACCURACY = ("20", "10", "5", "2", "32")  # hidden_channels, best test:accuracy first; 32 failed


def _table_rows(stdout: str) -> list[str]:
    return [line for line in stdout.splitlines() if re.search(rf"{EXPERIMENT}-\w+-trial-\d+", line)]


def _trials_in_order(stdout: str) -> list[str]:
    found = [re.search(r"\S+-trial-\d+", row) for row in _table_rows(stdout)]
    assert all(found), stdout
    return [match.group(0) for match in found if match]


def _shared(recorded: cloud.RecordedRun) -> dict[str, str]:
    """The hyperparameters every trial shares: the input's and the contract's defaults."""
    return {k: v for k, v in recorded.trial("20")["hyperparameters"].items() if k != "hidden_channels"}


def test_compare_sorts_trials_best_first_with_parameters_metrics_status_and_job(recorded, run_cli):
    result = run_cli("compare", EXPERIMENT)

    assert result.exit_code == 0, result.output
    rows = _table_rows(result.stdout)
    assert _trials_in_order(result.stdout) == [recorded.trial_name(h) for h in BY_ACCURACY]
    best = rows[0]
    for cell in ("20", str(ACCURACY["20"]), "Completed", recorded.job_name("20")):
        assert cell in best
    assert "Failed" in rows[-1]
    # Hyperparameters every trial shares are said once, under the table.
    shared = ", ".join(f"{k}={v}" for k, v in sorted(_shared(recorded).items()))
    assert {"dropout": "0.2", "epochs": "2", "kernel_size": "5", "optimizer": "sgd"}.items() <= _shared(
        recorded
    ).items()
    assert f"shared: {shared}" in result.stdout


def test_compare_goal_min_reverses_the_order(recorded, run_cli):
    result = run_cli("compare", EXPERIMENT, "--objective", "test:loss", "--goal", "min")

    assert result.exit_code == 0, result.output
    # test:loss falls as accuracy rises in the recorded run: lowest loss (best) is hc20.
    assert _trials_in_order(result.stdout)[:4] == [recorded.trial_name(h) for h in BY_ACCURACY[:4]]


def test_compare_exports_csv_json_and_a_png_plot(recorded, run_cli, tmp_path):
    csv_file, json_file, png = tmp_path / "trials.csv", tmp_path / "trials.json", tmp_path / "accuracy.png"

    result = run_cli(
        "compare",
        EXPERIMENT,
        "--csv",
        str(csv_file),
        "--json",
        str(json_file),
        "--plot",
        str(png),
        "--x",
        "hidden_channels",
    )

    assert result.exit_code == 0, result.output
    with csv_file.open() as f:
        rows = list(csv.DictReader(f))
    assert [r["trial"] for r in rows] == [recorded.trial_name(h) for h in BY_ACCURACY]
    assert rows[0]["hidden_channels"] == "20" and float(rows[0]["test:accuracy"]) == ACCURACY["20"]
    assert rows[0]["training_job"] == recorded.job_name("20") and rows[0]["status"] == "Completed"
    assert rows[-1]["status"] == "Failed" and rows[-1]["failure_reason"] == cloud.FAILURE_REASON
    assert rows[0]["trial"] == recorded.output["best"]["trialName"]  # what SelectBest chose is first

    document = json.loads(json_file.read_text())
    assert document["objective"] == {"metric": "test:accuracy", "goal": "Maximize"}
    assert [t["metrics"].get("test:accuracy") for t in document["trials"]] == [ACCURACY.get(h) for h in BY_ACCURACY]
    assert document["trials"][0]["parameters"]["hidden_channels"] == 20

    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    height, width, _ = mpimg.imread(png).shape
    assert (width, height) == (700, 450)
    assert f"Wrote {png} (test:accuracy by hidden_channels)" in result.stdout


def test_plot_picks_the_only_varying_hyperparameter_and_refuses_an_unknown_one(recorded, run_cli, tmp_path):
    png = tmp_path / "p.png"
    assert run_cli("compare", EXPERIMENT, "--plot", str(png)).exit_code == 0
    assert png.stat().st_size > 1000

    result = run_cli("compare", EXPERIMENT, "--plot", str(tmp_path / "q.png"), "--x", "learning_rate")
    assert result.exit_code == 2
    have = ", ".join(sorted(recorded.trial("20")["hyperparameters"]))
    assert result.stderr.strip().splitlines() == [
        f"Error: --x learning_rate: no trial has that parameter (have: {have})"
    ]


def test_compare_of_an_unknown_experiment_is_one_line(recorded, run_cli):
    result = run_cli("compare", "no-such-experiment")

    assert result.exit_code == 1
    assert result.stderr.strip().splitlines() == [
        "Error: experiment no-such-experiment not found (list them with `python -m ops experiments`)"
    ]


def _tree_path(stdout: str, *labels: str) -> None:
    """Each label appears on a later line and deeper in the tree than the previous one."""
    lines = stdout.splitlines()
    position, depth = -1, -1
    for label in labels:
        found = next(i for i in range(position + 1, len(lines)) if label in lines[i])
        indent = lines[found].index(label)
        assert indent > depth, f"{label!r} is not under the previous step:\n{stdout}"
        position, depth = found, indent


def test_lineage_runs_from_dataset_to_transform_output(recorded, run_cli):
    result = run_cli("lineage", recorded.trial_name("20"))

    assert result.exit_code == 0, result.output
    _tree_path(
        result.stdout,
        f"trial {recorded.trial_name('20')}",
        f"{contract.RAW_INPUT} {recorded.plan['dataset']['s3Uri']}",
        contract.PREPROCESSING_DISPLAY_NAME,
        f"train {recorded.preprocessed}train/",
        f"training job {recorded.job_name('20')}",
        contract.SAGEMAKER_MODEL_ARTIFACT,
        contract.TRANSFORM_DISPLAY_NAME,
        f"{contract.SAGEMAKER_TRANSFORM_OUTPUT_ARTIFACT} {recorded.plan['transform']['outputS3Uri']}",
    )
    assert f"test:accuracy={ACCURACY['20']}" in result.stdout


def test_lineage_of_a_failed_trial_shows_the_failure_reason(recorded, run_cli):
    result = run_cli("lineage", recorded.trial_name("32"))

    assert result.exit_code == 0, result.output
    assert cloud.FAILURE_REASON in result.stdout
    assert contract.TRANSFORM_DISPLAY_NAME not in result.stdout


def test_lineage_of_an_unknown_trial_is_one_line(recorded, run_cli):
    result = run_cli("lineage", "no-such-trial")

    assert result.exit_code == 1
    assert len(result.stderr.strip().splitlines()) == 1
    assert result.stderr.startswith("Error: trial no-such-trial not found")


def test_experiments_lists_names_trial_counts_and_creation_times(recorded, run_cli):
    boto3.client("sagemaker", region_name=cloud.REGION).create_experiment(ExperimentName="empty-one")

    result = run_cli("experiments")

    assert result.exit_code == 0, result.output
    rows = {line.split()[1]: line.split() for line in result.stdout.splitlines() if line.startswith("│")}
    assert rows[EXPERIMENT][3] == "5" and rows["empty-one"][3] == "0"
    assert rows[EXPERIMENT][5][:2] == "20"  # a creation date, 20xx-...
    assert result.stdout.index("empty-one") < result.stdout.index(EXPERIMENT + " ")  # newest first


def test_experiments_says_so_when_there_are_none(aws, run_cli):
    result = run_cli("experiments")
    assert result.exit_code == 0
    assert "No experiments in us-east-1." in result.stdout


def test_compare_on_a_narrow_terminal_leaves_out_the_job_column_and_says_so(recorded, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "105")

    result = run_cli("compare", EXPERIMENT)

    assert result.exit_code == 0, result.output
    assert recorded.job_name("20") not in result.stdout
    assert recorded.trial_name("20") in result.stdout  # whole, not cut
    assert "(left out, terminal too narrow: training job; see --csv/--json)" in result.stdout


def test_compare_on_a_very_narrow_terminal_keeps_only_the_objective_metric(recorded, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")

    result = run_cli("compare", EXPERIMENT)

    assert result.exit_code == 0, result.output
    assert "train:loss" not in result.stdout.split("(left out")[0]
    assert _trials_in_order(result.stdout) == [recorded.trial_name(h) for h in BY_ACCURACY]
    assert "(left out, terminal too narrow: training job, test:loss, train:loss;" in result.stdout
