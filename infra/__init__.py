"""CDK code: configuration, thin stacks, one construct per capability, security checks."""
