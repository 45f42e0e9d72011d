"""The record_preprocessing function (handler.handler); see docs/lambda-contracts.md."""
