"""The records of one account and region, their lookups, and how List* actions sort and page them."""

from __future__ import annotations

import random
import threading
from collections import Counter
from collections.abc import Callable, Sequence
from typing import TypeVar

from local_cloud.experiments.exceptions import ResourceNotFound, ValidationException
from local_cloud.experiments.models import Experiment, Names, Record, Trial, TrialComponent, now, timestamp
from local_cloud.experiments.pagination import paginate

R = TypeVar("R", bound=Record)


class RecordStore:
    """State shared by the action mixins (experiment_actions.py, component_actions.py, backend.py)."""

    def __init__(self, account_id: str, region: str) -> None:
        self.account_id = account_id
        self.region = region
        self._lock = threading.RLock()
        self._seq = 0
        self.experiments: dict[str, Experiment] = Names()
        self.trials: dict[str, Trial] = Names()
        self.components: dict[str, TrialComponent] = Names()
        # Many-to-many: "A trial component can be associated with multiple trials."
        # (AssociateTrialComponent). Dicts keep association order.
        self._trials_of_component: dict[str, dict[str, None]] = Names()
        self._components_of_trial: dict[str, dict[str, None]] = Names()
        self.calls: Counter[str] = Counter()  # every request received, throttled ones included
        self._throttle_fraction = 0.0
        self._throttle_random = random.Random(0)
        self._throttle_actions: frozenset[str] | None = None
        self.throttled: Counter[str] = Counter()

    def _arn(self, kind: str, name: str) -> str:
        # SageMaker lower-cases the name in its ARNs.
        return f"arn:aws:sagemaker:{self.region}:{self.account_id}:{kind}/{name.lower()}"

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _created_by(self) -> dict:
        return {"UserProfileArn": f"arn:aws:iam::{self.account_id}:root"}

    def _experiment(self, name: str) -> Experiment:
        found = self.experiments.get(name)
        if found is None:
            raise ResourceNotFound(f"Experiment '{self._arn('experiment', name)}' does not exist.")
        return found

    def _trial(self, name: str) -> Trial:
        found = self.trials.get(name)
        if found is None:
            raise ResourceNotFound(f"Trial '{self._arn('experiment-trial', name)}' does not exist.")
        return found

    def _component(self, name: str) -> TrialComponent:
        found = self.components.get(name)
        if found is None:
            raise ResourceNotFound(f"TrialComponent '{self._arn('experiment-trial-component', name)}' does not exist.")
        return found

    def _touch(self, record: Record) -> None:
        record.last_modified_time = now()

    @staticmethod
    def _page(records: Sequence[R], request: dict, sort_key: Callable[[Record], tuple]) -> tuple[list[R], str | None]:
        """One List* page of records already sorted by `_sorted`."""
        return paginate(records, request, sort_key, descending=request.get("SortOrder", "Descending") == "Descending")

    @staticmethod
    def _sorted(records: list[R], request: dict) -> tuple[list[R], Callable[[Record], tuple]]:
        sort_by = request.get("SortBy", "CreationTime")
        sort_order = request.get("SortOrder", "Descending")
        if sort_by not in ("Name", "CreationTime"):
            raise ValidationException(f"SortBy must be Name or CreationTime, got {sort_by}")
        if sort_order not in ("Ascending", "Descending"):
            raise ValidationException(f"SortOrder must be Ascending or Descending, got {sort_order}")
        if sort_by == "Name":

            def key(r: Record) -> tuple:
                return (r.name, r.seq)
        else:

            def key(r: Record) -> tuple:
                return (r.creation_time.timestamp(), r.seq)

        return sorted(records, key=key, reverse=sort_order == "Descending"), key

    @staticmethod
    def _created_between(records: list[R], request: dict) -> list[R]:
        after, before = timestamp(request.get("CreatedAfter")), timestamp(request.get("CreatedBefore"))
        return [
            r
            for r in records
            if (after is None or r.creation_time > after) and (before is None or r.creation_time < before)
        ]
