"""Operating the deployed stacks: the operator CLI and the embedded local cloud."""
