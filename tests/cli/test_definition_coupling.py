"""The proof that the CLI tests run on the synthesized definitions: rename a state the CLI reads and
its counts come out wrong, as `watch` would show them on a deployment with that rename."""

from __future__ import annotations

import pytest

from contract import states
from tests.cli import cloud

CORRECT = "trials 3/3 (queued 0 · running 0 · completed 2 · failed 1)"
# The failed trial passes the renamed state, which `watch` does not know: its iteration still
# succeeds (RecordTraining records the failure), so it counts as completed.
WITH_THE_RENAME = "trials 3/3 (queued 0 · running 0 · completed 3 · failed 0)"


@pytest.mark.parametrize(
    "rename, expected",
    [
        (None, CORRECT),
        ((states.NOT_TRAINED, "TrainingFailed"), WITH_THE_RENAME),
    ],
    ids=["synthesized", "NotTrained-renamed"],
)
def test_watch_counts_depend_on_the_state_names_of_the_definition(aws, app, run_cli, rename, expected):
    definition = cloud.renamed_state(app.training, *rename) if rename else app.training
    deployment = cloud.deploy(app, training_definition=definition)
    start = run_cli("start", "--experiment", "mnist-cnn", "--grid", "kernel_size=3,5,7", "--name", "mixed")
    assert start.exit_code == 0, start.output
    description = cloud.wait_for(cloud.execution_arn(deployment, "mixed"))
    assert description["status"] == "SUCCEEDED"  # the renamed definition runs just as well

    result = run_cli("watch", "mixed", "--interval", "0")

    assert result.exit_code == 0, result.output
    assert expected in result.stdout
    if rename:
        assert CORRECT not in result.stdout
        # The run itself recorded the failure: only the CLI's reading of the history is off.
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
