"""A Distributed Map's ResultWriter that writes the Map Run's results to S3, as Step Functions does.

moto 5.2.5's ResultWriter writes only `manifest.json`, with empty `ResultFiles` and no results: it pops
the children's outputs unread ("TODO: generate result files"). Step Functions "consolidates all child
workflow execution data, such as execution input and output, ARN, and execution status. It then exports
executions with the same status to their respective files in the specified Amazon S3 location"
(Step Functions developer guide, ResultWriter): `<prefix>/<map run id>/SUCCEEDED_0.json` and
`FAILED_0.json`, JSON arrays of the child executions' records (local_cloud/stepfunctions/map_run_children.py:
input, output or error and cause, ARN, status, dates), and a `manifest.json` that lists the files. This
one writes them; a sweep's state can then carry the results' location instead of the results.
local_cloud/plug.py installs it.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid

from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval.resource_eval_s3 import (
    ResourceEvalS3,
)

from local_cloud.stepfunctions import map_run_children

# "Step Functions ... exports executions with the same status to their respective files": one file per
# status here (AWS splits a status's records over several files past a size).
RESULT_FILE = "{status}_0.json"


class ResultExportingEvalS3(ResourceEvalS3):
    @staticmethod
    def _handle_put_object(env, resource_runtime_part, state_credentials) -> None:
        parameters = env.stack.pop()
        outputs = env.stack.pop()  # the children's outputs, in item order (None for a failed one)
        s3 = ResourceEvalS3._get_s3_client(
            resource_runtime_part=resource_runtime_part, state_credentials=state_credentials
        )
        map_run_arn = env.map_run_record_pool_manager.get_all().pop().map_run_arn
        map_run_id = map_run_arn.split(":")[-1]
        prefix = parameters.get("Prefix") or ""
        if prefix and not prefix.endswith("/"):
            prefix += "/"
        bucket = parameters["Bucket"]
        by_status: dict[str, list[dict]] = {"SUCCEEDED": [], "FAILED": [], "PENDING": []}
        children = map_run_children.children_of(map_run_arn)
        if children:
            for child in children:
                # TIMED_OUT and ABORTED children go with the FAILED ones, as Step Functions files them.
                by_status["SUCCEEDED" if child.status == "SUCCEEDED" else "FAILED"].append(child.result_record())
        else:  # the children ran without the child-execution plug (moto's own worker): their outputs only
            by_status["SUCCEEDED"] = [_bare_record(map_run_arn, output) for output in outputs]
        result_files: dict[str, list[dict]] = {status: [] for status in by_status}
        for status, records in by_status.items():
            if not records:
                continue
            body = json.dumps(records).encode()
            key = f"{prefix}{map_run_id}/{RESULT_FILE.format(status=status)}"
            s3.put_object(Bucket=bucket, Key=key, Body=body)
            result_files[status].append({"Key": key, "Size": len(body)})
        manifest = {"DestinationBucket": bucket, "MapRunArn": map_run_arn, "ResultFiles": result_files}
        manifest_key = f"{prefix}{map_run_id}/manifest.json"
        s3.put_object(Bucket=bucket, Key=manifest_key, Body=json.dumps(manifest, indent=2).encode())
        env.stack.append({"MapRunArn": map_run_arn, "ResultWriterDetails": {"Bucket": bucket, "Key": manifest_key}})


def _bare_record(map_run_arn: str, output) -> dict:
    name = str(uuid.uuid4())
    arn, state_machine_arn = map_run_children.child_arns(map_run_arn, name)
    now = dt.datetime.now(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "ExecutionArn": arn,
        "Name": name,
        "StateMachineArn": state_machine_arn,
        "Status": "SUCCEEDED",
        "StartDate": now,
        "StopDate": now,
        "InputDetails": {"Included": False},
        "Output": json.dumps(output, separators=(",", ":")),
        "OutputDetails": {"Included": True},
    }


def resource_eval_for(resource):
    """moto's `resource_eval_for` with S3 answered by ResultExportingEvalS3."""
    from moto.stepfunctions.parser.asl.component.state.exec.state_map.result_writer.resource_eval import (
        resource_eval_factory,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import ServiceResource

    if isinstance(resource, ServiceResource) and resource.service_name == "s3":
        return ResultExportingEvalS3(resource=resource)
    return resource_eval_factory.resource_eval_for(resource)


def result_writer_eval_body(self, env) -> None:
    """moto's ResultWriter._eval_body with its Parameters' paths read from the Map state's input.

    moto evaluates `"Bucket.$"` and `"Prefix.$"` against the children's outputs (the top of its stack
    once the Map Run ended), so a run-specific results prefix cannot be given. Step Functions reads a
    state's Parameters paths from the state's input, as the CDK's `ResultWriterV2(bucket_name_path=...)`
    ("S3 bucket name in which to save Map Run results, as JsonPath") presumes.
    """
    outputs = env.stack.pop()
    env.stack.append(env.states.get_input())  # the Map state's input
    self.parargs.eval(env=env)
    parameters = env.stack.pop()
    env.stack.pop()
    env.stack.extend([outputs, parameters])
    self.resource_eval.eval_resource(env=env)
