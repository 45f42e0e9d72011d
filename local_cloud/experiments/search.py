"""Search's SearchExpression evaluator: Filters, SubExpressions and operators on a record's flat view."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Search: "Resource ... Valid Values: TrainingJob | Experiment | ExperimentTrial |
# ExperimentTrialComponent | ..."; the Experiments API answers these three, moto the rest.
SEARCH_RESOURCES = ("Experiment", "ExperimentTrial", "ExperimentTrialComponent")


def matches(view: dict, expression: dict) -> bool:
    """Whether a record's view satisfies a SearchExpression (an empty expression matches everything)."""
    checks = [_filter_matches(view, f) for f in expression.get("Filters") or []]
    checks += [matches(view, sub) for sub in expression.get("SubExpressions") or []]
    if not checks:
        return True
    return any(checks) if expression.get("Operator") == "Or" else all(checks)


def _lookup(view: dict, name: str) -> list[Any]:
    """Values of a Search property: a top-level field, Parents.<field>, Parameters.<name>,
    Metrics.<metric>.<statistic>, Input/OutputArtifacts.<name>[.Value] or Tags.<key>."""
    head, _, rest = name.partition(".")
    if not rest:
        value = view.get(head)
        return [] if value is None else [value]
    if head == "Parents":
        return [p[rest] for p in view.get("Parents", []) if rest in p]
    if head == "Tags":
        return [t["Value"] for t in view.get("Tags", []) if t["Key"] == rest]
    if head == "Parameters":
        value = (view.get("Parameters") or {}).get(rest)
        return [] if value is None else [value.get("StringValue", value.get("NumberValue"))]
    if head == "Metrics":
        metric, _, statistic = rest.rpartition(".")
        return [m[statistic] for m in view.get("Metrics") or [] if m["MetricName"] == metric and statistic in m]
    if head in ("InputArtifacts", "OutputArtifacts"):
        artifact = rest.removesuffix(".Value")
        value = (view.get(head) or {}).get(artifact)
        return [] if value is None else [value["Value"]]
    value = view.get(head)
    return [value[rest]] if isinstance(value, dict) and rest in value else []


def _filter_matches(view: dict, search_filter: dict) -> bool:
    name, expected = search_filter["Name"], search_filter.get("Value")
    operator = search_filter.get("Operator", "Equals")
    values = _lookup(view, name)
    if operator == "Exists":
        return bool(values)
    if operator == "NotExists":
        return not values
    for value in values:
        if isinstance(value, datetime):
            value = value.timestamp()
        if _compare(value, operator, expected):
            return True
    return False


def _compare(value: Any, operator: str, expected: Any) -> bool:
    if operator in ("Equals", "NotEquals"):
        number = _as_float(value)
        equal = str(value) == str(expected) or (number is not None and number == _as_float(expected))
        return equal if operator == "Equals" else not equal
    if operator == "Contains":
        return str(expected) in str(value)
    a, b = _as_float(value), _as_float(expected)
    if a is None or b is None:
        return False
    return {"GreaterThan": a > b, "GreaterThanOrEqualTo": a >= b, "LessThan": a < b, "LessThanOrEqualTo": a <= b}.get(
        operator, False
    )


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
