"""The record_transform function (handler.handler); see docs/lambda-contracts.md."""
