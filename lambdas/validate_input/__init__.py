"""The validate_input function (handler.handler); see docs/lambda-contracts.md."""
