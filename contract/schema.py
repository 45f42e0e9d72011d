"""Typed messages as frozen dataclasses: JSON in and out with errors naming the field, and JSONPaths from fields.

Why dataclasses and not pydantic: the models ship in the Lambda asset (pure Python, any architecture)
and in the jobs image, and a stdlib model needs no wheel per platform; the few rules they need (types,
required fields, "absent, null or {} mean none") fit in this one module.

A field's JSON name is its camelCase name unless `json_name(...)` says otherwise (AWS's own shapes,
such as a caught error's `Error` and `Cause`). `paths(Model)` gives attribute access to the JSONPaths
of a model's fields (`paths(RunPlan).preprocessing.output_s3_uri` -> `$.preprocessing.outputS3Uri`):
a renamed field then breaks the synth of the state machine that addresses it, not an execution.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar, get_args, get_origin

T = TypeVar("T")
_JSON_NAME = "json_name"
_DOC = "doc"


class InvalidMessage(ValueError):
    """A message breaks its model; the text starts with the path of the field at fault."""


def field(*, json: str | None = None, doc: str = "", **kwargs: Any) -> Any:
    """A dataclass field with an optional JSON name and a one-line description (docs/lambda-contracts.md)."""
    metadata = {_DOC: doc, **({_JSON_NAME: json} if json else {})}
    return dataclasses.field(metadata=metadata, **kwargs)


def camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def json_name(f: dataclasses.Field) -> str:
    return f.metadata.get(_JSON_NAME) or camel(f.name)


@cache
def hints(model: type) -> dict[str, Any]:
    return typing.get_type_hints(model)


def fields_of(model: type) -> list[tuple[dataclasses.Field, Any]]:
    """(field, resolved type) of a dataclass model, in declaration order."""
    resolved = hints(model)
    return [(f, resolved[f.name]) for f in dataclasses.fields(model)]


def optional_inner(kind: Any) -> Any | None:
    """X for `X | None`, else None."""
    if get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in get_args(kind) if a is not type(None)]
        if len(args) == 1 and len(get_args(kind)) == 2:
            return args[0]
    return None


def parse(model: type[T], value: Any, where: str = "event") -> T:
    """`value` as an instance of `model`; InvalidMessage naming the field when it does not fit.

    Unknown keys are ignored: a state passes its whole input on to a later state, which reads only
    what its model names."""
    decoded = _decode(model, value, where)
    return typing.cast(T, decoded)


def dump(message: Any) -> Any:
    """A model instance (or a list/dict of them) as JSON-ready data; None fields are written as null."""
    if dataclasses.is_dataclass(message) and not isinstance(message, type):
        return {json_name(f): dump(getattr(message, f.name)) for f in dataclasses.fields(message)}
    if isinstance(message, (list, tuple)):
        return [dump(item) for item in message]
    if isinstance(message, Mapping):
        return {str(k): dump(v) for k, v in message.items()}
    return message


def _decode(kind: Any, value: Any, where: str) -> Any:
    inner = optional_inner(kind)
    if inner is not None:
        # The CDK drops nulls from a definition, so a state says "none" with {}: absent, null and {} agree.
        if value is None or (isinstance(value, dict) and not value):
            return None
        return _decode(inner, value, where)
    if kind is Any:
        return value
    if dataclasses.is_dataclass(kind) and isinstance(kind, type):
        return _decode_model(kind, value, where)
    if get_origin(kind) in (list, tuple, dict):
        return _decode_container(kind, value, where)
    return _decode_scalar(kind, value, where)


def _decode_model(model: type, value: Any, where: str) -> Any:
    if not isinstance(value, dict):
        raise InvalidMessage(f"{where}: must be an object, got {_kind(value)}")
    custom = getattr(model, "from_json", None)
    if custom is not None:
        return custom(value, where)
    values = {}
    for f, field_kind in fields_of(model):
        key = json_name(f)
        if value.get(key) is None and optional_inner(field_kind) is None:
            if not is_required(f, field_kind):
                continue
            raise InvalidMessage(f"{where}.{key}: missing")
        values[f.name] = _decode(field_kind, value.get(key), f"{where}.{key}")
    return model(**values)


def _decode_container(kind: Any, value: Any, where: str) -> Any:
    origin = get_origin(kind)
    if origin is dict:
        if not isinstance(value, dict):
            raise InvalidMessage(f"{where}: must be an object, got {_kind(value)}")
        _, value_kind = get_args(kind)
        return {str(k): _decode(value_kind, v, f"{where}.{k}") for k, v in value.items()}
    if not isinstance(value, list):
        raise InvalidMessage(f"{where}: must be a list, got {_kind(value)}")
    (item_kind, *_) = get_args(kind)
    items = [_decode(item_kind, item, f"{where}[{i}]") for i, item in enumerate(value)]
    return tuple(items) if origin is tuple else items


def _decode_scalar(kind: Any, value: Any, where: str) -> Any:
    if kind is float:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InvalidMessage(f"{where}: must be a number, got {_kind(value)}")
        return float(value)
    if kind is str:
        if not isinstance(value, str) or not value:
            raise InvalidMessage(f"{where}: must be a non-empty string, got {_kind(value)}")
        return value
    if kind in (int, bool):
        if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
            raise InvalidMessage(f"{where}: must be {'an integer' if kind is int else 'a boolean'}, got {_kind(value)}")
        return value
    raise TypeError(f"{where}: the model's type {kind!r} is not supported by contract.schema")


def is_required(f: dataclasses.Field, kind: Any) -> bool:
    """A field a message must carry: not optional (`X | None`) and without a default."""
    has_default = f.default is not dataclasses.MISSING or f.default_factory is not dataclasses.MISSING
    return optional_inner(kind) is None and not has_default


def _is_path(value: Any) -> bool:
    """A JSONPath to render as `"key.$"`: a Path, or a path string such as the context object's."""
    return isinstance(value, Path) or (isinstance(value, str) and value.startswith("$"))


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}.get(
        type(value), "a number" if isinstance(value, (int, float)) else type(value).__name__
    )


# --- JSONPaths from fields ------------------------------------------------------------------------
class Path:
    """The JSONPath of a model's field; attribute access follows the model, so a typo fails at once.

    `str(path)` is the JSONPath (`$.trials`), `path.item` the element model of a list field (for a
    Map's item selector, whose paths start again at `$`), `path.kind` the field's type."""

    def __init__(self, kind: Any, text: str = "$") -> None:
        self._kind = kind
        self._text = text

    @property
    def kind(self) -> Any:
        return self._kind

    def __str__(self) -> str:
        return self._text

    def __repr__(self) -> str:
        return f"Path({self._text})"

    def __getattr__(self, name: str) -> Path:
        if name.startswith("_"):
            raise AttributeError(name)
        model = optional_inner(self._kind) or self._kind
        if not (dataclasses.is_dataclass(model) and isinstance(model, type)):
            raise AttributeError(f"{self._text} is a {model!r}, it has no field {name!r}")
        for f, field_kind in fields_of(model):
            if f.name == name:
                return Path(field_kind, f"{self._text}.{json_name(f)}")
        raise AttributeError(f"{model.__name__} has no field {name!r} (at {self._text})")

    @property
    def item(self) -> Path:
        """Paths of a list field's element, starting at `$` (the Map item's own input)."""
        (item_kind, *_) = get_args(optional_inner(self._kind) or self._kind)
        return Path(item_kind)


def paths(model: type, root: str = "$") -> Any:
    """The root Path of a model (`$`, or `root` such as a task result's `$.Payload`); typed Any so that
    field access type-checks."""
    return Path(model, root)


def reselect(model: type, root: str, names: tuple[str, ...] | None = None) -> dict[str, str]:
    """A ResultSelector copying a model's fields (all, or `names`) from under `root`, under their JSON names."""
    return {
        f"{json_name(f)}.$": f"{root}.{json_name(f)}" for f, _ in fields_of(model) if names is None or f.name in names
    }


def resolve(model: type, jsonpath: str) -> Any:
    """The type a JSONPath like `$.trials[0].trialName` addresses in `model`; KeyError naming the first
    segment that does not exist. Used by the tests that walk the synthesized state machines."""
    if jsonpath == "$":
        return model
    if not jsonpath.startswith("$."):
        raise KeyError(f"{jsonpath}: only paths from $ resolve against a model")
    kind: Any = model
    for segment in jsonpath[2:].replace("[", ".[").split("."):
        base = optional_inner(kind) or kind
        if segment.startswith("["):
            if get_origin(base) not in (list, tuple):
                raise KeyError(f"{jsonpath}: {segment} indexes a non-list")
            kind = get_args(base)[0]
            continue
        if get_origin(base) is dict:
            kind = get_args(base)[1]
            continue
        if base is Any:
            return Any
        if not (dataclasses.is_dataclass(base) and isinstance(base, type)):
            raise KeyError(f"{jsonpath}: {segment!r} under a {base!r}")
        matches = [k for f, k in fields_of(base) if json_name(f) == segment]
        if not matches:
            raise KeyError(f"{jsonpath}: {base.__name__} has no field {segment!r}")
        kind = matches[0]
    return kind


def template(model: type, **values: Any) -> dict[str, Any]:
    """A state's Parameters/Payload for a message of `model`: Path values become `"key.$": "<path>"`,
    others stay literals. Keys are the model's field names, checked: a payload can name only fields
    the receiving function reads, and must name every required one."""
    by_name = {f.name: (f, k) for f, k in fields_of(model)}
    unknown = sorted(set(values) - set(by_name))
    if unknown:
        raise TypeError(f"{model.__name__} has no field {unknown[0]!r}")
    rendered: dict[str, Any] = {}
    for name, (f, kind) in by_name.items():
        if name not in values:
            if is_required(f, kind):
                raise TypeError(f"{model.__name__}.{name} is required")
            continue
        value = values[name]
        key = json_name(f)
        if _is_path(value):
            rendered[f"{key}.$"] = str(value)
        else:
            rendered[key] = value
    return rendered


def selector(**values: Any) -> dict[str, Any]:
    """A ResultSelector or ItemSelector: `"key.$"` for each Path, literals as they are."""
    return dict((f"{key}.$", str(value)) if _is_path(value) else (key, value) for key, value in values.items())
