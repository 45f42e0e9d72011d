"""moto's Service Quotas responses plus ListServiceQuotas for the SageMaker and Lambda quotas of quotas.py."""

from __future__ import annotations

import json

from moto.servicequotas.exceptions import NoSuchResource
from moto.servicequotas.responses import ServiceQuotasResponse

from local_cloud.servicequotas import quotas

# ListServiceQuotas / ListAWSDefaultServiceQuotas MaxResults: "Valid Range: Minimum value of 1.
# Maximum value of 100." (Service Quotas API reference)
MAX_RESULTS = 100


class LocalServiceQuotasResponse(ServiceQuotasResponse):
    """The quotas of quotas.py for ServiceCode sagemaker and lambda; moto's (vpc) otherwise."""

    def list_service_quotas(self) -> str:
        return self._page(applied=True)

    def list_aws_default_service_quotas(self) -> str:
        params = json.loads(self.body or "{}")
        if params.get("ServiceCode") not in ("sagemaker", "lambda"):
            return super().list_aws_default_service_quotas()
        return self._page(applied=False)

    def get_service_quota(self) -> str:
        params = json.loads(self.body or "{}")
        for quota in quotas.quotas(str(params.get("ServiceCode")), applied=True):
            if quota.code == params.get("QuotaCode"):
                return json.dumps({"Quota": quota.to_json(self.current_account, self.region)})
        return super().get_service_quota()

    def _page(self, *, applied: bool) -> str:
        params = json.loads(self.body or "{}")
        found = quotas.quotas(str(params.get("ServiceCode")), applied=applied)
        if not found:
            raise NoSuchResource
        start = int(params.get("NextToken") or 0)
        size = min(int(params.get("MaxResults") or MAX_RESULTS), MAX_RESULTS)
        page: dict[str, object] = {
            "Quotas": [q.to_json(self.current_account, self.region) for q in found[start : start + size]]
        }
        if start + size < len(found):
            page["NextToken"] = str(start + size)
        return json.dumps(page)
