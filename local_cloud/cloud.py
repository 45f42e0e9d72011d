"""`LocalCloud`: starts the local AWS as a child process, waits until it answers, stops it leaving nothing."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from local_cloud.deploy import REGION, local_aws_env
from local_cloud.mlflow.server import STARTUP_TIMEOUT_S, MlflowServerError, stop_tree, url_of, wait_ready
from local_cloud.proc import group_members
from local_cloud.run_logs import tail

PROJECT_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_RUN_DIR = PROJECT_ROOT / ".local-cloud"


class LocalCloudError(RuntimeError):
    """The local cloud did not start; the message quotes its log."""


class LocalCloud:
    """with LocalCloud() as cloud: cloud.endpoint_url -> "http://localhost:PORT".

    The server runs in its own process group, and every job, model server and Lambda process it
    starts stays in that group, so `stop()` ends all of them together.
    """

    def __init__(
        self,
        run_dir: Path | str = DEFAULT_RUN_DIR,
        *,
        port: int | None = None,
        startup_timeout_s: float = 60,
        server_env: dict[str, str] | None = None,
        mlflow: bool = True,
    ) -> None:
        """`server_env`: extra environment for the server (e.g. LOCAL_CLOUD_SPOT_INTERRUPTIONS);
        `mlflow`: run the MLflow tracking server that stands for the stacks' MLflow App."""
        self.run_dir = Path(run_dir).resolve()
        self.port = port
        self.startup_timeout_s = startup_timeout_s
        self.process: subprocess.Popen | None = None
        self.process_group: int | None = None  # kept after stop(), to check nothing is left
        self.server_env = dict(server_env or {})
        self.mlflow = mlflow
        self.mlflow_port: int | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://localhost:{self.port}"

    @property
    def mlflow_url(self) -> str | None:
        """The local MLflow server (its UI and REST API), once started; None without one."""
        return url_of(self.mlflow_port) if self.mlflow_port else None

    def wait_for_mlflow(self, timeout_s: float = STARTUP_TIMEOUT_S) -> str:
        """Until the MLflow server answers (it starts beside the cloud, in seconds); its URL."""
        if not self.mlflow_port:
            raise LocalCloudError("this local cloud runs no MLflow server")
        try:
            wait_ready(self.mlflow_port, timeout_s, log=self.run_dir / "mlflow" / "server.log")
        except MlflowServerError as error:
            raise LocalCloudError(str(error)) from None
        return url_of(self.mlflow_port)

    def stop_mlflow(self) -> None:
        """Stops the MLflow server alone, as a tracking server that goes down mid-sweep (tests)."""
        pid_file = self.run_dir / "mlflow" / "server.pid"
        if pid_file.is_file():
            stop_tree(int(pid_file.read_text()))

    @property
    def server_log(self) -> Path:
        return self.run_dir / "server.log"

    def env(self) -> dict[str, str]:
        """os.environ plus what points the AWS SDKs and the CDK CLI at this cloud."""
        return local_aws_env(self.endpoint_url)

    def client(self, service: str):
        import boto3
        from botocore.config import Config

        return boto3.client(
            service,
            region_name=REGION,
            endpoint_url=self.endpoint_url,
            aws_access_key_id="local",
            aws_secret_access_key="local",
            aws_session_token="local",
            config=Config(retries={"mode": "adaptive", "max_attempts": 5}),
        )

    def start(self) -> LocalCloud:
        if self.process is not None:
            raise LocalCloudError("already started")
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.mlflow_port = free_port() if self.mlflow else None
        env = {**os.environ, **self.server_env, "PYTHONPATH": str(PROJECT_ROOT), "PYTHONUNBUFFERED": "1"}
        with self.server_log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "local_cloud",
                    "serve",
                    "--port",
                    str(self.port),
                    "--run-dir",
                    str(self.run_dir),
                    "--mlflow-port",
                    str(self.mlflow_port or 0),
                ],
                cwd=PROJECT_ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )
        self.process_group = self.process.pid  # start_new_session: the group id is the server's pid
        self._wait_ready()
        return self

    def leftover_processes(self) -> list[int]:
        """Live processes of the cloud's process group (the server, jobs, Lambdas); [] once stopped."""
        return group_members(self.process_group) if self.process_group else []

    def listening_addresses(self) -> set[tuple[str, int]]:
        """(address, port) of every TCP socket the cloud's processes (server, jobs, model servers) listen on."""
        return listening_sockets(self.leftover_processes())

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + self.startup_timeout_s
        process = self.process
        assert process is not None, "start() sets it"
        while time.monotonic() < deadline:
            if process.poll() is not None:
                self.process = None
                # Whatever it started before it exited (its group outlives it) goes with it.
                _signal_group(process.pid, signal.SIGKILL)
                raise LocalCloudError(
                    f"the local cloud exited at start; its log {self.server_log}:\n" + tail(self.server_log, 30)
                )
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/moto-api/data.json", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answered
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
                time.sleep(0.1)
        self.stop()
        raise LocalCloudError(
            f"the local cloud did not answer within {self.startup_timeout_s:.0f} s; see {self.server_log}"
        )

    def stop(self, timeout_s: float = 15) -> None:
        """Ends the server and everything it started (its whole process group)."""
        if self.process is None:
            return
        group = self.process.pid  # start_new_session: the group id is the server's pid
        _signal_group(group, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):  # then SIGKILL below
            self.process.wait(timeout=timeout_s)
        deadline = time.monotonic() + 5
        while _group_alive(group) and time.monotonic() < deadline:
            time.sleep(0.1)
        if _group_alive(group):
            _signal_group(group, signal.SIGKILL)
        self.process.wait()
        self.process = None

    def __enter__(self) -> LocalCloud:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _signal_group(group: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # the group has already ended
        os.killpg(group, sig)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def listening_sockets(pids: list[int]) -> set[tuple[str, int]]:
    """(address, port) of the TCP sockets in LISTEN state that `pids` hold, read from /proc (Linux)."""
    inodes: set[str] = set()
    for pid in pids:
        with contextlib.suppress(OSError):  # a process that ended meanwhile
            for fd in os.listdir(f"/proc/{pid}/fd"):
                with contextlib.suppress(OSError):
                    target = os.readlink(f"/proc/{pid}/fd/{fd}")
                    if target.startswith("socket:["):
                        inodes.add(target[8:-1])
    found = set()
    for table, family in (("/proc/net/tcp", socket.AF_INET), ("/proc/net/tcp6", socket.AF_INET6)):
        with contextlib.suppress(OSError), open(table) as rows:
            for row in list(rows)[1:]:
                fields = row.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: TCP_LISTEN
                    address, port = fields[1].split(":")
                    found.add((_proc_address(address, family), int(port, 16)))
    return found


def _proc_address(hex_address: str, family: int) -> str:
    """/proc/net/tcp* write addresses as hex of the in-memory bytes, 32-bit words in host order."""
    raw = bytes.fromhex(hex_address)
    if sys.byteorder == "little":
        raw = b"".join(raw[i : i + 4][::-1] for i in range(0, len(raw), 4))
    return socket.inet_ntop(family, raw)
