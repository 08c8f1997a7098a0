"""Two of everything: a stack whose every part is a process of its own, as deployed. The
Temporal dev server persisted to its database file, PostgreSQL, two workers and two API
processes on one task queue and one database, every log to a file, payloads encrypted, and the
notification gateways (the SMS provider's endpoint and a WeCom group robot) stood in for by a
local HTTP server that records every send by the notification's idempotency key.

Used by the burst test (a worker SIGKILLed mid-burst), the reconciler test (a workflow
terminated with the Temporal CLI) and the personal-data scan (every log file, temporal.db and
every history payload searched), all on the same stack (`replicated`, this package's fixture).
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import subprocess
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from aiohttp import web
from temporalio.client import Client

from caseflow import devstack
from caseflow.codec import new_key_setting
from caseflow.db import make_engine
from caseflow.db.migrate import migrate
from caseflow.policy import PACKAGED_DIR
from caseflow.seed import seed_demo
from caseflow.settings import Settings
from caseflow.temporal import DATA_CONVERTER, connect

ROOT = Path(__file__).resolve().parents[3]
TASK_QUEUE = "replicas"
POLICY_VERSION = "9901.1"
STARTUP_TIMEOUT = 120.0
# Windows short enough to watch: WeChat complaints answered within 4 s (the burst's
# breaches), web complaints within 12 s (a deadline that must survive a lost workflow).
FAST_ROWS = """
[[windows]]
id = "test-fast-wechat"
case_type = "complaint"
channel = "wechat"
response = "4s"

[[windows]]
id = "test-fast-web"
case_type = "complaint"
channel = "web"
response = "12s"
"""
IDEMPOTENCY_KEY = re.compile(r"caseflow-notification-(\d+)")


@dataclass
class Sent:
    notification_id: int
    gateway: str  # "sms" / "wecom"
    at: float


@dataclass
class Gateways:
    """One local HTTP server standing in for the SMS provider (`/`) and the group robot
    (`/wecom`): every send is recorded by the notification id its idempotency key carries."""

    url: str = ""
    sent: list[Sent] = field(default_factory=list)
    unreadable: int = 0  # sends that carried no idempotency key (must stay 0)

    def by_id(self) -> Counter[int]:
        return Counter(s.notification_id for s in self.sent)

    async def sms(self, request: web.Request) -> web.Response:
        self._record(request.query.get("OutId", ""), "sms")
        await request.read()
        return web.json_response(
            {"RequestId": "r", "Code": "OK", "Message": "OK", "BizId": f"biz-{len(self.sent)}"}
        )

    async def wecom(self, request: web.Request) -> web.Response:
        body = await request.json()
        content = (body.get("markdown") or body.get("text") or {}).get("content", "")
        self._record(content, "wecom")
        return web.json_response({"errcode": 0, "errmsg": "ok"})

    def _record(self, text: str, gateway: str) -> None:
        found = IDEMPOTENCY_KEY.search(text)
        if found is None:
            self.unreadable += 1
            return
        self.sent.append(Sent(int(found.group(1)), gateway, time.monotonic()))


class ReplicatedStack:
    """Temporal, PostgreSQL, `workers` worker processes and `apis` API processes."""

    def __init__(self, tmp: Path, workers: int = 2, apis: int = 2) -> None:
        self.tmp = tmp
        self.logs = tmp / "logs"
        self.pgdata = tmp / "pgdata"
        self.policy_dir = tmp / "policy"
        self.temporal_db = tmp / "temporal.db"
        self.temporal_port = devstack.free_port()
        self.api_ports = [devstack.free_port() for _ in range(apis)]
        self.payload_keys = f"{new_key_setting('k2')},{new_key_setting('k1')}"
        self.gateways = Gateways()
        self.temporal: subprocess.Popen | None = None
        self.workers: list[subprocess.Popen | None] = [None] * workers
        self.apis: list[subprocess.Popen | None] = [None] * apis
        self._runner: web.AppRunner | None = None

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.temporal_port}"

    @property
    def bases(self) -> list[str]:
        return [f"http://127.0.0.1:{p}" for p in self.api_ports]

    def log(self, kind: str, index: int) -> Path:
        return devstack.numbered_log(self.logs, kind, index)

    # ------------------------------------------------------------------ start and stop
    async def start(self) -> None:
        self.logs.mkdir(parents=True)
        self.policy_dir.mkdir()
        base = (PACKAGED_DIR / "2026.3.toml").read_text(encoding="utf-8")
        (self.policy_dir / f"{POLICY_VERSION}.toml").write_text(
            base.replace('version = "2026.3"', f'version = "{POLICY_VERSION}"') + FAST_ROWS,
            encoding="utf-8",
        )
        await self._start_gateways()
        self.temporal = devstack.start_temporal_dev_server(
            self.temporal_db, self.temporal_port, None, self.logs / "temporal.log"
        )
        _, self.url = devstack.start_embedded_postgres(self.pgdata)
        await migrate(self.url)
        self.engine = make_engine(self.url)
        await seed_demo(self.engine)
        probe = await self._wait_for_temporal()
        await devstack.ensure_search_attributes(probe)
        # The test's own clients: one as the workers and API connect (payloads decrypted),
        # one that sees what Temporal stores (no codec: ciphertext).
        self.client = await connect(self.settings())
        self.raw_client = await Client.connect(self.address, data_converter=DATA_CONVERTER)
        for i in range(1, len(self.workers) + 1):
            self.start_worker(i)
        await self.wait_for_workers()
        for i in range(1, len(self.apis) + 1):
            self.start_api(i)
        async with httpx.AsyncClient(timeout=5) as http:
            for i, base in enumerate(self.bases, 1):
                await self._wait_healthy(http, base, i)

    async def _wait_for_temporal(self, attempts: int = 3) -> Client:
        """The dev server answering on its port. The port was free when picked, but other
        suites on the machine pick ports too: if another process bound it first, the server
        exits at once, and it starts again on a port picked now."""
        log = self.logs / "temporal.log"
        for attempt in range(1, attempts + 1):
            try:
                return await devstack.wait_for_temporal(
                    self.address, STARTUP_TIMEOUT, self.temporal, log
                )
            except devstack.StackError as exc:
                if attempt == attempts or "address already in use" not in str(exc):
                    raise
            self.temporal_port = devstack.free_port()
            self.temporal = devstack.start_temporal_dev_server(
                self.temporal_db, self.temporal_port, None, log
            )
        raise AssertionError("unreachable")

    def settings(self) -> Settings:
        return Settings(
            database_url=self.url,
            temporal_address=self.address,
            task_queue=TASK_QUEUE,
            payload_keys=self.payload_keys,
            policy_dir=self.policy_dir,
            policy_version=POLICY_VERSION,
        )

    def env(self) -> dict[str, str]:
        robots = {"*": {"kind": "wecom", "url": f"{self.gateways.url}/wecom?key=test"}}
        return {
            **os.environ,
            "PYTHONUNBUFFERED": "1",
            "CASEFLOW_TEMPORAL_ADDRESS": self.address,
            "CASEFLOW_DATABASE_URL": self.url,
            "CASEFLOW_TASK_QUEUE": TASK_QUEUE,
            "CASEFLOW_POLICY_DIR": str(self.policy_dir),
            "CASEFLOW_POLICY_VERSION": POLICY_VERSION,
            "CASEFLOW_PAYLOAD_KEYS": self.payload_keys,
            "CASEFLOW_TEMPORAL_UI_URL": "",
            "CASEFLOW_LOG_LEVEL": "DEBUG",  # the personal-data scan reads the most there is
            # Both workers create the Schedules at start (one wins, the other finds them); the
            # reconciler runs every 5 minutes and is triggered by the tests in between.
            "CASEFLOW_SCHEDULES": "true",
            "CASEFLOW_RECONCILE_GRACE_SECONDS": "600",
            # The burst files hundreds of cases as one channel: no per-caller limits here.
            "CASEFLOW_RATE_LIMIT_ACTIONS": "0",
            "CASEFLOW_RATE_LIMIT_AUTH_FAILURES": "0",
            "CASEFLOW_NOTIFY_SMS_ACCESS_KEY_ID": "LTAI-test",
            "CASEFLOW_NOTIFY_SMS_ACCESS_KEY_SECRET": "test-secret",
            "CASEFLOW_NOTIFY_SMS_TEMPLATE_CODE": "SMS_000001",
            "CASEFLOW_NOTIFY_SMS_ENDPOINT": self.gateways.url,
            "CASEFLOW_NOTIFY_ROBOTS": json.dumps(robots),
            "CASEFLOW_NOTIFY_TIMEOUT": "5",
        }

    def _spawn(self, cmd: list[str], log: Path) -> subprocess.Popen:
        with open(log, "ab") as out:
            return subprocess.Popen(
                cmd,
                cwd=ROOT,
                env=self.env(),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    async def wait_for_workers(self) -> None:
        """Until every worker process polls the task queue (each by its own poller identity:
        a killed worker's lingers in Temporal's list for a while)."""
        procs = [(p, self.log("worker", i)) for i, p in enumerate(self.workers, 1) if p]
        await devstack.wait_for_worker(self.client, TASK_QUEUE, STARTUP_TIMEOUT, procs=procs)

    def start_worker(self, i: int) -> None:
        self.workers[i - 1] = self._spawn(devstack.worker_command(), self.log("worker", i))

    def kill_worker(self, i: int) -> None:
        """SIGKILL: no goodbye, no graceful shutdown, whatever it held in flight is lost."""
        proc = self.workers[i - 1]
        assert proc is not None and proc.poll() is None, f"worker {i} is not running"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(10)

    def start_api(self, i: int) -> None:
        # INFO: the access log (every URL) is in the file the scan reads.
        port = self.api_ports[i - 1]
        self.apis[i - 1] = self._spawn(
            devstack.api_command(port, self.settings().api_keep_alive_seconds, "info"),
            self.log("api", i),
        )

    async def _wait_healthy(self, http: httpx.AsyncClient, base: str, i: int) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            proc = self.apis[i - 1]
            assert proc is not None and proc.poll() is None, devstack.log_tail(self.log("api", i))
            try:
                if (await http.get(f"{base}/healthz")).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.3)
        raise AssertionError(f"API {i} not healthy: {devstack.log_tail(self.log('api', i))}")

    async def _start_gateways(self) -> None:
        app = web.Application()
        app.router.add_post("/wecom", self.gateways.wecom)
        app.router.add_post("/", self.gateways.sms)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.gateways.url = f"http://127.0.0.1:{self._runner.addresses[0][1]}"

    async def stop(self) -> None:
        parts = [
            *((f"API {i}", p) for i, p in enumerate(self.apis, 1)),
            *((f"worker {i}", p) for i, p in enumerate(self.workers, 1)),
            ("Temporal", self.temporal),
        ]
        for name, proc in parts:
            if proc is not None and proc.poll() is None:
                devstack.stop_process(proc, name, timeout=10)
        if getattr(self, "engine", None) is not None:
            await self.engine.dispose()
        devstack.stop_embedded_postgres(self.pgdata)
        if self._runner is not None:
            await self._runner.cleanup()
