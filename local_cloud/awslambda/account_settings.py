"""Lambda's GetAccountSettings (moto 5.2.5 has none): the concurrency quota and what reservations leave of it."""

from __future__ import annotations

import json

from moto.awslambda.responses import LambdaResponse

from local_cloud.servicequotas import quotas

URL_PATH = r"{0}/(?P<api_version>[^/]+)/account-settings/?$"
# Lambda's documented defaults for the code-size limits (Lambda quotas page); not enforced here.
TOTAL_CODE_SIZE = 80 * 1024**3
CODE_SIZE_UNZIPPED = 250 * 1024**2
CODE_SIZE_ZIPPED = 50 * 1024**2


class AccountSettingsResponse(LambdaResponse):
    """AccountLimit: "UnreservedConcurrentExecutions: The maximum number of simultaneous function
    executions, minus the capacity that's reserved for individual functions with
    PutFunctionConcurrency" (Lambda API reference, AccountLimit); the quota is the one moto enforces
    reservations with (MOTO_LAMBDA_CONCURRENCY_QUOTA), 1,000 by default."""

    def get_account_settings(self):
        functions = self.backend.list_functions()
        reserved = sum(int(f.reserved_concurrency or 0) for f in functions)
        quota = quotas.lambda_concurrency()
        body = {
            "AccountLimit": {
                "TotalCodeSize": TOTAL_CODE_SIZE,
                "CodeSizeUnzipped": CODE_SIZE_UNZIPPED,
                "CodeSizeZipped": CODE_SIZE_ZIPPED,
                "ConcurrentExecutions": quota,
                "UnreservedConcurrentExecutions": quota - reserved,
            },
            "AccountUsage": {
                "TotalCodeSize": sum(int(f.code_size or 0) for f in functions),
                "FunctionCount": len(functions),
            },
        }
        return 200, {}, json.dumps(body)
