"""`start` and `watch`: input built from flags and checked before AWS, live progress, exit codes."""

from __future__ import annotations

import json
import re

import boto3
import click
import pytest
from botocore.exceptions import ClientError

from contract import states
from ops.execution_progress import ExecutionProgress
from tests.cli import cloud


def _input_of(execution: dict) -> dict:
    sfn = boto3.client("stepfunctions", region_name=cloud.REGION)
    return json.loads(sfn.describe_execution(executionArn=execution["executionArn"])["input"])


def _started(run_cli, deployment: cloud.Deployment, *flags: str) -> dict:
    """`start FLAGS` run, and its execution ended: DescribeExecution (watch then draws one frame)."""
    result = run_cli("start", *flags)
    assert result.exit_code == 0, result.output
    [execution] = [e for e in cloud.executions(deployment) if e["executionArn"] in result.stdout]
    return cloud.wait_for(execution["executionArn"])


def _output_of(deployment: cloud.Deployment) -> dict:
    """The Summarize output of the one execution, once it has ended."""
    [execution] = cloud.executions(deployment)
    return cloud.output_with_outcomes(cloud.wait_for(execution["executionArn"]))


def test_start_sends_the_grid_as_trials_and_prints_how_to_watch(deployed, run_cli):
    result = run_cli(
        "start",
        "--experiment",
        "mnist-cnn",
        "--grid",
        "hidden_channels=2,5,10,20,32",
        "--set",
        "epochs=2",
        "--set",
        "dropout=0.2",
        "--objective",
        "test:accuracy",
        "--goal",
        "max",
    )

    assert result.exit_code == 0, result.output
    [execution] = cloud.executions(deployed)
    assert execution["name"].startswith("mnist-cnn-")
    assert _input_of(execution) == {
        "experimentName": "mnist-cnn",
        "trials": [{"hidden_channels": h} for h in (2, 5, 10, 20, 32)],
        "hyperparameters": {"epochs": 2, "dropout": 0.2},
        "objective": {"metric": "test:accuracy", "goal": "Maximize"},
    }
    assert f"Started execution {execution['name']} (5 trials" in result.stdout
    assert execution["executionArn"] in result.stdout
    assert f"python -m ops watch {execution['name']}" in result.stdout


def test_the_started_line_is_never_wrapped_in_a_log(deployed, run_cli, monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")  # a CI log or a narrow terminal
    result = run_cli("start", "--experiment", "mnist-cnn", "--grid", "hidden_channels=2,5", "--name", "narrow")
    assert result.exit_code == 0, result.output
    assert "Started execution narrow (2 trials, experiment mnist-cnn)" in result.stdout.splitlines()


def test_grid_flags_multiply_into_trials_and_input_file_is_overridden_by_flags(deployed, run_cli, tmp_path):
    file = tmp_path / "input.json"
    file.write_text(
        json.dumps(
            {
                "experimentName": "from-file",
                "trials": [{"hidden_channels": 1}],
                "hyperparameters": {"epochs": 1, "optimizer": "adam"},
            }
        )
    )

    result = run_cli(
        "start",
        "--input",
        str(file),
        "--grid",
        "hidden_channels=2,5",
        "--grid",
        "optimizer=sgd,adam",
        "--set",
        "epochs=3",
        "--set",
        "shuffle=true",
        "--name",
        "my-run",
    )

    assert result.exit_code == 0, result.output
    [execution] = cloud.executions(deployed)
    assert execution["name"] == "my-run"
    assert _input_of(execution) == {
        "experimentName": "from-file",
        "trials": [
            {"hidden_channels": 2, "optimizer": "sgd"},
            {"hidden_channels": 2, "optimizer": "adam"},
            {"hidden_channels": 5, "optimizer": "sgd"},
            {"hidden_channels": 5, "optimizer": "adam"},
        ],
        "hyperparameters": {"epochs": 3, "optimizer": "adam", "shuffle": True},
    }


def _assert_one_line_error(result, *fragments: str, code: int = 2) -> None:
    assert result.exit_code == code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    for fragment in fragments:
        assert fragment in lines[0]
    assert "Traceback" not in result.output


def test_bad_flags_give_one_line_errors_and_start_nothing(deployed, run_cli, tmp_path):
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    cases = [
        (["--grid", "hidden_channels"], ["--grid expects NAME=VALUE"]),
        (["--set", "epochs=2"], ["no trials"]),
        (["--grid", "hidden_channels=2", "--goal", "sideways"], ["--goal must be max or min"]),
        (["--grid", "hidden_channels=2", "--objective", "test:f1"], ["objective.metric", "test:f1"]),
        (["--grid", "hidden_channels=" + ",".join(map(str, range(301)))], ["trials: 301 trials", "quota of 300"]),
        (["--grid", "hidden_channels=2", "--experiment", "bad_name!"], ["experimentName"]),
        (["--grid", "hidden_channels=2", "--dataset", "https://example.com/x"], ["dataset.s3Uri"]),
        (["--grid", "hidden_channels=2", "--name", "has space"], ["--name"]),
        (["--input", str(broken)], ["--input", "not JSON"]),
        (["--input", str(tmp_path / "missing.json")], ["--input", "cannot read"]),
        (["--grid", "hidden_channels=2", "--bogus"], ["No such option '--bogus'", "python -m ops start --help"]),
    ]
    for flags, fragments in cases:
        _assert_one_line_error(run_cli("start", *flags), *fragments)
    assert cloud.executions(deployed) == []


def test_bad_input_is_refused_before_any_aws_call(aws, run_cli):
    # Nothing is deployed: the input error, not "stack not deployed", proves the check came first.
    result = run_cli("start", "--grid", "hidden_channels=2", "--goal", "up")
    _assert_one_line_error(result, "--goal")


def test_start_watch_follows_a_successful_execution_to_its_summary(deployed, run_cli):
    result = run_cli(
        "start", "--experiment", "mnist-cnn", "--grid", "hidden_channels=2,5,10,20,32", "--watch", "--interval", "0.05"
    )

    assert result.exit_code == 0, result.output
    out = result.stdout
    output = _output_of(deployed)
    trials = {t["hyperparameters"]["hidden_channels"]: t for t in output["trials"]}
    # hidden_channels=32's training job failed: the iteration passed NotTrained, the trial counts as failed.
    assert f"{states.SUMMARIZE}: trials 5/5 (completed 4 · failed 1)" in out
    assert f"Best trial: {trials['20']['trialName']}  test:accuracy = {cloud.ACCURACY['20']}" in out
    assert f"Failed trial {trials['32']['trialName']}: {cloud.FAILURE_REASON}" in out
    transform = output["transform"]
    assert f"Batch transform: {transform['jobName']} -> {transform['outputS3Uri']}" in out
    assert "python -m ops compare mnist-cnn" in out


def test_watch_counts_failed_trials_from_the_history(deployed, run_cli):
    _started(run_cli, deployed, "--experiment", "mnist-cnn", "--grid", "kernel_size=3,5,7", "--name", "mixed")

    result = run_cli("watch", "mixed", "--interval", "0")

    assert result.exit_code == 0, result.output
    assert "trials 3/3 (completed 2 · failed 1)" in result.stdout


def test_watch_of_a_failed_execution_exits_1_with_the_failed_state_error_and_cause(deployed, run_cli):
    _started(
        run_cli,
        deployed,
        "--experiment",
        "mnist-cnn",
        "--grid",
        "hidden_channels=2",
        "--dataset",
        cloud.MISSING_DATASET,
        "--name",
        "doomed",
    )

    result = run_cli("watch", "doomed", "--interval", "0")

    assert result.exit_code == 1, result.output
    assert f"Execution doomed FAILED in state {states.PREPROCESSING_FAILED}" in result.stdout
    assert f"error: {states.PREPROCESSING_FAILED}" in result.stdout
    assert f"cause: {cloud.preprocessing_failure(cloud.MISSING_DATASET)}" in result.stdout


def test_watch_accepts_an_execution_arn(deployed, run_cli):
    execution = _started(
        run_cli, deployed, "--grid", "hidden_channels=2", "--experiment", "mnist-cnn", "--name", "by-arn"
    )

    result = run_cli("watch", execution["executionArn"], "--interval", "0")

    assert result.exit_code == 0, result.output
    assert "Best trial:" in result.stdout


def test_watch_of_an_unknown_execution_is_one_line(deployed, run_cli):
    result = run_cli("watch", "never-started", "--interval", "0")
    _assert_one_line_error(result, "execution never-started not found", code=1)


def test_on_a_terminal_watch_draws_a_live_panel_with_the_sweeps_bar_and_counts(deployed, run_cli, monkeypatch):
    monkeypatch.setenv("TTY_COMPATIBLE", "1")  # rich treats the captured output as a terminal
    # Watched once it has ended: one frame, the panel of the ended execution, then the outcomes' table.
    _started(run_cli, deployed, "--experiment", "mnist-cnn", "--grid", "kernel_size=3,5,7", "--name", "live")

    result = run_cli("watch", "live", "--interval", "0")

    assert result.exit_code == 0, result.output
    out = click.unstyle(result.stdout)
    # The elapsed time is the wall clock's (0:00:00 on an idle machine, more on a loaded one).
    assert re.search(r"live  SUCCEEDED  elapsed \d+:\d\d:\d\d  state Summarize", out), out
    assert re.search(r"trials ━+ 3/3", out) and "completed 2 · failed 1" in out
    # Then the outcomes' table: a row per trial (kernel_size, status), the failure's reason under it.
    rows = [line.split() for line in out.splitlines() if re.match(r"\s+\*?\s+\S+-trial-\d", line)]
    assert [
        row[row.index(status) - 1 : row.index(status) + 1]
        for row in rows
        for status in row[-2:]
        if status in ("Completed", "Failed")
    ] == [
        ["3", "Completed"],
        ["5", "Completed"],
        ["7", "Failed"],
    ], out
    assert "Failed trial " in out and cloud.FAILURE_REASON in out


def test_progress_mid_run_counts_queued_running_and_done_from_the_map_run(aws, app, monkeypatch):
    """The Map Run's counts while the trials run: what watch shows between polls, one DescribeMapRun
    per poll. One trial at a time (MaxConcurrency 1), the counts read while the third trial trains."""
    definition = json.loads(json.dumps(app.training))
    definition["States"][states.TRAIN_TRIALS]["MaxConcurrency"] = 1
    deployment = cloud.deploy(app, training_definition=definition)
    sfn = boto3.client("stepfunctions", region_name=cloud.REGION)
    seen: list[tuple[int, int, int]] = []
    instant = cloud.InstantJobs.__call__

    def counting(self, context, kind, request, **kwargs):
        if kind == "training" and len([k for k, _ in self.jobs if k == "training"]) == 2:
            progress = ExecutionProgress()
            (execution,) = [e for e in cloud.executions(deployment) if e["name"] == "mid-run"]
            progress.apply(sfn.get_execution_history(executionArn=execution["executionArn"], maxResults=1000)["events"])
            progress.apply_map_run(sfn.describe_map_run(mapRunArn=progress.map_run_arn))
            seen.append((progress.queued, progress.running, progress.done))
            assert progress.state == states.TRAIN_TRIALS and progress.total_trials == 4
        return instant(self, context, kind, request, **kwargs)

    monkeypatch.setattr(cloud.InstantJobs, "__call__", counting)
    description = cloud.run_training(
        deployment,
        {"experimentName": "mnist-cnn", "trials": [{"kernel_size": k} for k in (7, 5, 3, 5)]},
        name="mid-run",
    )

    assert description["status"] == "SUCCEEDED", description
    assert seen == [(1, 1, 2)]  # the third trial trains, two ended, one to go
    progress = ExecutionProgress()
    progress.apply_output(json.loads(description["output"]))
    assert (progress.completed, progress.failed) == (3, 1)


def test_start_checks_the_trial_limit_of_the_deployment(aws, app, run_cli):
    outputs = cloud.deploy(app, max_trials=3)  # the pipeline stack's MaxTrials output

    refused = run_cli("start", "--grid", "hidden_channels=2,5,10,20")
    _assert_one_line_error(refused, "trials: 4 trials", "at most 3 (MAX_TRIALS)")
    assert cloud.executions(outputs) == []

    assert run_cli("start", "--experiment", "mnist-cnn", "--grid", "hidden_channels=2,5,10").exit_code == 0
    assert len(cloud.executions(outputs)) == 1


def test_a_deployment_with_a_lower_trial_limit_refuses_more_trials_than_it_allows(aws, app, run_cli):
    outputs = cloud.deploy(app, max_trials=3)

    refused = run_cli("start", "--experiment", "narrow", "--grid", "hidden_channels=2,5,10,20")
    _assert_one_line_error(refused, "trials: 4 trials", "at most 3 (MAX_TRIALS)")
    assert cloud.executions(outputs) == []

    accepted = run_cli("start", "--experiment", "narrow", "--grid", "hidden_channels=2,5,10")
    assert accepted.exit_code == 0, accepted.output
    assert len(cloud.executions(outputs)) == 1


def test_start_refuses_a_sweep_that_would_push_the_experiment_past_300_trials_and_starts_nothing(aws, app, run_cli):
    outputs = cloud.deploy(app, max_trials=300)
    sagemaker = boto3.client("sagemaker", region_name=cloud.REGION)
    sagemaker.create_experiment(ExperimentName="crowded")
    for i in range(298):
        sagemaker.create_trial(TrialName=f"earlier-{i}", ExperimentName="crowded")

    refused = run_cli("start", "--experiment", "crowded", "--grid", "hidden_channels=2,5,10", "--skip-preflight")

    _assert_one_line_error(
        refused, "crowded: the experiment already has 298 trials; 3 more would make 301", "quota of 300 trials"
    )
    assert cloud.executions(outputs) == []
    assert len(list(_all_trials(sagemaker, "crowded"))) == 298
    too_many = run_cli("start", "--experiment", "fresh", "--grid", "hidden_channels=" + ",".join(map(str, range(301))))
    _assert_one_line_error(too_many, "trials: 301 trials, past SageMaker Experiments' quota of 300")
    assert cloud.executions(outputs) == []
    with pytest.raises(ClientError, match="ResourceNotFound"):
        sagemaker.describe_experiment(ExperimentName="fresh")


def _all_trials(sagemaker, experiment: str):
    for page in sagemaker.get_paginator("list_trials").paginate(ExperimentName=experiment):
        yield from page["TrialSummaries"]
