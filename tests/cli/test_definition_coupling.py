"""The proof that the CLI tests run on the synthesized definitions: rename a state the CLI reads and
its output comes out wrong, as it would on a deployment with that rename; rename one it does not
read and nothing changes."""

from __future__ import annotations

import pytest

from contract import states
from tests.cli import cloud

COUNTS = "trials 3/3 (completed 2 · failed 1)"


@pytest.mark.parametrize(
    "rename",
    [None, (states.NOT_TRAINED, "TrainingFailed")],
    ids=["synthesized", "NotTrained-renamed"],
)
def test_watch_counts_come_from_the_trials_outcomes_not_from_state_names(aws, app, run_cli, rename):
    # Before the Distributed Map, watch counted a trial failed when its iteration passed NotTrained:
    # a rename made the failed trial count as completed. Now SelectBest counts the trials' outcomes
    # (what each child execution returned), so a rename inside the iteration changes nothing.
    definition = cloud.renamed_state(app.training, *rename) if rename else app.training
    deployment = cloud.deploy(app, training_definition=definition)
    start = run_cli("start", "--experiment", "mnist-cnn", "--grid", "kernel_size=3,5,7", "--name", "mixed")
    assert start.exit_code == 0, start.output
    description = cloud.wait_for(cloud.execution_arn(deployment, "mixed"))
    assert description["status"] == "SUCCEEDED"  # the renamed definition runs just as well

    result = run_cli("watch", "mixed", "--interval", "0")

    assert result.exit_code == 0, result.output
    assert COUNTS in result.stdout
    assert [t["status"] for t in cloud.trials_of_kernel_size(description)] == ["Completed", "Completed", "Failed"]


def test_the_renamed_state_is_really_gone_from_the_definition(app):
    renamed = cloud.renamed_state(app.training, states.NOT_TRAINED, "TrainingFailed")
    iteration = renamed["States"][states.TRAIN_TRIALS]["ItemProcessor"]["States"]
    assert states.NOT_TRAINED not in iteration and "TrainingFailed" in iteration
    # Train's Catch goes to NotTrained through the name-in-use check.
    assert iteration[states.TRAIN]["Catch"][0]["Next"] == states.TRAINING_JOB_EXISTS
    assert iteration[states.TRAINING_JOB_EXISTS]["Default"] == "TrainingFailed"


@pytest.mark.parametrize(
    "rename, passes",
    [(None, 1), ((states.CLEANUP_DONE_CHOICE, "AllDeleted?"), 0)],
    ids=["synthesized", "Done?-renamed"],
)
def test_cleanup_progress_depends_on_the_state_names_of_the_definition(aws, app, run_cli, rename, passes):
    definition = cloud.renamed_state(app.cleanup, *rename) if rename else app.cleanup
    cloud.record_run(cloud.deploy(app, cleanup_definition=definition))

    result = run_cli("cleanup", cloud.EXPERIMENT, "--yes", "--interval", "0.05")

    assert result.exit_code == 0, result.output
    # The cleanup view counts a pass each time the execution enters "Done?" (ops/cleanup_watch.py).
    assert f"{states.DELETED}: {passes} passes, deleted so far: associations" in result.stdout
