"""Parsing the functions' events at the edge: contract.events models, errors as InvalidEvent naming the field."""

from __future__ import annotations

from typing import Any, TypeVar

from contract import errors, schema

T = TypeVar("T")


class InvalidEvent(ValueError):
    """The state machine sent an event that breaks its contract.events model; the message names the field."""


assert InvalidEvent.__name__ == errors.INVALID_EVENT


def parse_event(model: type[T], event: Any) -> T:
    try:
        return schema.parse(model, event, "event")
    except schema.InvalidMessage as refused:
        raise InvalidEvent(str(refused)) from None


def required_str(value: Any, key: str, where: str = "event") -> str:
    if not isinstance(value, dict):
        raise InvalidEvent(f"{where}: must be an object")
    item = value.get(key)
    if not isinstance(item, str) or not item:
        raise InvalidEvent(f"{where}.{key}: missing or not str")
    return item


def optional_dict(value: Any, key: str) -> dict | None:
    """`progress` and the like may be absent, null or {}: all three mean "none"."""
    item = value.get(key) if isinstance(value, dict) else None
    return item if isinstance(item, dict) and item else None
