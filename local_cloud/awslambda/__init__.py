"""Lambda in the local cloud: a deployed function's package run with its handler, one process per invocation."""
