"""The stateful stack: encryption, SSL, public access, retention, the repository's settings."""

import json

from tests.infra.templates import resources


def _bucket(template, encryption_algorithm):
    (bucket,) = [
        r
        for r in resources(template, "AWS::S3::Bucket").values()
        if r["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"][
            "SSEAlgorithm"
        ]
        == encryption_algorithm
    ]
    return bucket


def test_artifact_bucket_is_kms_encrypted_with_the_project_key(synthesized):
    bucket = _bucket(synthesized.data, "aws:kms")
    (key_id,) = resources(synthesized.data, "AWS::KMS::Key")
    default = bucket["Properties"]["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]
    assert default["ServerSideEncryptionByDefault"]["KMSMasterKeyID"] == {"Fn::GetAtt": [key_id, "Arn"]}
    assert default["BucketKeyEnabled"] is True


def test_key_rotates_and_every_stateful_resource_is_retained(synthesized):
    (key,) = resources(synthesized.data, "AWS::KMS::Key").values()
    assert key["Properties"]["EnableKeyRotation"] is True
    stateful = [
        *resources(synthesized.data, "AWS::KMS::Key").values(),
        *resources(synthesized.data, "AWS::S3::Bucket").values(),
        *resources(synthesized.data, "AWS::ECR::Repository").values(),
    ]
    assert len(stateful) == 4
    # Retained on deletion and replacement, but not left behind by a rolled-back first deploy (a
    # leftover named bucket or repository would fail every retry with "already exists").
    for resource in stateful:
        assert resource["DeletionPolicy"] == "RetainExceptOnCreate"
        assert resource["UpdateReplacePolicy"] == "Retain"


def test_buckets_block_public_access_are_versioned_and_expire_old_versions(synthesized):
    for bucket in resources(synthesized.data, "AWS::S3::Bucket").values():
        props = bucket["Properties"]
        assert props["PublicAccessBlockConfiguration"] == {
            "BlockPublicAcls": True,
            "BlockPublicPolicy": True,
            "IgnorePublicAcls": True,
            "RestrictPublicBuckets": True,
        }
        assert props["VersioningConfiguration"] == {"Status": "Enabled"}
        rules = props["LifecycleConfiguration"]["Rules"]
        assert any(rule.get("NoncurrentVersionExpiration", {}).get("NoncurrentDays") == 30 for rule in rules)


def test_artifact_bucket_logs_access_to_the_log_bucket(synthesized):
    bucket = _bucket(synthesized.data, "aws:kms")
    logging = bucket["Properties"]["LoggingConfiguration"]
    assert "Ref" in logging["DestinationBucketName"]
    assert _bucket(synthesized.data, "AES256")  # log delivery requires SSE-S3 on the target


def test_every_bucket_denies_requests_without_tls(synthesized):
    policies = resources(synthesized.data, "AWS::S3::BucketPolicy").values()
    assert len(policies) == 2
    for policy in policies:
        statements = policy["Properties"]["PolicyDocument"]["Statement"]
        assert any(
            s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}} for s in statements
        )


def test_repository_is_named_scanned_immutable_encrypted_and_pruned(synthesized):
    (repo,) = resources(synthesized.data, "AWS::ECR::Repository").values()
    props = repo["Properties"]
    assert props["RepositoryName"] == synthesized.config.repository_name
    assert props["ImageScanningConfiguration"] == {"ScanOnPush": True}
    assert props["ImageTagMutability"] == "IMMUTABLE"
    assert props["EncryptionConfiguration"]["EncryptionType"] == "KMS"
    assert "countNumber" in props["LifecyclePolicy"]["LifecyclePolicyText"]


def test_repository_lets_only_the_cdk_image_publishing_role_push(synthesized):
    (repo,) = resources(synthesized.data, "AWS::ECR::Repository").values()
    (statement,) = repo["Properties"]["RepositoryPolicyText"]["Statement"]
    assert "ecr:PutImage" in statement["Action"]
    # The role itself, not the account root: an account principal only delegates to IAM
    # policies, and the bootstrap publishing role's own policy covers only the bootstrap repository.
    (principal,) = statement["Principal"].values()
    assert principal == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/cdk-hnb659fds-image-publishing-role-"
        "${AWS::AccountId}-${AWS::Region}"
    }
    assert ":root" not in json.dumps(statement["Principal"]) and "Condition" not in statement


def test_stateful_stack_has_termination_protection(synthesized):
    stack = synthesized.manifest["artifacts"][synthesized.config.data_stack_name]
    assert stack["properties"]["terminationProtection"] is True


def test_everything_is_tagged_for_cost_allocation(synthesized):
    for name, template in synthesized.templates.items():
        for bucket in resources(template, "AWS::S3::Bucket").values():
            tags = {t["Key"]: t["Value"] for t in bucket["Properties"]["Tags"]}
            assert tags["project"] == synthesized.config.project_tag
            assert tags["stack"] == name
        for function in resources(template, "AWS::Lambda::Function").values():
            tags = {t["Key"]: t["Value"] for t in function["Properties"]["Tags"]}
            assert tags == {"project": synthesized.config.project_tag, "stack": name}
