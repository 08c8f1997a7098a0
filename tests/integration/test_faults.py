"""Faults on the embedded stack, bounded in time, loopback only: a worker killed while cases wait
on timers, PostgreSQL stopped under intake and actions, the Temporal dev server killed and
restarted on its database file. Nothing may be lost or recorded twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import pytest_asyncio
import uvicorn
from sqlalchemy import text
from temporalio.client import Client

from api.main import create_app
from caseflow import devstack
from caseflow.db import make_engine
from caseflow.db.migrate import migrate
from caseflow.policy import PACKAGED_DIR, PolicyBook
from caseflow.seed import seed_demo
from caseflow.settings import Settings
from caseflow.temporal import DATA_CONVERTER
from tests.integration.conftest import FAST_ROW, auth, complaint_body, ts

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[2]


class Stack:
    """Every part as its own process where a fault needs one: Temporal and the worker."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.temporal_port = devstack.free_port()
        self.api_port = devstack.free_port()
        self.address = f"127.0.0.1:{self.temporal_port}"
        self.pgdata = tmp / "pg"
        self.policy_dir = tmp / "policy"
        self.temporal: subprocess.Popen | None = None
        self.worker: subprocess.Popen | None = None

    def start_temporal(self) -> None:
        self.temporal = devstack.start_temporal_dev_server(
            self.tmp / "temporal.db", self.temporal_port, None, self.tmp / "temporal.log"
        )

    def kill_temporal(self) -> None:
        os.killpg(self.temporal.pid, signal.SIGKILL)
        self.temporal.wait(10)

    def start_worker(self) -> None:
        env = {
            **os.environ,
            "CASEFLOW_TEMPORAL_ADDRESS": self.address,
            "CASEFLOW_DATABASE_URL": self.url,
            "CASEFLOW_TASK_QUEUE": "faults",
            "CASEFLOW_POLICY_DIR": str(self.policy_dir),
            "CASEFLOW_POLICY_VERSION": "9900.1",
            "CASEFLOW_SCHEDULES": "false",
        }
        log = open(self.tmp / "worker.log", "ab")  # noqa: SIM115 - the child keeps it
        self.worker = subprocess.Popen(
            [sys.executable, "-m", "worker"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def kill_worker(self) -> None:
        self.worker.send_signal(signal.SIGKILL)
        self.worker.wait(10)

    def stop_postgres(self) -> None:
        devstack.stop_embedded_postgres(self.pgdata)

    def start_postgres(self) -> None:
        _, self.url = devstack.start_embedded_postgres(self.pgdata)


@pytest_asyncio.fixture(scope="module")
async def faults(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("faults"))
    s.policy_dir.mkdir()
    text_ = (PACKAGED_DIR / "2026.1.toml").read_text(encoding="utf-8")
    (s.policy_dir / "9900.1.toml").write_text(
        text_.replace('version = "2026.1"', 'version = "9900.1"') + FAST_ROW, encoding="utf-8"
    )
    book = PolicyBook.load(s.policy_dir, active="9900.1")
    s.start_postgres()
    await migrate(s.url)
    engine = make_engine(s.url)
    await seed_demo(engine)
    s.engine = engine
    s.start_temporal()
    await devstack.wait_for_temporal(s.address, 60, s.temporal, s.tmp / "temporal.log")
    s.client = await Client.connect(s.address, data_converter=DATA_CONVERTER)
    s.start_worker()
    settings = Settings(
        database_url=s.url,
        temporal_address=s.address,
        task_queue="faults",
        schedules=False,
        temporal_ui_url=None,
    )
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings, book),
            host="127.0.0.1",
            port=s.api_port,
            log_level="warning",
            timeout_keep_alive=settings.api_keep_alive_seconds,
        )
    )
    serve = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.05)
    s.http = httpx.AsyncClient(base_url=f"http://127.0.0.1:{s.api_port}", timeout=60)
    yield s
    await s.http.aclose()
    server.should_exit = True
    await serve
    for proc in (s.worker, s.temporal):
        if proc and proc.poll() is None:
            devstack.stop_process(proc, "child")
    await engine.dispose()
    s.stop_postgres()


async def _events(engine, case_id):
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT seq, kind FROM case_events WHERE case_id = :c ORDER BY seq"),
                {"c": case_id},
            )
        ).all()


async def _until(predicate, timeout: float = 40.0, every: float = 0.3):
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(every)
    raise AssertionError("condition not reached in time")


async def _taken_up(client, case_id) -> bool:
    """The worker has run the case's first task: its timers are armed in Temporal."""
    history = await client.get_workflow_handle(case_id).fetch_history()
    return any(e.HasField("workflow_task_completed_event_attributes") for e in history.events)


async def test_worker_killed_while_timers_wait_escalates_exactly_once(faults):
    r = await faults.http.post(
        "/api/v1/cases", json=complaint_body(channel="wechat"), headers=auth("channel")
    )
    assert r.status_code == 201, r.text
    cid = r.json()["case_id"]
    faults.kill_worker()  # SIGKILL: no goodbye
    # Intake needs no worker: the API routes the case, plans its deadline and records it.
    r = await faults.http.post(
        "/api/v1/cases", json=complaint_body(channel="wechat"), headers=auth("channel")
    )
    assert r.status_code == 201, r.text
    filed = r.json()
    late = filed["case_id"]
    assert filed["department"] == "customer_service" and filed["phase"] == "new"
    assert filed["windows"]["response"]["due_at"] is not None
    got = await faults.http.get(f"/api/v1/cases/{late}", headers=auth("supervisor"))
    assert got.status_code == 200
    assert got.json()["windows"]["response"]["due_at"] == filed["windows"]["response"]["due_at"]
    await asyncio.sleep(7)  # the 4 s deadlines pass with no worker at all
    for case_id in (cid, late):
        assert [k for _, k in await _events(faults.engine, case_id)] == ["intake"]
    faults.start_worker()

    for case_id in (cid, late):

        async def escalated(case_id=case_id):
            kinds = [k for _, k in await _events(faults.engine, case_id)]
            return "escalated" in kinds and kinds

        await _until(escalated)
    await asyncio.sleep(2)  # anything duplicated would have arrived by now
    for case_id in (cid, late):
        rows = await _events(faults.engine, case_id)
        assert [k for _, k in rows] == ["intake", "warning", "breach", "escalated"]
        assert [s for s, _ in rows] == [1, 2, 3, 4]
    # The workflow adopted the intake the API answered with: same clock, same deadline.
    truth = await faults.client.get_workflow_handle(late).query("snapshot")
    assert ts(truth["opened_at"]) == ts(filed["opened_at"])
    assert ts(truth["windows"]["response"]["due_at"]) == ts(filed["windows"]["response"]["due_at"])


async def test_postgres_outage_gives_503_and_the_read_model_catches_up(faults):
    r = await faults.http.post(
        "/api/v1/cases", json=complaint_body(channel="wechat"), headers=auth("channel")
    )
    cid = r.json()["case_id"]
    other = (
        await faults.http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    ).json()["case_id"]
    # Intake answers before the worker takes the case up; wait for that, so the outage below
    # meets a case whose timer is already armed (the one the test watches fire meanwhile).
    await _until(lambda: _taken_up(faults.client, cid))
    faults.stop_postgres()
    try:
        r = await faults.http.post(
            "/api/v1/cases",
            json=complaint_body(),
            headers={**auth("channel"), "Idempotency-Key": "outage-1"},
        )
        assert r.status_code == 503 and "database" in r.json()["detail"]
        r = await faults.http.post(f"/api/v1/cases/{other}/actions/accept", headers=auth("cs"))
        assert r.status_code == 503
        assert (await faults.http.get("/healthz")).status_code == 503
        await asyncio.sleep(6)  # the wechat case's deadline passes meanwhile
        handle = faults.client.get_workflow_handle(cid)
        truth = await handle.query("snapshot")
        # The workflow is alive and has acted on its timer; each transition waits for its
        # record (the activity retries) so the audit log never misses a step.
        assert truth["windows"]["response"]["warned_at"] is not None
    finally:
        faults.start_postgres()

    async def caught_up():
        async with faults.engine.connect() as conn:
            level = (
                await conn.execute(
                    text("SELECT escalation_level FROM cases WHERE case_id = :c"), {"c": cid}
                )
            ).scalar()
        return level == 2

    await _until(caught_up, timeout=90)
    # Afterwards the read model equals Temporal's truth, case by case.
    async with faults.engine.connect() as conn:
        rows = dict((await conn.execute(text("SELECT case_id, phase FROM cases"))).all())
    running = [w async for w in faults.client.list_workflows('TaskQueue = "faults"')]
    for wf in running:
        state = await faults.client.get_workflow_handle(wf.id).query("snapshot")
        assert rows[wf.id] == state["phase"], wf.id
    r = await faults.http.post(
        "/api/v1/cases",
        json=complaint_body(),
        headers={**auth("channel"), "Idempotency-Key": "outage-1"},
    )
    assert r.status_code == 201  # the retried intake goes through, once


async def test_temporal_killed_and_restarted_keeps_every_case_and_timer(faults):
    r = await faults.http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    slow = r.json()["case_id"]
    r = await faults.http.post(
        "/api/v1/cases", json=complaint_body(channel="wechat"), headers=auth("channel")
    )
    fast = r.json()["case_id"]
    faults.kill_temporal()
    await asyncio.sleep(1)
    faults.start_temporal()
    await devstack.wait_for_temporal(
        faults.address, 60, faults.temporal, faults.tmp / "temporal.log"
    )
    client = await Client.connect(faults.address, data_converter=DATA_CONVERTER)
    state = await client.get_workflow_handle(slow).query("snapshot")
    assert state["phase"] == "new" and state["windows"]["response"]["state"] == "running"

    async def escalated():
        kinds = [k for _, k in await _events(faults.engine, fast)]
        return "escalated" in kinds

    await _until(escalated, timeout=90)  # the timer armed before the crash still fires
    r = await faults.http.post(f"/api/v1/cases/{slow}/actions/accept", headers=auth("cs"))
    assert r.status_code == 200 and r.json()["phase"] == "in_progress"
    case_id = f"CMP-X-{uuid.uuid4().hex[:6]}"
    assert [w async for w in client.list_workflows(f'WorkflowId = "{case_id}"')] == []
