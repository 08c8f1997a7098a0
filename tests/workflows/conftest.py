"""Workflow tests run on the real time-skipping test server with the real activities and
PostgreSQL. Time moves with `env.sleep()`; the state is read with the `snapshot` query."""

from __future__ import annotations

import contextlib
import shutil
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest_asyncio
from temporalio.client import WorkflowExecutionStatus
from temporalio.service import RPCError
from temporalio.testing import WorkflowEnvironment

from caseflow.domain import (
    Actor,
    CaseInput,
    CaseType,
    Category,
    Channel,
    Customer,
    CustomerTier,
    Role,
    Severity,
)
from caseflow.policy import PACKAGED_DIR, PolicyBook
from caseflow.temporal import DATA_CONVERTER
from worker import build_worker
from workflows.registry import WORKFLOWS

HOTLINE = Actor("channel.hotline", Role.CHANNEL, "hotline")
AGENT_CS = Actor("agent.cs", Role.AGENT, "Li Na", "customer_service")
AGENT_PRODUCT = Actor("agent.product", Role.AGENT, "Wang Wei", "product")
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR, "Chen Jing")


@pytest_asyncio.fixture(scope="session")
async def env():
    async with await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=shutil.which("temporal-test-server"),
        data_converter=DATA_CONVERTER,
    ) as env:
        yield env


class Harness:
    """A worker on its own task queue plus helpers to start cases."""

    def __init__(self, env: WorkflowEnvironment, engine, task_queue: str) -> None:
        self.env = env
        self.engine = engine
        self.task_queue = task_queue
        self.handles = []

    async def start(
        self,
        case_type: CaseType = CaseType.COMPLAINT,
        *,
        severity: Severity | None = Severity.GENERAL,
        category: Category | None = Category.SERVICE,
        channel: Channel = Channel.PHONE,
        tier: CustomerTier = CustomerTier.STANDARD,
        phone: str = "13800138000",
        services: list[str] | None = None,
        policy_version: str | None = None,
    ):
        prefix = {CaseType.COMPLAINT: "CMP", CaseType.INQUIRY: "INQ",
                  CaseType.UNSUBSCRIBE: "UNS"}[case_type]
        case_id = f"{prefix}-T-{uuid.uuid4().hex[:10]}"
        workflow_cls = WORKFLOWS[case_type]
        inp = CaseInput(
            case_id=case_id,
            case_type=case_type,
            customer=Customer("张三", phone, tier=tier),
            channel=channel,
            description="test case",
            created_by=HOTLINE,
            category=category if case_type == CaseType.COMPLAINT else category,
            severity=severity if case_type == CaseType.COMPLAINT else None,
            search_attributes=False,  # the test server does not index custom attributes
            services=services or [],
            policy_version=policy_version,
        )
        handle = await self.env.client.start_workflow(
            workflow_cls.run, inp, id=case_id, task_queue=self.task_queue
        )
        self.handles.append(handle)
        state = await handle.execute_update(workflow_cls.opened)
        return handle, state

    async def terminate_open(self) -> None:
        """Open cases whose worker is gone would hold the test server's clock still (their
        timers fire into a task queue nobody polls): end them with the worker."""
        for handle in self.handles:
            with contextlib.suppress(RPCError):
                desc = await handle.describe()
                if desc.status == WorkflowExecutionStatus.RUNNING:
                    await handle.terminate("test finished")


@pytest_asyncio.fixture(scope="module")
async def harness(env, db_engine):
    task_queue = f"tq-{uuid.uuid4().hex[:8]}"
    harness = Harness(env, db_engine, task_queue)
    async with build_worker(env.client, db_engine, task_queue):
        yield harness
        await harness.terminate_open()


def write_policy(tmp_dir: Path, version: str, replace: dict[str, str]) -> Path:
    """A copy of the packaged policy under a new version, with text replacements applied."""
    text = (PACKAGED_DIR / "2026.1.toml").read_text(encoding="utf-8")
    text = text.replace('version = "2026.1"', f'version = "{version}"')
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
