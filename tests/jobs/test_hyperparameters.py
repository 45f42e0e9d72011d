"""Hyperparameter parsing: SageMaker's string values into typed values, every problem named."""

from __future__ import annotations

import pytest

import contract
from jobs.hyperparameters import InvalidHyperparameters, parse_hyperparameters


def test_string_values_are_typed_and_the_rest_defaulted():
    values = parse_hyperparameters({"hidden_channels": "20", "dropout": "0.25", "optimizer": "adam", "epochs": "3.0"})
    assert values == {
        **{h.name: h.default for h in contract.HYPERPARAMETERS},
        "hidden_channels": 20,
        "dropout": 0.25,
        "optimizer": "adam",
        "epochs": 3,
    }
    assert isinstance(values["epochs"], int) and isinstance(values["dropout"], float)


def test_json_numbers_are_accepted_like_their_strings():
    assert parse_hyperparameters({"hidden_channels": 5, "lr": 0.5}) == parse_hyperparameters(
        {"hidden_channels": "5", "lr": "0.5"}
    )


def test_every_problem_is_reported_at_once():
    with pytest.raises(InvalidHyperparameters) as raised:
        parse_hyperparameters({"hidden_chanels": "5", "dropout": "1.5", "lr": "inf", "seed": True})
    message = str(raised.value)
    assert "unknown hyperparameter 'hidden_chanels'" in message
    assert "dropout: 1.5 is above the maximum 0.95" in message
    assert "lr: 'inf' is not a finite number" in message
    assert "seed: expected a string, got bool" in message


def test_a_non_object_is_refused():
    with pytest.raises(InvalidHyperparameters, match="must be a JSON object"):
        parse_hyperparameters(["hidden_channels", "5"])


def test_the_defaults_are_valid_values():
    defaults = {h.name: str(h.default) for h in contract.HYPERPARAMETERS}
    assert parse_hyperparameters(defaults) == {h.name: h.default for h in contract.HYPERPARAMETERS}
