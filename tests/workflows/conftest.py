"""Workflow tests run on the real time-skipping test server with the real activities and
PostgreSQL. Time moves with `env.sleep()`; the state is read with the `snapshot` query.

One test server for the session; one worker (its own task queue) per module via `harness`, or
per test via `policy_harness` when a test needs a policy of its own. Note that the server's
clock is shared: every `env.sleep` moves it for all cases, so tests read "now" from the server
(`env.get_current_time()`) and never from the machine.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from caseflow.binaries import installed_binary
from caseflow.claim_interceptors import SignClaims
from caseflow.domain import (
    Actor,
    CaseState,
    CaseType,
    Channel,
    Customer,
    Phase,
    Role,
)
from caseflow.policy import PACKAGED_DIR, PolicyBook
from caseflow.settings import get_settings
from caseflow.temporal import DATA_CONVERTER
from tests.conftest import fetch_events, fetch_notifications
from tests.factories import case_input
from tests.sandbox import checked_worker
from workflows.registry import WORKFLOWS

HOTLINE = Actor("channel.hotline", Role.CHANNEL, "hotline")
AGENT_CS = Actor("agent.cs", Role.AGENT, "Li Na", "customer_service")
AGENT_PRODUCT = Actor("agent.product", Role.AGENT, "Wang Wei", "product")
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR, "Chen Jing")


@pytest_asyncio.fixture(scope="session")
async def env():
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=installed_binary("temporal-test-server"),
        data_converter=DATA_CONVERTER,
        interceptors=[SignClaims(get_settings().claim_key_ring())],  # as the API's client
    ) as env:
        yield env


class Harness:
    """A worker on its own task queue plus helpers to start cases."""

    def __init__(self, env: WorkflowEnvironment, engine, task_queue: str) -> None:
        self.env = env
        self.engine = engine
        self.task_queue = task_queue
        self.handles = []

    # The policy version cases start on when a test names none (None: the active one). The
    # window-mechanics modules pin 2026.2, the version they were written against; the clocks
    # 2026.3 adds are tested in test_standards_clocks.py.
    default_policy_version: str | None = None

    async def start(self, case_type: CaseType = CaseType.COMPLAINT, **kwargs):
        """Start a case as its channel files it (see tests.factories.case_input for the
        options) and wait until its intake is recorded."""
        kwargs.setdefault("policy_version", self.default_policy_version)
        inp = case_input(case_type, **kwargs)
        workflow_cls = WORKFLOWS[case_type]
        handle = await self.env.client.start_workflow(
            workflow_cls.run, inp, id=inp.case_id, task_queue=self.task_queue
        )
        self.handles.append(handle)
        state = await handle.execute_update(workflow_cls.opened)
        return handle, state

    async def terminate_open(self) -> None:
        """Open cases whose worker is gone would hold the test server's clock still (their
        timers fire into a task queue nobody polls): end them with the worker."""
        handles, self.handles = self.handles, []
        for handle in handles:
            with contextlib.suppress(RPCError):
                desc = await handle.describe()
                if desc.status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("test finished")

    async def sleep_until(self, instant: datetime, offset: timedelta = timedelta(0)) -> None:
        """Move the server's clock to `instant + offset` (firing every timer on the way)."""
        await sleep_until(self.env, instant, offset)


@pytest_asyncio.fixture(scope="module")
async def harness(env, db_engine):
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    harness = Harness(env, db_engine, task_queue)
    async with checked_worker(env.client, db_engine, task_queue):
        yield harness
        await harness.terminate_open()


@pytest.fixture(scope="module")
def on_2026_2(harness):
    """The module's cases start on policy 2026.2 when they name no version: the window
    mechanics its tests were written against (handling from acceptance, no decision or
    transfer-completion clocks). 2026.3's clocks are in test_standards_clocks.py."""
    harness.default_policy_version = "2026.2"
    yield
    harness.default_policy_version = None


@contextlib.asynccontextmanager
async def policy_harness(env, engine, book: PolicyBook) -> AsyncIterator[Harness]:
    """A worker of its own (own task queue) with `book` as its policy; its cases end with it."""
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    harness = Harness(env, engine, task_queue)
    async with checked_worker(env.client, engine, task_queue, book):
        try:
            yield harness
        finally:
            await harness.terminate_open()


async def sleep_until(
    env: WorkflowEnvironment, instant: datetime, offset: timedelta = timedelta(0)
) -> None:
    now = await env.get_current_time()
    gap = instant + offset - now
    assert gap > timedelta(0), f"{instant + offset} is already past (server time {now})"
    await env.sleep(gap)


async def events_of(engine, case_id: str) -> list[dict]:
    """The case's rows in case_events (PostgreSQL), in sequence order."""
    return await fetch_events(engine, case_id)


async def settle(handle, engine, timeout: float = 15.0) -> tuple[CaseState, list[dict]]:
    """The case's state (snapshot query) and its case_events rows, once every audit event the
    workflow has produced is in PostgreSQL (a transition is recorded by an activity, which may
    still be running when `env.sleep` returns)."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while True:
        state = await handle.query("snapshot", result_type=CaseState)
        events = await fetch_events(engine, state.case_id)
        if [e["seq"] for e in events] == list(range(1, state.seq + 1)):
            return state, events
        if loop.time() > give_up:
            raise AssertionError(
                f"{state.case_id}: workflow at seq {state.seq}, PostgreSQL has "
                f"{[e['seq'] for e in events]}"
            )
        await asyncio.sleep(0.02)


async def closed_state(handle, timeout: float = 15.0) -> CaseState:
    """The final state of a case that is finishing, without `handle.result()`: on the
    time-skipping server a result wait unlocks time skipping, and the clock then jumps to the
    next timer it knows of, which after a case completed is that case's default 10-year run
    timeout; every later test would run a decade ahead. Polls `describe()` instead."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + timeout
    while (await handle.describe()).status == WorkflowExecutionStatus.RUNNING:
        assert loop.time() < give_up, f"{handle.id} is still running"
        await asyncio.sleep(0.02)
    assert (await handle.describe()).status == WorkflowExecutionStatus.COMPLETED
    return await handle.query("snapshot", result_type=CaseState)


async def notifications_of(engine, case_id: str) -> list[dict]:
    return await fetch_notifications(engine, case_id)


BASE_VERSION = "2026.2"  # the window mechanics the policy-engine tests were written against


def write_policy(tmp_dir: Path, version: str, replace: dict[str, str]) -> Path:
    """A copy of the packaged policy under a new version, with text replacements applied."""
    text = (PACKAGED_DIR / f"{BASE_VERSION}.toml").read_text(encoding="utf-8")
    text = text.replace(f'version = "{BASE_VERSION}"', f'version = "{version}"')
    for old, new in replace.items():
        assert old in text, old
        text = text.replace(old, new)
    tmp_dir.mkdir(parents=True, exist_ok=True)
    path = tmp_dir / f"{version}.toml"
    path.write_text(text, encoding="utf-8")
    return path


def book_with(tmp_dir: Path, active: str) -> PolicyBook:
    return PolicyBook.load(tmp_dir, active=active)


def close_to(a: datetime, b: datetime, tolerance: timedelta = timedelta(seconds=1)) -> bool:
    return abs(a.astimezone(UTC) - b.astimezone(UTC)) <= tolerance


def bare_state(case_id: str, now: datetime, *, seq: int = 1, phase: Phase = Phase.NEW) -> CaseState:
    """A minimal complaint snapshot, for feeding the record activity directly."""
    return CaseState(
        case_id=case_id,
        case_type=CaseType.COMPLAINT,
        phase=phase,
        customer=Customer("李四", "13900000000"),
        channel=Channel.SMS,
        reply_channel=Channel.SMS,
        category=None,
        severity=None,
        description="d",
        department="customer_service",
        assignee=None,
        policy_version="2026.1",
        opened_at=now,
        updated_at=now,
        seq=seq,
    )
