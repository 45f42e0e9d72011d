"""NextToken pages, written once: every List* action and Search page through `paginate`."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from local_cloud.experiments.exceptions import ValidationException

# "MaxResults ... The default value is 10. Valid Range: Minimum value of 1. Maximum value of 100."
# (ListExperiments, ListTrials, ListTrialComponents and Search alike.)
DEFAULT_MAX_RESULTS = 10
MAX_MAX_RESULTS = 100

T = TypeVar("T")


def paginate(
    items: Sequence[T], request: dict, sort_key: Callable[[T], tuple], *, descending: bool
) -> tuple[list[T], str | None]:
    """One page of `items` (already sorted by `sort_key`, in that direction) after the request's NextToken.

    The token holds the last returned item's sort key, not an offset, so records deleted between
    two pages never make a caller skip one. A token that does not decode is the API's
    ValidationException, never a server error.
    """
    max_results = request.get("MaxResults")
    if max_results is None:
        max_results = DEFAULT_MAX_RESULTS
    if isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= MAX_MAX_RESULTS:
        raise ValidationException(
            f"1 validation error detected: Value '{max_results}' at 'maxResults' failed to satisfy "
            f"constraint: Member must have value between 1 and {MAX_MAX_RESULTS}"
        )
    token = request.get("NextToken")
    remaining = list(items)
    if token:
        after = _decode(token)
        try:
            remaining = [i for i in remaining if (sort_key(i) < after if descending else sort_key(i) > after)]
        except TypeError:  # a token of another listing (its key compares with nothing here)
            raise ValidationException(f"Invalid NextToken: {token}") from None
    page = remaining[:max_results]
    if len(remaining) > max_results:
        return page, _encode(sort_key(page[-1]))
    return page, None


def _encode(key: tuple) -> str:
    return base64.urlsafe_b64encode(json.dumps({"after": list(key)}).encode()).decode()


def _decode(token: Any) -> tuple:
    try:
        return tuple(json.loads(base64.urlsafe_b64decode(token.encode()).decode())["after"])
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationException(f"Invalid NextToken: {token}") from None
