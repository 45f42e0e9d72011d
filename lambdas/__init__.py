"""The Lambda functions the training and cleanup state machines call (docs/lambda-contracts.md)."""
