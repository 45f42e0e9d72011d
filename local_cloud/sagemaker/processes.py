"""The processes the local cloud starts (jobs, model servers, Lambdas): started, reaped, ended together."""

from __future__ import annotations

import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# Why a job process ended early, as its runner reports it (None: it exited by itself).
MAX_RUNTIME = "MaxRuntimeExceeded"
STOPPED = "Stopped"  # a Stop*Job request
# StopTrainingJob: "To stop a job, SageMaker sends the algorithm the SIGTERM signal, which delays job
# termination for 120 seconds."
STOP_GRACE_S = 120.0


class ChildProcesses:
    """Every process the runner started and has not reaped, so a shutdown can end them all."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen] = set()

    def start(self, command: list[str], **kwargs: Any) -> subprocess.Popen:
        with self._lock:
            process = subprocess.Popen(command, **kwargs)
            self._running.add(process)
            return process

    def reap(self, process: subprocess.Popen) -> None:
        with self._lock:
            self._running.discard(process)

    def terminate_all(self) -> None:
        with self._lock:
            running = list(self._running)
        for process in running:
            terminate(process)


def run_process(
    children: ChildProcesses,
    command: list[str],
    *,
    env: dict[str, str],
    cwd: Path,
    log: Path,
    max_runtime_s: float | None,
    watch: Callable[[], str | None] | None = None,
    tick_s: float = 0.25,
) -> tuple[int | None, str | None]:
    """Runs a job process with its output appended to `log`: (exit code, why it was ended or None).

    `watch` is called every `tick_s` while the process runs (checkpoint sync, a Stop*Job, a spot
    interruption); a reason it returns ends the process with SIGTERM and is returned.
    """
    deadline = None if max_runtime_s is None else time.monotonic() + max_runtime_s
    with log.open("ab") as out:
        process = children.start(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            while True:
                try:
                    return process.wait(timeout=tick_s), None
                except subprocess.TimeoutExpired:
                    pass
                reason = watch() if watch is not None else None
                if reason is None and deadline is not None and time.monotonic() > deadline:
                    reason = MAX_RUNTIME
                if reason is not None:
                    terminate(process, grace_s=STOP_GRACE_S)
                    return process.returncode, reason
        finally:
            children.reap(process)


def terminate(process: subprocess.Popen, grace_s: float = 10) -> None:
    """SIGTERM, as SageMaker stops a container, then SIGKILL after `grace_s`."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
