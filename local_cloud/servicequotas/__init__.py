"""Service Quotas for SageMaker instance usage and Lambda concurrency, with configurable values (LOCAL_CLOUD_QUOTAS)."""
