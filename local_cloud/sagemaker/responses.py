"""`SageMakerJobsResponse`: the SageMaker API with Create*Job and Stop*Job answered by `LocalJobs`.

A subclass of the Experiments response (local_cloud/experiments/responses.py), so one class serves
both; local_cloud/plug.py registers it. Without a runtime (plain `mock_aws()` tests that never call
`plug.use_runtime`), the actions stay moto's.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from moto.core.exceptions import JsonRESTError
from moto.core.responses import ActionResult, EmptyResult
from moto.core.utils import camelcase_to_underscores

from local_cloud.experiments.responses import ExperimentsResponse
from local_cloud.mlflow.apps import APPS, local_ui_url
from local_cloud.sagemaker.jobs_api import KINDS, JobApiError

if TYPE_CHECKING:
    from local_cloud.sagemaker.jobs_api import LocalJobs


class SageMakerJobsResponse(ExperimentsResponse):
    """Experiments actions (inherited) plus the job actions that run jobs."""

    jobs: ClassVar[LocalJobs | None] = None  # set by plug.use_runtime, cleared by plug.restore_moto

    # --- MLflow Apps (local_cloud/mlflow/apps.py): the ones the stacks made -------------------------------
    def describe_mlflow_app(self) -> ActionResult:
        return ActionResult(_mlflow_app(self._request()).describe())

    def create_presigned_mlflow_app_url(self) -> ActionResult:
        # CreatePresignedMlflowAppUrl: "Returns a presigned URL that you can use to connect to the MLflow
        # UI attached to your MLflow App." The local server's UI needs no signature: its plain URL.
        _mlflow_app(self._request())
        return ActionResult({"AuthorizedUrl": local_ui_url()})


def _create(kind: str):
    moto_method = getattr(ExperimentsResponse, f"create_{kind}_job")

    def handle(self: SageMakerJobsResponse) -> ActionResult:
        if SageMakerJobsResponse.jobs is None:
            return moto_method(self)
        try:
            created = SageMakerJobsResponse.jobs.create(
                kind, self._request(), account=self.current_account, region=self.region
            )
        except JobApiError as error:
            raise JsonRESTError(error.code, error.message) from None
        return ActionResult(created)

    handle.__name__ = f"create_{kind}_job"
    return handle


def _stop(kind: str):
    moto_method = getattr(ExperimentsResponse, f"stop_{kind}_job", None)  # moto 5.2.5: processing only

    def handle(self: SageMakerJobsResponse):
        name = str(self._request().get(KINDS[kind][1]) or "")
        if SageMakerJobsResponse.jobs is None:
            if moto_method is None:
                raise JsonRESTError("UnknownOperationException", f"Stop{kind.capitalize()}Job needs the local runtime")
            return moto_method(self)
        try:
            SageMakerJobsResponse.jobs.stop(kind, name, account=self.current_account, region=self.region)
        except JobApiError as error:
            raise JsonRESTError(error.code, error.message) from None
        return EmptyResult()

    handle.__name__ = f"stop_{kind}_job"
    return handle


def _mlflow_app(request: dict):
    arn = str(request.get("Arn") or "")
    app = APPS.get(arn)
    if app is None:
        raise JsonRESTError("ResourceNotFound", f"MLflow App {arn} not found")
    return app


# moto dispatches an action to the response method named after it in snake_case.
for _kind in KINDS:
    setattr(SageMakerJobsResponse, camelcase_to_underscores(f"Create{_kind.capitalize()}Job"), _create(_kind))
    setattr(SageMakerJobsResponse, camelcase_to_underscores(f"Stop{_kind.capitalize()}Job"), _stop(_kind))
