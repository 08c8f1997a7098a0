"""`caseflow dev` as a new user runs it: everything starts, the banner tells where, Ctrl-C stops
it all (nothing left running), and a second start on the same data finds the same cases."""

from __future__ import annotations

import importlib.util
import os
import queue
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import psutil
import pytest

from caseflow.devstack import free_port, port_is_free, postgres_pid, stop_embedded_postgres
from tests.integration.conftest import complaint_body

ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 180  # first start creates the PostgreSQL cluster and migrates
STOP_TIMEOUT = 60

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        importlib.util.find_spec("worker") is None
        or importlib.util.find_spec("api") is None
        or importlib.util.find_spec("api.main") is None,
        reason="caseflow dev runs `python -m worker` and `api.main:app`: not written yet",
    ),
]


class Dev:
    """`caseflow dev` in a subprocess, its output read by a thread so every wait is bounded."""

    def __init__(
        self,
        data_dir: Path,
        api_port: int,
        temporal_port: int,
        *extra: str,
        ui_port: int | None = None,
    ) -> None:
        """Headless unless a `ui_port` is given for the Temporal UI; `extra` options follow."""
        self.pgdata = data_dir / "pgdata"
        ui = ["--headless"] if ui_port is None else ["--ui-port", str(ui_port)]
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "caseflow.cli",
                "dev",
                *ui,
                "--port",
                str(api_port),
                "--temporal-port",
                str(temporal_port),
                "--data-dir",
                str(data_dir),
                *extra,
            ],
            cwd=ROOT,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        for line in self.proc.stdout:
            self._queue.put(line)
        self._queue.put(None)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def read_until(self, marker: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self._queue.get(timeout=min(1.0, max(0.01, deadline - time.monotonic())))
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
            if marker in line:
                return self.output
        self.kill()
        raise AssertionError(f"never saw {marker!r} within {timeout} s:\n{self.output}")

    def wait_exit(self, timeout: float) -> int:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"did not exit within {timeout} s:\n{self.output}") from None
        deadline = time.monotonic() + 5
        while time.monotonic() < deadline:  # the rest of the output
            try:
                line = self._queue.get(timeout=0.5)
            except queue.Empty:
                continue
            if line is None:
                break
            self.lines.append(line)
        return code

    def processes(self) -> list[psutil.Process]:
        """Every process the run owns: its children, theirs, and the PostgreSQL server."""
        procs = psutil.Process(self.proc.pid).children(recursive=True)
        pid = postgres_pid(self.pgdata)
        assert pid is not None, "PostgreSQL is not running"
        procs.append(psutil.Process(pid))
        return procs

    def kill(self) -> None:
        """Last resort when a test fails: this run's processes only, PostgreSQL included."""
        if self.proc.poll() is None:
            for child in psutil.Process(self.proc.pid).children(recursive=True):
                child.kill()
            self.proc.kill()
            self.proc.wait(10)
        stop_embedded_postgres(self.pgdata)


def port_pair() -> int:
    """A free port whose next one is free too (the second run has an API replica there)."""
    for _ in range(50):
        port = free_port()
        if port < 65535 and port_is_free(port + 1):
            return port
    raise AssertionError("no two consecutive free ports")


def still_running(procs: list[psutil.Process]) -> list[psutil.Process]:
    alive = []
    for p in procs:
        try:
            if p.is_running() and p.status() != psutil.STATUS_ZOMBIE:
                alive.append(p)
        except psutil.NoSuchProcess:
            pass
    return alive


def stop(dev: Dev, parts: int = 4) -> str:
    procs = dev.processes()
    assert len(procs) >= parts, procs  # Temporal, worker(s), API(s), PostgreSQL
    dev.proc.send_signal(signal.SIGINT)
    code = dev.wait_exit(STOP_TIMEOUT)
    assert code == 0, dev.output
    deadline = time.monotonic() + 10
    while still_running(procs) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not still_running(procs), (still_running(procs), dev.output)
    assert postgres_pid(dev.pgdata) is None
    return dev.output


def test_caseflow_dev_starts_stops_and_keeps_data(tmp_path):
    data = tmp_path / "data"
    pgdata = data / "pgdata"
    api_port, temporal_port = port_pair(), free_port()
    base = f"http://127.0.0.1:{api_port}"

    dev = Dev(data, api_port, temporal_port)
    try:
        banner = dev.read_until("press Ctrl-C to stop", START_TIMEOUT)
        assert f"{base}/api/v1" in banner and f"{base}/docs" in banner
        assert f"127.0.0.1:{temporal_port}" in banner and str(pgdata) in banner
        for token in ("demo-agent-cs", "demo-supervisor", "demo-channel-hotline"):
            assert token in banner
        assert "agent-cs-demo" in banner and "supervisor-demo" in banner  # page passwords
        assert f"curl -s -X POST {base}/api/v1/cases" in banner
        assert httpx.get(f"{base}/healthz", timeout=10).status_code == 200

        # A second stack on the same data is refused, and the first one is unharmed.
        second = subprocess.run(
            [
                sys.executable,
                "-m",
                "caseflow.cli",
                "dev",
                "--headless",
                "--port",
                str(free_port()),
                "--temporal-port",
                str(free_port()),
                "--data-dir",
                str(data),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert second.returncode == 1 and "another `caseflow dev`" in second.stderr, second

        created = httpx.post(
            f"{base}/api/v1/cases",
            headers={"Authorization": "Bearer demo-channel-hotline"},
            json=complaint_body(description="survives a restart"),
            timeout=60,
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        out = stop(dev)
        assert "stopping the API" in out and "stopping PostgreSQL" in out
        assert (
            out.index("stopping the API")
            < out.index("stopping the worker")
            < out.index("stopping the Temporal dev server")
            < out.index("stopping PostgreSQL")
        )
        assert out.rstrip().endswith("stopped.")
    finally:
        dev.kill()

    # Same data directory, same ports, now two of everything: two worker processes and two
    # API processes on consecutive ports, either replica serving any case.
    dev = Dev(data, api_port, temporal_port, "--workers", "2", "--api-replicas", "2")
    replica = f"http://127.0.0.1:{api_port + 1}"
    try:
        banner = dev.read_until("press Ctrl-C to stop", START_TIMEOUT)
        assert f"API replicas   {replica}" in banner and "Workers        2" in banner
        got = httpx.get(
            f"{replica}/api/v1/cases/{case_id}",
            headers={"Authorization": "Bearer demo-supervisor"},
            timeout=30,
        )
        assert got.status_code == 200 and got.json()["phase"] == "new", got.text
        accepted = httpx.post(
            f"{base}/api/v1/cases/{case_id}/actions/accept",
            headers={"Authorization": "Bearer demo-agent-cs"},
            timeout=60,
        )
        assert accepted.status_code == 200, accepted.text  # its workflow is still alive
        assert (
            accepted.json()["windows"]["response"]["due_at"]
            == created.json()["windows"]["response"]["due_at"]
        )
        workers = [p for p in dev.processes() if p.cmdline()[-2:] == ["-m", "worker"]]
        assert len(workers) == 2
        logs = data / "logs"
        assert (logs / "worker-2.log").exists() and (logs / "api-2.log").exists()
        out = stop(dev, parts=6)
        assert "stopping the API 2" in out and "stopping the worker 2" in out
    finally:
        dev.kill()


def test_caseflow_dev_says_which_port_is_taken(tmp_path):
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "caseflow.cli",
                "dev",
                "--headless",
                "--port",
                str(port),
                "--temporal-port",
                str(free_port()),
                "--data-dir",
                str(tmp_path / "data"),
            ],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 1
    assert f"port {port} is in use; set CASEFLOW_API_PORT or pass --port" in result.stderr
    assert not (tmp_path / "data" / "pgdata").exists()  # nothing was started
