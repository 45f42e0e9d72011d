"""Step Functions in the local cloud: SageMaker `.sync` tasks running jobs, named executions, CloudFormation."""
