"""Parses and validates a training job's hyperparameters (strings, as SageMaker passes them)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import contract


class InvalidHyperparameters(ValueError):
    """One or more hyperparameters are unknown or out of range; the message names each of them."""


def parse_hyperparameters(raw: object) -> dict[str, object]:
    """Every contract hyperparameter, typed: the given values checked, the rest defaulted.

    SageMaker passes every value as a string (the API demands it); JSON numbers are accepted too
    so a hand-written hyperparameters.json works. All problems are reported at once, so one failed
    job tells the user everything to fix.
    """
    if not isinstance(raw, Mapping):
        raise InvalidHyperparameters(
            f"hyperparameters must be a JSON object of name -> string, got {type(raw).__name__}"
        )
    problems = []
    known = ", ".join(h.name for h in contract.HYPERPARAMETERS)
    for name in raw:
        if name not in contract.HYPERPARAMETERS_BY_NAME:
            problems.append(f"unknown hyperparameter {name!r} (known: {known})")
    values: dict[str, object] = {}
    for spec in contract.HYPERPARAMETERS:
        if spec.name not in raw:
            values[spec.name] = spec.default
            continue
        try:
            values[spec.name] = parse_value(spec, raw[spec.name])
        except ValueError as error:
            problems.append(f"hyperparameter {spec.name}: {error}")
    if problems:
        raise InvalidHyperparameters("; ".join(problems))
    return values


def parse_value(spec: contract.Hyperparameter, value: object) -> object:
    """One value as spec.kind, within its range or choices; ValueError says what is wrong."""
    if isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise ValueError(f"expected a string, got {type(value).__name__} {value!r}")
    text = str(value).strip()
    if spec.kind is str:
        if spec.choices is not None and text not in spec.choices:
            raise ValueError(f"{text!r} is not one of {', '.join(spec.choices)}")
        return text
    try:
        number = float(text)
    except ValueError:
        raise ValueError(f"{text!r} is not a number") from None
    if not math.isfinite(number):
        raise ValueError(f"{text!r} is not a finite number")
    if spec.kind is int:
        # "2.0" is how some tools stringify an integer; "2.5" is a mistake.
        if not number.is_integer():
            raise ValueError(f"{text!r} is not a whole number")
        number = int(number)
    if spec.minimum is not None and number < spec.minimum:
        raise ValueError(f"{text} is below the minimum {spec.minimum:g}")
    if spec.maximum is not None and number > spec.maximum:
        raise ValueError(f"{text} is above the maximum {spec.maximum:g}")
    return number
