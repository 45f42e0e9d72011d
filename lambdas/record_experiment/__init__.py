"""The record_experiment function (handler.handler); see docs/lambda-contracts.md."""
