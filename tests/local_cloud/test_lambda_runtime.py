"""The local Lambda runtime: warm execution environments, as Lambda reuses them, and what ends one."""

import io
import json
import threading
import zipfile

import pytest

from local_cloud.awslambda.runtime import FunctionPackage, LambdaRuntime

HANDLER_MODULE = """
import os, time
INVOCATIONS = 0  # module state: it survives between invocations only in a warm environment
def handler(event, context):
    global INVOCATIONS
    INVOCATIONS += 1
    print(f"invocation {INVOCATIONS} as {context.aws_request_id}", flush=True)
    if event.get("sleep"):
        time.sleep(event["sleep"])
    if event.get("fail"):
        raise ValueError(event["fail"])
    if event.get("exit"):
        os._exit(event["exit"])
    return {"invocations": INVOCATIONS, "pid": os.getpid(), "remaining_ms": context.get_remaining_time_in_millis(),
            "endpoint": os.environ["AWS_ENDPOINT_URL"], "stream": context.log_stream_name}
"""


def package(source: str = HANDLER_MODULE, timeout_s: int = 5) -> FunctionPackage:
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("app.py", source)
    return FunctionPackage(
        name="probe",
        arn="arn:aws:lambda:us-east-1:123456789012:function:probe",
        handler="app.handler",
        code_zip=archive.getvalue(),
        environment={"STAGE": "test"},
        timeout_s=timeout_s,
        memory_mb=128,
    )


@pytest.fixture
def runtime(tmp_path):
    lambdas = LambdaRuntime(run_dir=tmp_path, endpoint_url="http://localhost:1", region="us-east-1")
    yield lambdas
    lambdas.shutdown()
    lambdas.children.terminate_all()


def invoke(runtime, function, **event):
    result = runtime.invoke(function, json.dumps(event).encode())
    return json.loads(result.payload), result


def test_invocations_reuse_one_warm_environment_and_each_has_its_own_log(runtime):
    function = package()
    answers = [invoke(runtime, function) for _ in range(3)]
    assert [a["invocations"] for a, _ in answers] == [1, 2, 3]  # the module was imported once
    assert len({a["pid"] for a, _ in answers}) == 1 and runtime.environments_started == 1
    assert {a["stream"] for a, _ in answers} == {answers[0][0]["stream"]}  # one log stream per environment
    assert answers[0][0]["endpoint"] == "http://localhost:1" and 0 < answers[0][0]["remaining_ms"] <= 5000
    logs = [result.log_path.read_text() for _, result in answers]
    assert "(cold start)" in logs[0] and "(cold start)" not in logs[1]
    for n, text in enumerate(logs, start=1):
        assert text.startswith("START RequestId: ") and f"invocation {n} as " in text and "END RequestId" in text
        assert text.count("invocation ") == 1  # only this invocation's output


def test_concurrent_invocations_get_environments_of_their_own_then_both_stay_warm(runtime):
    function = package()
    answers: list[dict] = []
    threads = [threading.Thread(target=lambda: answers.append(invoke(runtime, function, sleep=1)[0])) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({a["pid"] for a in answers}) == 2 and runtime.environments_started == 2
    again = [invoke(runtime, function)[0] for _ in range(2)]
    assert {a["pid"] for a in again} <= {a["pid"] for a in answers} and runtime.environments_started == 2


def test_a_handler_error_is_the_payload_and_the_environment_stays_warm(runtime):
    function = package()
    failed, result = invoke(runtime, function, fail="bad input")
    assert result.errored and failed["errorType"] == "ValueError" and failed["errorMessage"] == "bad input"
    assert "ValueError: bad input" in result.log_path.read_text()
    assert invoke(runtime, function)[0]["invocations"] == 2


def test_a_timed_out_invocation_ends_its_environment_and_the_next_one_starts_cold(runtime):
    function = package(timeout_s=1)
    first = invoke(runtime, function)[0]
    timed_out, result = invoke(runtime, function, sleep=5)
    assert result.errored and timed_out == {
        "errorType": "Sandbox.Timedout",
        "errorMessage": "Task timed out after 1.00 seconds",
    }
    after = invoke(runtime, function)[0]
    assert after["invocations"] == 1 and after["pid"] != first["pid"] and runtime.environments_started == 2


def test_a_runtime_that_exits_is_an_exit_error_and_is_replaced(runtime):
    function = package()
    invoke(runtime, function)
    exited, result = invoke(runtime, function, exit=3)
    assert result.errored and exited["errorType"] == "Runtime.ExitError"
    assert invoke(runtime, function)[0]["invocations"] == 1


def test_new_code_gets_a_new_environment_and_the_old_ones_end(runtime):
    old = invoke(runtime, package())[0]
    new = invoke(runtime, package(HANDLER_MODULE + "\n# v2\n"))[0]
    assert new["pid"] != old["pid"] and new["invocations"] == 1
    assert len(runtime.children._running) == 1  # the old version's environment was ended


def test_an_import_error_fails_every_invocation_with_its_class(runtime):
    broken = package("import not_a_module\ndef handler(event, context):\n    return {}\n")
    for _ in range(2):
        payload, result = invoke(runtime, broken)
        assert result.errored and payload["errorType"] == "ModuleNotFoundError"


def test_shutdown_ends_every_idle_environment(runtime):
    invoke(runtime, package())
    (process,) = list(runtime.children._running)
    runtime.shutdown()
    assert process.poll() is not None and not runtime.children._running
