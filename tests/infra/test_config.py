"""Bad context values fail the synth with an error that names the key."""

import aws_cdk as cdk
import pytest

from infra.config import Config, ConfigError, default_context


def _config(**overrides):
    return Config.from_context(cdk.App(context={**default_context(), **overrides}).node)


def test_defaults_from_cdk_json():
    config = _config()
    assert config.spot_training is True
    assert config.trial_concurrency == 2
    assert config.training_instance_type.startswith("ml.")
    # No reservation unless asked for: a new account's concurrency quota cannot hold 8 of them.
    assert config.lambda_reserved_concurrency is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"trialConcurrency": "many"}, "'trialConcurrency' must be an integer"),
        ({"spotTraining": "maybe"}, "'spotTraining' must be true or false"),
        ({"trainingInstanceType": "m5.large"}, "'trainingInstanceType' must be a SageMaker instance type"),
        ({"trialConcurrency": 0}, "'trialConcurrency' must be between 1 and 'maxTrials'"),
        ({"maxTrials": 301}, "'maxTrials' must be between 1 and 300 .SageMaker Experiments' trials per experiment."),
        ({"maxWaitSeconds": 60}, "'maxWaitSeconds' must be >= 'maxRuntimeSeconds'"),
        ({"lambdaReservedConcurrency": 0}, "'lambdaReservedConcurrency' must be an integer >= 1, or null"),
        ({"lambdaReservedConcurrency": -5}, "'lambdaReservedConcurrency' must be an integer >= 1, or null"),
        ({"lambdaReservedConcurrency": "five"}, "'lambdaReservedConcurrency' must be an integer"),
        ({"lambdaReservedConcurrency": 2.5}, "'lambdaReservedConcurrency' must be an integer"),
        ({"lambdaReservedConcurrency": True}, "'lambdaReservedConcurrency' must be an integer"),
    ],
)
def test_bad_context_names_the_key(overrides, message):
    with pytest.raises(ConfigError, match=message):
        _config(**overrides)


def test_command_line_context_strings_are_coerced():
    config = _config(spotTraining="false", trialConcurrency="3")
    assert config.spot_training is False and config.trial_concurrency == 3


@pytest.mark.parametrize(("value", "expected"), [(None, None), ("null", None), (5, 5), ("5", 5), (1, 1)])
def test_reserved_concurrency_is_an_integer_or_null(value, expected):
    assert _config(lambdaReservedConcurrency=value).lambda_reserved_concurrency == expected
