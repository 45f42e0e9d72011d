"""`rerun`: only a finished execution's failed trials train again; the best is chosen over the whole sweep."""

from __future__ import annotations

from tests.cli import cloud

SWEEP = {
    "experimentName": "rerun-sweep",
    "trials": [{"hidden_channels": 2}, {"hidden_channels": 20}, {"hidden_channels": 10}],
}


def _training_jobs(jobs: cloud.InstantJobs) -> list[str]:
    return [name for kind, name in jobs.jobs if kind == "training"]


def _swept(deployed, jobs, name="sweep-1") -> dict:
    jobs.fail_once = {"20"}  # the best trial fails on capacity the first time
    described = cloud.run_training(deployed, SWEEP, name=name)
    assert described["status"] == "SUCCEEDED", described
    return cloud.output_with_outcomes(described)


def test_rerun_trains_only_the_failed_trial_then_picks_the_best_over_the_sweep(deployed, jobs, run_cli):
    first = _swept(deployed, jobs)
    failed = {t["trialName"]: t for t in first["trials"] if t["status"] == "Failed"}
    assert [t["failureReason"] for t in failed.values()] == [cloud.CAPACITY_REASON]
    assert first["best"]["value"] == cloud.ACCURACY["10"]  # the best of what completed
    trained_before = _training_jobs(jobs)

    result = run_cli("rerun", "sweep-1", "--skip-preflight")

    assert result.exit_code == 0, result.output
    assert "Rerunning 1 failed trial of sweep-1 (2 completed trials kept)" in result.stdout
    [rerun] = [e for e in cloud.executions(deployed) if e["name"].startswith("sweep-1-rerun-")]
    described = cloud.wait_for(rerun["executionArn"])
    assert described["status"] == "SUCCEEDED", described
    output = cloud.output_with_outcomes(described)
    new_jobs = _training_jobs(jobs)[len(trained_before) :]
    (retried,) = failed.values()
    assert len(new_jobs) == 1 and new_jobs[0] not in trained_before  # one new job, under a new name
    # The sweep's three trials, each once: the two kept as they were, the rerun one completed now.
    by_trial = {t["trialName"]: t for t in output["trials"]}
    assert set(by_trial) == {t["trialName"] for t in first["trials"]}
    assert by_trial[retried["trialName"]]["status"] == "Completed"
    assert by_trial[retried["trialName"]]["trainingJobName"] == new_jobs[0]
    assert output["best"]["trialName"] == retried["trialName"] and output["best"]["value"] == cloud.ACCURACY["20"]
    transforms = [name for kind, name in jobs.jobs if kind == "transform"]
    assert len(transforms) == 2  # the rerun ran the transform with the sweep's new best
    assert [kind for kind, _ in jobs.jobs].count("processing") == 1  # on the sweep's preprocessed data

    # The experiment keeps both attempts: compare shows the latest; --all-attempts both.
    compared = run_cli("compare", "rerun-sweep")
    assert compared.exit_code == 0, compared.output
    assert f"{retried['trialName']} #2" in compared.stdout and "#1" not in compared.stdout
    every = run_cli("compare", "rerun-sweep", "--all-attempts")
    assert f"{retried['trialName']} #1" in every.stdout and f"{retried['trialName']} #2" in every.stdout
    (first_attempt,) = [line for line in every.stdout.splitlines() if f"{retried['trialName']} #1" in line]
    assert "Failed" in first_attempt


def test_a_sweep_without_failed_trials_has_nothing_to_rerun(deployed, jobs, run_cli):
    described = cloud.run_training(deployed, {"experimentName": "all-good", "trials": [{"hidden_channels": 2}]}, "ok-1")
    assert described["status"] == "SUCCEEDED"
    result = run_cli("rerun", "ok-1", "--skip-preflight")
    assert result.exit_code == 1
    assert "Error: execution ok-1: all 1 trials completed; nothing to rerun" in result.stderr
    assert [e["name"] for e in cloud.executions(deployed)] == ["ok-1"]  # nothing started


def test_rerun_of_an_unknown_execution_is_one_line(deployed, run_cli):
    result = run_cli("rerun", "no-such-execution", "--skip-preflight")
    assert result.exit_code == 1 and result.stderr.count("\n") == 1, result.output
    assert "no-such-execution" in result.stderr


def test_an_execution_that_did_not_succeed_is_not_rerun(deployed, run_cli):
    failed = {
        "experimentName": "no-data",
        "trials": [{"hidden_channels": 2}],
        "dataset": {"s3Uri": cloud.MISSING_DATASET},
    }
    assert cloud.run_training(deployed, failed, "failed-1")["status"] == "FAILED"
    result = run_cli("rerun", "failed-1", "--skip-preflight")
    assert result.exit_code == 1, result.output
    assert (
        "Error: execution failed-1 is FAILED; only a SUCCEEDED execution's failed trials can be rerun" in result.stderr
    )
    assert [e["name"] for e in cloud.executions(deployed)] == ["failed-1"]
