"""The embedded local cloud: a local AWS in which the real stacks deploy and executions really run."""
