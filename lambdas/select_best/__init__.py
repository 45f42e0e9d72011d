"""The select_best function (handler.handler); see docs/lambda-contracts.md."""
