"""RunLayout: every S3 location of a run from one place, and back from any URI inside it."""

from __future__ import annotations

import pytest

import contract
from contract.layout import RunLayout
from lambdas.validate_input.plan import plan_run


def test_the_run_plan_takes_every_location_from_the_layout():
    planned = plan_run({"trials": [{}]}, execution_name="x_1", bucket_name="b", max_trials=1)
    plan, trials = planned.plan, planned.trials
    layout = RunLayout("b", plan.experiment_name, "x_1")
    assert plan.preprocessing.output_s3_uri == layout.uri(layout.preprocessed)
    assert plan.transform.output_s3_uri == layout.uri(layout.transform)
    assert plan.transform.input_s3_uri == layout.uri(
        layout.processing_file(contract.TRANSFORM_OUTPUT, contract.TRANSFORM_INPUT_FILE)
    )
    assert trials[0].checkpoint_s3_uri == layout.uri(layout.checkpoints(trials[0].trial_name))
    assert (plan.trials.key, plan.results_prefix) == (layout.trials_file, layout.results)
    assert plan.outcomes_s3_uri == layout.uri(layout.outcomes_file)
    written = [plan.preprocessing.output_s3_uri, plan.transform.output_s3_uri, trials[0].output_s3_uri]
    written += [layout.uri(plan.trials.key), layout.uri(plan.results_prefix), plan.outcomes_s3_uri]
    assert all(any(uri.removeprefix("s3://b/").startswith(p) for p in layout.prefixes()) for uri in written)


def test_a_layout_is_found_from_any_uri_inside_its_run_even_for_an_experiment_named_like_a_prefix():
    layout = RunLayout("b", "xtransform", "run-1")
    assert RunLayout.from_run_uri(layout.uri(layout.transform)) == layout
    assert layout.processing_file("transform", "t.csv") == "runs/xtransform/run-1/preprocessed/transform/t.csv"
    with pytest.raises(ValueError, match="not inside runs/"):
        RunLayout.from_run_uri("s3://b/datasets/digits/")
