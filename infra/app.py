"""Builds the project's stacks into a CDK App: config, stacks, tags, security checks."""

from __future__ import annotations

import aws_cdk as cdk

from infra.config import Config
from infra.security_checks import acknowledge_findings, register_security_checks
from infra.stacks.data_stack import DataStack
from infra.stacks.pipeline_stack import PipelineStack

# The bootstrap stack's image-publishing role, with the synthesizer's own placeholders.
IMAGE_PUBLISHING_ROLE_ARN = cdk.DefaultStackSynthesizer.DEFAULT_IMAGE_ASSET_PUBLISHING_ROLE_ARN
BOOTSTRAP_QUALIFIER_CONTEXT = "@aws-cdk/core:bootstrapQualifier"


def build(app: cdk.App) -> tuple[DataStack, PipelineStack]:
    config = Config.from_context(app.node)
    register_security_checks(app)
    qualifier = bootstrap_qualifier(app)
    data = DataStack(
        app,
        config.data_stack_name,
        description="SageMaker experiments: encrypted bucket, key and jobs image repository (retained)",
        bucket_name=config.bucket_name,
        repository_name=config.repository_name,
        noncurrent_version_expiration_days=config.noncurrent_version_expiration_days,
        # The role the pipeline stack's synthesizer publishes the jobs image with (same qualifier).
        image_publishing_role_arn=cdk.Fn.sub(IMAGE_PUBLISHING_ROLE_ARN.replace("${Qualifier}", qualifier)),
        mlflow_app_name=config.mlflow_app_name,
        termination_protection=config.termination_protection,
        synthesizer=_synthesizer(config, qualifier),
    )
    pipeline = PipelineStack(
        app,
        config.pipeline_stack_name,
        description="SageMaker experiments: execution role, Lambdas, training and cleanup state machines",
        config=config,
        key=data.key,
        mlflow_arn=data.mlflow.arn if data.mlflow else None,
        # Image assets go to the jobs repository rather than the bootstrap one.
        synthesizer=_synthesizer(config, qualifier, image_assets_repository_name=config.repository_name),
    )
    for stack in (data, pipeline):
        cdk.Tags.of(stack).add("project", config.project_tag)
        cdk.Tags.of(stack).add("stack", stack.stack_name)
    acknowledge_findings(data, pipeline, project_tag=config.project_tag)
    pipeline.add_stack_dependency(data)
    return data, pipeline


def bootstrap_qualifier(app: cdk.App) -> str:
    """The qualifier of the bootstrap stack the app deploys with, resolved once, as
    DefaultStackSynthesizer resolves it ("@default - Value of context key
    '@aws-cdk/core:bootstrapQualifier' if set, otherwise `DefaultStackSynthesizer.DEFAULT_QUALIFIER`",
    DefaultStackSynthesizerProps.qualifier), and then given explicitly to both synthesizers and the
    repository policy, so they cannot disagree. (A bound synthesizer's qualifier is not reachable
    from Python: Stack.synthesizer returns the unbound object.)"""
    return app.node.try_get_context(BOOTSTRAP_QUALIFIER_CONTEXT) or cdk.DefaultStackSynthesizer.DEFAULT_QUALIFIER


def _synthesizer(config: Config, qualifier: str, **kwargs) -> cdk.DefaultStackSynthesizer:
    return cdk.DefaultStackSynthesizer(
        qualifier=qualifier,
        image_asset_publishing_role_arn=IMAGE_PUBLISHING_ROLE_ARN,
        # The local cloud's CloudFormation cannot evaluate the bootstrap-version rule (an SSM lookup).
        generate_bootstrap_version_rule=not config.local_cloud,
        **kwargs,
    )
