"""`ExperimentsResponse`: moto's SageMaker response class with the experiment actions answered by our backend.

moto's responses translate and its models hold the rules; likewise this subclass only reads the
request, calls `ExperimentsBackend.call` and turns an `ExperimentsApiError` into moto's JSON error.
local_cloud/plug.py registers it as SageMaker's URL handler, for `mock_aws()` and the server alike.
"""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult
from moto.core.utils import camelcase_to_underscores
from moto.sagemaker.responses import SageMakerResponse

from local_cloud.experiments.exceptions import ExperimentsApiError
from local_cloud.experiments.registry import backend_for
from local_cloud.experiments.search import SEARCH_RESOURCES

# The SageMaker actions answered by the enforcing backend instead of moto's models.
EXPERIMENT_ACTIONS = (
    "CreateExperiment",
    "DescribeExperiment",
    "UpdateExperiment",
    "DeleteExperiment",
    "ListExperiments",
    "CreateTrial",
    "DescribeTrial",
    "UpdateTrial",
    "DeleteTrial",
    "ListTrials",
    "CreateTrialComponent",
    "DescribeTrialComponent",
    "UpdateTrialComponent",
    "DeleteTrialComponent",
    "ListTrialComponents",
    "AssociateTrialComponent",
    "DisassociateTrialComponent",
)
# Shared with moto's other SageMaker resources: answered by the backend only for experiment records
# (the request member that tells them apart).
EXPERIMENT_SHARED_ACTIONS = {
    "AddTags": "ResourceArn",
    "ListTags": "ResourceArn",
    "DeleteTags": "ResourceArn",
    "Search": "Resource",
}


class ExperimentsResponse(SageMakerResponse):
    """SageMaker's API with the Experiments actions answered by local_cloud/experiments."""

    def _request(self) -> dict:
        body = self.body
        if isinstance(body, bytes):
            body = body.decode("utf-8")
        return json.loads(body) if body else {}

    def _answer(self, action: str, request: dict) -> ActionResult:
        backend = backend_for(self.current_account, self.region)
        try:
            return ActionResult(backend.call(action, request))
        except ExperimentsApiError as error:
            # A JSON error body {"__type": code, "message": ...} with HTTP 400, as AWS answers.
            raise JsonRESTError(error.code, error.message) from None

    def _ours(self, action: str, request: dict) -> bool:
        value = request.get(EXPERIMENT_SHARED_ACTIONS[action]) or ""
        if action == "Search":
            return value in SEARCH_RESOURCES
        return backend_for(self.current_account, self.region).owns_arn(value)


def _experiment_action(action: str):
    def handle(self: ExperimentsResponse) -> ActionResult:
        return self._answer(action, self._request())

    handle.__name__ = camelcase_to_underscores(action)
    return handle


def _shared_action(action: str):
    moto_method = getattr(SageMakerResponse, camelcase_to_underscores(action))

    def handle(self: ExperimentsResponse):
        request = self._request()
        return self._answer(action, request) if self._ours(action, request) else moto_method(self)

    handle.__name__ = camelcase_to_underscores(action)
    return handle


# moto dispatches an action to the response method named after it in snake_case
# (BaseResponse.call_action): one method per action, defined on our subclass only.
for _action in EXPERIMENT_ACTIONS:
    setattr(ExperimentsResponse, camelcase_to_underscores(_action), _experiment_action(_action))
for _action in EXPERIMENT_SHARED_ACTIONS:
    setattr(ExperimentsResponse, camelcase_to_underscores(_action), _shared_action(_action))
