"""The processes the local cloud starts (jobs, model servers, Lambdas): started, reaped, ended together."""

from __future__ import annotations

import signal
import subprocess
import threading
from pathlib import Path
from typing import Any


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
) -> tuple[int | None, bool]:
    """Runs a job process with its output appended to `log`; (exit code, timed out)."""
    with log.open("ab") as out:
        process = children.start(
            command, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        try:
            return process.wait(timeout=max_runtime_s), False
        except subprocess.TimeoutExpired:
            terminate(process)
            return process.returncode, True
        finally:
            children.reap(process)


def terminate(process: subprocess.Popen) -> None:
    """SIGTERM, as SageMaker stops a container, then SIGKILL after 10 s."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
