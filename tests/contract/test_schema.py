"""The contract's models: parsing names the field at fault, "none" reads alike, JSONPaths follow the fields."""

from __future__ import annotations

import pytest

from contract import docs, events, schema
from contract.run_plan import RunPlan, TrialPlan

TRIAL = {
    "trialName": "t-1",
    "trainingJobName": "j-1",
    "hyperparameters": {"epochs": "2"},
    "variant": {},
    "outputS3Uri": "s3://b/runs/e/x/models/",
    "checkpointS3Uri": "s3://b/runs/e/x/checkpoints/t-1/",
}


def test_a_message_parses_into_its_model_and_dumps_back_unchanged():
    trial = schema.parse(TrialPlan, TRIAL)
    assert trial.training_job_name == "j-1" and trial.hyperparameters == {"epochs": "2"}
    assert schema.dump(trial) == TRIAL


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"trialName": None}, "event.trial.trialName: missing"),
        ({"trialName": ""}, "event.trial.trialName: must be a non-empty string, got a string"),
        ({"hyperparameters": {"epochs": 2}}, "event.trial.hyperparameters.epochs: must be a non-empty string"),
        ({"variant": []}, "event.trial.variant: must be an object, got a list"),
    ],
)
def test_a_bad_field_is_named_with_its_whole_path(change, message):
    event = {"experimentName": "e", "trial": {**TRIAL, **change}, "preprocessingTrialComponentName": "c"}
    with pytest.raises(schema.InvalidMessage) as refused:
        schema.parse(events.RecordTrialEvent, event)
    assert str(refused.value).startswith(message)


@pytest.mark.parametrize("none", [None, {}])
def test_absent_null_and_empty_object_all_mean_none(none):
    base = {"experimentName": "e", "trial": TRIAL}
    assert schema.parse(events.RecordTrainingEvent, base).training is None
    assert schema.parse(events.RecordTrainingEvent, {**base, "training": none, "error": none}).error is None


def test_jsonpaths_follow_the_fields_and_a_typo_fails_at_once():
    state = schema.paths(events.PipelineState)
    assert str(state.preprocessing.output_s3_uri) == "$.preprocessing.outputS3Uri"
    assert str(state.trials.key) == "$.trials.key"
    assert str(schema.paths(events.TrialIteration).trial.checkpoint_s3_uri) == "$.trial.checkpointS3Uri"
    assert str(schema.paths(events.BestTrial, "$.Payload").model_artifact) == "$.Payload.modelArtifact"
    with pytest.raises(AttributeError, match="PreprocessingPlan has no field 'output_uri'"):
        _ = state.preprocessing.output_uri
    assert schema.resolve(events.SweepOutcomes, "$.trials[0].hyperparameters.epochs") is str
    assert schema.resolve(RunPlan, "$.trials.count") is int
    with pytest.raises(KeyError, match="RunPlan has no field 'trial'"):
        schema.resolve(RunPlan, "$.trial.trialName")


def test_a_payload_template_names_only_and_all_the_fields_its_function_reads():
    state = schema.paths(events.TrialIteration)
    payload = schema.template(
        events.RecordTrialEvent,
        experiment_name=state.experiment_name,
        trial=state.trial,
        preprocessing_trial_component_name="c",
    )
    assert payload == {
        "experimentName.$": "$.experimentName",
        "trial.$": "$.trial",
        "preprocessingTrialComponentName": "c",
    }
    with pytest.raises(TypeError, match="has no field 'trials'"):
        schema.template(events.RecordTrialEvent, trials=state.trial)
    with pytest.raises(TypeError, match=r"RecordTrialEvent.trial is required"):
        schema.template(events.RecordTrialEvent, experiment_name="e", preprocessing_trial_component_name="c")


def test_the_lambda_contracts_document_is_generated_from_the_models():
    assert docs.DOC.read_text() == docs.render(), "run `python -m contract.docs` to regenerate it"
