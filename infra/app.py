"""Builds the project's stacks into a CDK App: config, stacks, tags, security checks."""

from __future__ import annotations

import aws_cdk as cdk

from infra.config import Config
from infra.security_checks import acknowledge_findings, register_security_checks
from infra.stacks.data_stack import DataStack
from infra.stacks.pipeline_stack import PipelineStack


def build(app: cdk.App) -> tuple[DataStack, PipelineStack]:
    config = Config.from_context(app.node)
    register_security_checks(app)
    data = DataStack(
        app,
        config.data_stack_name,
        description="SageMaker experiments: encrypted bucket, key and jobs image repository (retained)",
        bucket_name=config.bucket_name,
        repository_name=config.repository_name,
        noncurrent_version_expiration_days=config.noncurrent_version_expiration_days,
        termination_protection=config.termination_protection,
        synthesizer=_synthesizer(config),
    )
    pipeline = PipelineStack(
        app,
        config.pipeline_stack_name,
        description="SageMaker experiments: execution role, Lambdas, training and cleanup state machines",
        config=config,
        key=data.key,
        # Image assets go to the jobs repository rather than the bootstrap one.
        synthesizer=_synthesizer(config, image_assets_repository_name=config.repository_name),
    )
    for stack in (data, pipeline):
        cdk.Tags.of(stack).add("project", config.project_tag)
        cdk.Tags.of(stack).add("stack", stack.stack_name)
    acknowledge_findings(data, pipeline, project_tag=config.project_tag)
    pipeline.add_stack_dependency(data)
    return data, pipeline


def _synthesizer(config: Config, **kwargs) -> cdk.DefaultStackSynthesizer:
    # The local cloud's CloudFormation cannot evaluate the bootstrap-version rule (an SSM lookup).
    return cdk.DefaultStackSynthesizer(generate_bootstrap_version_rule=not config.local_cloud, **kwargs)
