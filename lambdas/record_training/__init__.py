"""The record_training function (handler.handler); see docs/lambda-contracts.md."""
