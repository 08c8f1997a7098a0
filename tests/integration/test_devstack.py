"""`caseflow dev` as a new user runs it: everything starts, the banner tells where, Ctrl-C stops
it all, and a second start finds the same cases."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import psutil
import pytest

from caseflow.devstack import free_port

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, api_port: int, temporal_port: int) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "caseflow.cli", "dev", "--headless", "--port", str(api_port),
         "--temporal-port", str(temporal_port), "--data-dir", str(data_dir)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )


def read_until(proc: subprocess.Popen, marker: str, timeout: float = 120) -> str:
    out, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        out.append(line)
        if marker in line:
            return "".join(out)
    proc.kill()
    raise AssertionError(f"never saw {marker!r}:\n{''.join(out)}")


def stop(proc: subprocess.Popen) -> str:
    children = psutil.Process(proc.pid).children(recursive=True)
    proc.send_signal(signal.SIGINT)
    rest, _ = proc.communicate(timeout=90)
    assert proc.returncode == 0, rest
    time.sleep(0.5)
    assert not [c for c in children if c.is_running() and c.status() != psutil.STATUS_ZOMBIE]
    return rest


def test_caseflow_dev_starts_stops_and_keeps_data(tmp_path):
    data = tmp_path / "data"
    api_port, temporal_port = free_port(), free_port()
    base = f"http://127.0.0.1:{api_port}"
    proc = start(data, api_port, temporal_port)
    banner = read_until(proc, "press Ctrl-C to stop")
    assert f"{base}/api/v1" in banner and f"{base}/docs" in banner
    assert "demo-agent-cs" in banner and "demo-supervisor" in banner
    assert f"127.0.0.1:{temporal_port}" in banner
    assert httpx.get(f"{base}/healthz").status_code == 200
    created = httpx.post(
        f"{base}/api/v1/cases",
        headers={"Authorization": "Bearer demo-channel-hotline"},
        json={"type": "complaint", "customer": {"name": "张三", "phone": "13800138000"},
              "channel": "phone", "category": "service", "severity": "general",
              "description": "survives a restart"},
        timeout=60,
    )
    assert created.status_code == 201, created.text
    case_id = created.json()["case_id"]
    out = stop(proc)
    assert "stopping PostgreSQL" in out and "stopped." in out

    proc = start(data, api_port, temporal_port)
    read_until(proc, "press Ctrl-C to stop")
    try:
        got = httpx.get(f"{base}/api/v1/cases/{case_id}",
                        headers={"Authorization": "Bearer demo-supervisor"})
        assert got.status_code == 200 and got.json()["phase"] == "new"
        accepted = httpx.post(f"{base}/api/v1/cases/{case_id}/actions/accept",
                              headers={"Authorization": "Bearer demo-agent-cs"}, timeout=60)
        assert accepted.status_code == 200, accepted.text  # the workflow is still alive
        assert accepted.json()["windows"]["response"]["due_at"] == \
            created.json()["windows"]["response"]["due_at"]
    finally:
        stop(proc)
