"""`MetricsResponse`: the SageMaker Metrics service (sagemaker-metrics), answered by the Experiments backend.

moto has BatchPutMetrics, but its backend looks the component up in moto's own SageMaker records,
where the local cloud keeps none (they live in local_cloud/experiments), so every put came back as a
VALIDATION_ERROR and the SageMaker SDK's `Run.log_metric` failed when the run closed. This subclass
answers it from the backend that holds the components; local_cloud/plug.py registers it.
"""

from __future__ import annotations

import json

from moto.core.exceptions import JsonRESTError
from moto.sagemakermetrics.responses import SageMakerMetricsResponse

from local_cloud.experiments.exceptions import ExperimentsApiError
from local_cloud.experiments.registry import backend_for


class MetricsResponse(SageMakerMetricsResponse):
    def batch_put_metrics(self) -> str:
        body = self.body.decode("utf-8") if isinstance(self.body, bytes) else self.body
        try:
            answer = backend_for(self.current_account, self.region).call("BatchPutMetrics", json.loads(body or "{}"))
        except ExperimentsApiError as error:
            raise JsonRESTError(error.code, error.message) from None
        return json.dumps(answer)
