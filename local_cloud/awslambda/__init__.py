"""Lambda in the local cloud: a deployed function's package run with its handler, in warm execution environments."""
