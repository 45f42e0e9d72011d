"""Search's SearchExpression evaluator and its order: Filters, NestedFilters, SubExpressions, operators, SortBy."""

from __future__ import annotations

from datetime import datetime
from typing import Any

# Search: "Resource ... Valid Values: TrainingJob | Experiment | ExperimentTrial |
# ExperimentTrialComponent | ..."; the Experiments API answers these three, moto the rest.
SEARCH_RESOURCES = ("Experiment", "ExperimentTrial", "ExperimentTrialComponent")


def matches(view: dict, expression: dict) -> bool:
    """Whether a record's view satisfies a SearchExpression (an empty expression matches everything)."""
    checks = [_filter_matches(view, f) for f in expression.get("Filters") or []]
    checks += [_nested_matches(view, nested) for nested in expression.get("NestedFilters") or []]
    checks += [matches(view, sub) for sub in expression.get("SubExpressions") or []]
    if not checks:
        return True
    return any(checks) if expression.get("Operator") == "Or" else all(checks)


def _nested_matches(view: dict, nested: dict) -> bool:
    """NestedFilters: "A list of nested Filter objects. A resource must satisfy the conditions of all
    filters to be included in the results"; each filter's Name is `<NestedPropertyName>.<field>`, and
    one element of that list property must satisfy every filter (API_NestedFilters)."""
    prefix = nested["NestedPropertyName"] + "."
    for element in _lookup_list(view, nested["NestedPropertyName"]):
        if all(
            _filter_matches(element, {**f, "Name": f["Name"].removeprefix(prefix)}) for f in nested.get("Filters") or []
        ):
            return True
    return False


def _lookup_list(view: dict, name: str) -> list[dict]:
    value = view.get(name)
    if isinstance(value, list):
        return [v for v in value if isinstance(v, dict)]
    if isinstance(value, dict):  # a map such as Parameters: {name: value} as elements
        return [{"Name": k, **(v if isinstance(v, dict) else {"Value": v})} for k, v in value.items()]
    return []


def sort_key(view: dict, seq: int, sort_by: str | None, *, descending: bool) -> tuple:
    """The order of Search results: by the SortBy property (its first value), records without it last
    in either direction; creation order breaks ties. JSON-encodable, as the NextToken carries it."""
    if not sort_by:
        return (seq,)
    values = _lookup(view, sort_by)
    if not values:
        return (0 if descending else 1, 0, 0, seq)
    value = values[0]
    number = _as_float(value)
    kind, comparable = (0, number) if number is not None and not isinstance(value, str) else (1, str(value))
    return (1 if descending else 0, kind, comparable, seq)


def _lookup(view: dict, name: str) -> list[Any]:
    """Values of a Search property (timestamps as epoch seconds, which filters and the order compare)."""
    return [v.timestamp() if isinstance(v, datetime) else v for v in _values_of(view, name)]


def _values_of(view: dict, name: str) -> list[Any]:
    """A top-level field, Parents.<field>, Parameters.<name>, Metrics.<metric>.<statistic>,
    Input/OutputArtifacts.<name>[.Value] or Tags.<key>. The property's own words match in any case, as
    SageMaker's do: the SDK's ExperimentAnalytics sorts by "metrics.test:accuracy.max" (the MNIST
    notebook's sort_by); the names of metrics, parameters, artifacts and tags are matched as given."""
    head, _, rest = name.partition(".")
    field = _field(view, head)
    if not rest:
        value = view.get(field)
        return [] if value is None else [value]
    if field == "Parents":
        return [v for p in view.get("Parents", []) if (v := p.get(_field(p, rest))) is not None]
    if field == "Tags":
        return [t["Value"] for t in view.get("Tags", []) if t["Key"] == rest]
    if field == "Parameters":
        value = (view.get("Parameters") or {}).get(rest)
        return [] if value is None else [value.get("StringValue", value.get("NumberValue"))]
    if field == "Metrics":
        metric, _, statistic = rest.rpartition(".")
        return [
            m[_field(m, statistic)]
            for m in view.get("Metrics") or []
            if m["MetricName"] == metric and _field(m, statistic) in m
        ]
    if field in ("InputArtifacts", "OutputArtifacts"):
        artifact = rest[: -len(".Value")] if rest.lower().endswith(".value") else rest
        value = (view.get(field) or {}).get(artifact)
        return [] if value is None else [value["Value"]]
    value = view.get(field)
    return [value[_field(value, rest)]] if isinstance(value, dict) and _field(value, rest) in value else []


def _field(record: dict, word: str) -> str:
    """The record's key that `word` names, in any case ("metrics" -> "Metrics"); `word` when none does."""
    if word in record:
        return word
    return next((key for key in record if isinstance(key, str) and key.lower() == word.lower()), word)


def _filter_matches(view: dict, search_filter: dict) -> bool:
    name, expected = search_filter["Name"], search_filter.get("Value")
    operator = search_filter.get("Operator", "Equals")
    values = _lookup(view, name)
    if operator == "Exists":
        return bool(values)
    if operator == "NotExists":
        return not values
    return any(_compare(value, operator, expected) for value in values)


def _compare(value: Any, operator: str, expected: Any) -> bool:
    if operator in ("Equals", "NotEquals"):
        number = _as_float(value)
        equal = str(value) == str(expected) or (number is not None and number == _as_float(expected))
        return equal if operator == "Equals" else not equal
    if operator == "Contains":
        return str(expected) in str(value)
    if operator == "In":  # "a comma-separated list of values" (API_Filter, Value)
        return any(_compare(value, "Equals", one.strip()) for one in str(expected).split(","))
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
