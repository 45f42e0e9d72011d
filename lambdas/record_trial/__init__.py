"""The record_trial function (handler.handler); see docs/lambda-contracts.md."""
