"""The cleanup_experiment function (handler.handler); see docs/lambda-contracts.md."""
