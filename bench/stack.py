"""The embedded stack the benchmark runs on, and the benchmark's own policy versions.

Temporal's dev server, PostgreSQL, caseflow's worker and API, and the raw twins' worker, each
its own process on loopback, as `caseflow dev` runs them. Payloads are encrypted (as in
production) for caseflow, not for the twins.

Policy versions written next to the packaged ones (pinned by the cases the benchmark files
directly; the API files with the packaged default, 2026.3):

- 9990.3 ("quiet"): 2026.3 plus a row for web complaints whose clocks run a day, so the cases of
  the sustained and memory phases fire nothing while later phases are measured.
- 9990.4 ("avalanche"): written just before the avalanche (the worker restarts to read it).
  Business hours open a few minutes ahead on a working day, and wechat complaints have a
  response window of a few working minutes: every case filed before the opening falls due at
  the same instant, as every complaint filed in a holiday week falls due on the first working
  morning. Its warning point is half the window, so the warnings collide too, before the
  deadlines.
"""

from __future__ import annotations

import asyncio
import dataclasses
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from temporalio.client import Client

from caseflow import devstack
from caseflow.codec import EncryptionCodec, new_key_setting, parse_keys
from caseflow.db import make_engine
from caseflow.db.migrate import migrate
from caseflow.policy import PACKAGED_DIR, PolicyBook
from caseflow.seed import seed_demo
from caseflow.settings import Settings
from caseflow.temporal import DATA_CONVERTER, connect

ROOT = Path(__file__).resolve().parents[1]
BASE_VERSION = "2026.3"  # the packaged default the API files with
QUIET = "9990.3"
AVALANCHE = "9990.4"
TWIN_QUEUE = "bench-twins"

QUIET_ROWS = """
[[windows]]
id = "bench-quiet"
case_type = "complaint"
channel = "web"
response = "24h"
decision = "24h"
"""


def _replace(text: str, old: str, new: str) -> str:
    if old not in text:
        raise RuntimeError(
            f"the {BASE_VERSION} policy no longer has {old!r}: update bench/stack.py"
        )
    return text.replace(old, new, 1)


def _base_policy(version: str) -> str:
    text = (PACKAGED_DIR / f"{BASE_VERSION}.toml").read_text(encoding="utf-8")
    text = _replace(text, f'version = "{BASE_VERSION}"', f'version = "{version}"')
    # Taken only when selected: never the active version by accident.
    return _replace(text, "case_types = [", 'reading = "strict"\ncase_types = [')


def write_quiet_policy(folder: Path) -> None:
    (folder / f"{QUIET}.toml").write_text(_base_policy(QUIET) + QUIET_ROWS, encoding="utf-8")


def _zone_for(opening: datetime) -> str:
    """Asia/Shanghai unless the opening falls too near its midnight; then a fixed-offset zone
    in which the opening is around noon (business hours must fit in one day)."""
    local = opening.astimezone(ZoneInfo("Asia/Shanghai"))
    if 1 <= local.hour < 21:
        return "Asia/Shanghai"
    offset = (12 - opening.astimezone(UTC).hour) % 24
    offset = offset - 24 if offset > 12 else offset
    # POSIX sign convention: Etc/GMT-8 is UTC+8.
    return "Etc/GMT" + (f"-{offset}" if offset > 0 else f"+{-offset}" if offset < 0 else "")


def write_avalanche_policy(
    folder: Path, opening: datetime, window_minutes: float, warn_minutes: float
) -> tuple[datetime, datetime]:
    """Version 9990.4: business hours open at `opening` (a working day), a wechat complaint
    is due `window_minutes` of working time later and warned `warn_minutes` after opening.
    Returns the shared warning instant and the shared deadline."""
    zone = _zone_for(opening)
    local = opening.astimezone(ZoneInfo(zone)).replace(microsecond=0)
    text = _base_policy(AVALANCHE)
    text = _replace(text, 'timezone = "Asia/Shanghai"', f'timezone = "{zone}"')
    text = _replace(text, "warn_ratio = 0.8", f"warn_ratio = {warn_minutes / window_minutes:.6f}")
    text = _replace(text, 'start = "09:00"', f'start = "{local:%H:%M:%S}"')
    text = _replace(text, 'end = "18:00"', 'end = "23:59:59"')
    text = _replace(text, "extra_workdays = []", f"extra_workdays = [{local:%Y-%m-%d}]")
    hours = window_minutes / 60
    text += f"""
[[windows]]
id = "bench-avalanche"
case_type = "complaint"
channel = "wechat"
response = "{hours:.6f}wh"
decision = "24h"
"""
    (folder / f"{AVALANCHE}.toml").write_text(text, encoding="utf-8")
    start = local.astimezone(UTC)
    return start + timedelta(minutes=warn_minutes), start + timedelta(minutes=window_minutes)


@dataclass
class Stack:
    tmp: Path
    temporal: subprocess.Popen
    worker: subprocess.Popen
    twins: subprocess.Popen
    api: subprocess.Popen
    url: str  # PostgreSQL (SQLAlchemy URL)
    address: str  # Temporal frontend
    base: str  # the API
    env: dict[str, str]
    policy_dir: Path
    payload_keys: str
    claim_keys: str

    @property
    def data_converter(self):
        """The converter caseflow's processes use: payloads encrypted with the stack's key."""
        return dataclasses.replace(
            DATA_CONVERTER, payload_codec=EncryptionCodec(parse_keys(self.payload_keys))
        )

    def settings(self) -> Settings:
        return Settings(
            temporal_address=self.address,
            database_url=self.url,
            payload_keys=self.payload_keys,
            claim_keys=self.claim_keys,
        )

    async def client(self) -> Client:
        """A client as the API has: encrypting, and signing the claims of what it starts
        (the worker refuses a case start without one)."""
        return await connect(self.settings())

    async def raw_client(self) -> Client:
        return await Client.connect(self.address, data_converter=DATA_CONVERTER)

    def book(self) -> PolicyBook:
        return PolicyBook.load(self.policy_dir, BASE_VERSION)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time (user + system) each part of the stack has used so far."""
        import psutil

        def cpu(pid: int | None, children: bool = False) -> float:
            try:
                proc = psutil.Process(pid)
                procs = [proc, *(proc.children(recursive=True) if children else [])]
                return sum(sum(p.cpu_times()[:2]) for p in procs)
            except psutil.Error:
                return 0.0

        return {
            "temporal": cpu(self.temporal.pid, children=True),
            "worker": cpu(self.worker.pid),
            "twins": cpu(self.twins.pid),
            "api": cpu(self.api.pid),
            "postgres": cpu(devstack.postgres_pid(self.tmp / "pg"), children=True),
            "bench": cpu(os.getpid()),
        }


def _log(tmp: Path, name: str):
    return open(tmp / f"{name}.log", "ab")  # noqa: SIM115 - the child keeps it


def _spawn_worker(tmp: Path, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "worker"],
        cwd=ROOT,
        env=env,
        stdout=_log(tmp, "worker"),
        stderr=subprocess.STDOUT,
    )


def _spawn_twins(tmp: Path, env: dict[str, str], address: str, url: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bench.twins",
            "--address",
            address,
            "--database-url",
            url,
            "--task-queue",
            TWIN_QUEUE,
        ],
        cwd=ROOT,
        env=env,
        stdout=_log(tmp, "twins"),
        stderr=subprocess.STDOUT,
    )


async def _prepare_database(url: str) -> None:
    from sqlalchemy import text

    from bench.twins import TWIN_TABLE

    await migrate(url)
    engine = make_engine(url)
    await seed_demo(engine)
    async with engine.begin() as conn:
        await conn.execute(text(TWIN_TABLE))
    await engine.dispose()


def start_stack(tmp: Path) -> Stack:
    temporal_port, api_port = devstack.free_port(), devstack.free_port()
    address = f"127.0.0.1:{temporal_port}"
    temporal = devstack.start_temporal_dev_server(
        tmp / "temporal.db", temporal_port, None, tmp / "temporal.log"
    )
    _, url = devstack.start_embedded_postgres(tmp / "pg")
    asyncio.run(devstack.wait_for_temporal(address, 60, temporal, tmp / "temporal.log"))
    asyncio.run(_prepare_database(url))
    policy_dir = tmp / "policy"
    policy_dir.mkdir()
    write_quiet_policy(policy_dir)
    keys = new_key_setting("bench")
    claim_keys = new_key_setting("bench-claims")
    env = {
        **os.environ,
        "CASEFLOW_TEMPORAL_ADDRESS": address,
        "CASEFLOW_DATABASE_URL": url,
        "CASEFLOW_POLICY_DIR": str(policy_dir),
        "CASEFLOW_POLICY_VERSION": BASE_VERSION,
        "CASEFLOW_SCHEDULES": "false",
        "CASEFLOW_LOG_LEVEL": "WARNING",
        "CASEFLOW_PAYLOAD_KEYS": keys,  # encrypted, as in production
        "CASEFLOW_CLAIM_KEYS": claim_keys,  # every case start and action signed, as in production
        # The benchmark is one agent acting as fast as it can: measure, do not throttle it.
        "CASEFLOW_RATE_LIMIT_ACTIONS": "0",
        "PYTHONPATH": str(ROOT),
    }
    worker = _spawn_worker(tmp, env)
    twins = _spawn_twins(tmp, env, address, url)  # the twins' client does not encrypt
    api = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "api.main:app",
            "--port",
            str(api_port),
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        stdout=_log(tmp, "api"),
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{api_port}"
    for _ in range(300):
        try:
            if httpx.get(f"{base}/healthz", timeout=2).status_code == 200:
                break
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    stack = Stack(
        tmp, temporal, worker, twins, api, url, address, base, env, policy_dir, keys, claim_keys
    )
    asyncio.run(wait_for_workers(stack))
    return stack


async def wait_for_workers(stack: Stack, timeout: float = 60) -> None:
    """Until both worker processes poll their task queues (by their pids: the server lists
    a stopped worker's pollers for a while)."""
    from temporalio.api.enums.v1 import TaskQueueType
    from temporalio.api.taskqueue.v1 import TaskQueue
    from temporalio.api.workflowservice.v1 import DescribeTaskQueueRequest

    client = await Client.connect(stack.address)
    for queue, proc, log in (
        ("caseflow", stack.worker, "worker"),
        (TWIN_QUEUE, stack.twins, "twins"),
    ):
        request = DescribeTaskQueueRequest(
            namespace="default",
            task_queue=TaskQueue(name=queue),
            task_queue_type=TaskQueueType.TASK_QUEUE_TYPE_WORKFLOW,
        )
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise devstack.StackError(
                    f"the {log} process exited ({proc.returncode}):\n"
                    + devstack.log_tail(stack.tmp / f"{log}.log")
                )
            described = await client.workflow_service.describe_task_queue(request)
            if any(p.identity.startswith(f"{proc.pid}@") for p in described.pollers):
                break
            if time.monotonic() > deadline:
                raise devstack.StackError(f"no {log} process polls {queue!r}")
            await asyncio.sleep(0.3)


async def restart_worker(stack: Stack) -> None:
    """A fresh caseflow worker process (it reads the policy files at start)."""
    await asyncio.to_thread(devstack.stop_process, stack.worker, "bench worker")
    stack.worker = _spawn_worker(stack.tmp, stack.env)
    await wait_for_workers(stack)


def stop_stack(s: Stack) -> None:
    for proc in (s.api, s.twins, s.worker, s.temporal):
        devstack.stop_process(proc, "bench child")
    devstack.stop_embedded_postgres(s.tmp / "pg")
