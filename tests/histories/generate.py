"""Regenerate the committed workflow histories the replay tests check.

    python3 tests/histories/generate.py

Runs fixed scenarios on the time-skipping test server with the real activities and an embedded
PostgreSQL in a temporary directory, then writes each case's event history as JSON here.
Regenerate only on purpose: a replay failure against the old files means a change to workflow
code is not replay-safe (guard it with workflow.patched instead).
"""

from __future__ import annotations

import asyncio
import shutil
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from caseflow.db import make_engine  # noqa: E402
from caseflow.db.migrate import migrate  # noqa: E402
from caseflow.devstack import start_embedded_postgres, stop_embedded_postgres  # noqa: E402
from caseflow.domain import (  # noqa: E402
    AcceptAction,
    AcknowledgeAction,
    Actor,
    CallbackAction,
    CaseInput,
    CaseType,
    Category,
    Channel,
    ConsentAction,
    ConvertAction,
    Customer,
    CustomerReplyAction,
    CustomerResponseAction,
    FeedbackAction,
    NoteAction,
    RequestInfoAction,
    ResolveAction,
    ReviewAction,
    Role,
    Satisfaction,
    Severity,
    TransferAction,
)
from caseflow.seed import seed_demo  # noqa: E402
from caseflow.temporal import DATA_CONVERTER  # noqa: E402
from worker import build_worker  # noqa: E402
from workflows.complaint import ComplaintWorkflow  # noqa: E402
from workflows.inquiry import InquiryWorkflow  # noqa: E402
from workflows.unsubscribe import UnsubscribeWorkflow  # noqa: E402

HOTLINE = Actor("channel.hotline", Role.CHANNEL, "hotline")
CS = Actor("agent.cs", Role.AGENT, "Li Na", "customer_service")
PRODUCT = Actor("agent.product", Role.AGENT, "Wang Wei", "product")
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR, "Chen Jing")
QUEUE = "histories"


def case_input(case_id: str, case_type: CaseType, **kw) -> CaseInput:
    return CaseInput(
        case_id=case_id, case_type=case_type, customer=Customer("张三", "13800138000"),
        channel=kw.pop("channel", Channel.PHONE), description="history scenario",
        created_by=HOTLINE, search_attributes=False, **kw,
    )


async def complaint_full(env):
    wf = ComplaintWorkflow
    h = await env.client.start_workflow(
        wf.run, case_input("CMP-HIST-FULL", CaseType.COMPLAINT, category=Category.SERVICE,
                           severity=Severity.GENERAL), id="CMP-HIST-FULL", task_queue=QUEUE)
    await h.execute_update(wf.opened)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.note, NoteAction(CS, "called the customer"))
    await h.execute_update(wf.transfer, TransferAction(CS, "product", "billing system"))
    await h.execute_update(wf.accept, AcceptAction(PRODUCT))
    await h.execute_update(wf.request_info, RequestInfoAction(PRODUCT, "which month?"))
    await env.sleep(timedelta(hours=30))
    await h.execute_update(wf.customer_reply, CustomerReplyAction(HOTLINE, "October"))
    await h.execute_update(wf.resolve, ResolveAction(PRODUCT, "refund 30", "billing check"))
    await h.execute_update(wf.feedback, FeedbackAction(PRODUCT, "refunded"))
    await h.execute_update(wf.dispute, CustomerResponseAction(HOTLINE, "not enough"))
    await h.execute_update(wf.resolve, ResolveAction(PRODUCT, "refund 60", "recheck"))
    await h.execute_update(wf.feedback, FeedbackAction(PRODUCT, "refunded more"))
    await h.execute_update(wf.callback, CallbackAction(PRODUCT, Satisfaction.SATISFIED))
    await h.result()
    return h


async def complaint_escalation(env):
    wf = ComplaintWorkflow
    h = await env.client.start_workflow(
        wf.run, case_input("CMP-HIST-ESC", CaseType.COMPLAINT, category=Category.SERVICE,
                           severity=Severity.URGENT), id="CMP-HIST-ESC", task_queue=QUEUE)
    await h.execute_update(wf.opened)
    await env.sleep(timedelta(hours=24, minutes=1))  # warning, breach, L2
    await env.sleep(timedelta(hours=4))  # L3
    await h.execute_update(wf.acknowledge, AcknowledgeAction(SUPERVISOR, "on it"))
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.resolve, ResolveAction(CS, "fixed", "network reset"))
    await h.execute_update(wf.feedback, FeedbackAction(CS, "fixed"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.UNSATISFIED))
    await h.result()
    return h


async def inquiry_converted(env):
    wf = InquiryWorkflow
    h = await env.client.start_workflow(
        wf.run, case_input("INQ-HIST-CONV", CaseType.INQUIRY), id="INQ-HIST-CONV",
        task_queue=QUEUE)
    await h.execute_update(wf.opened)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(
        wf.convert, ConvertAction(CS, Category.SERVICE, Severity.MAJOR, "aggrieved"))
    await h.result()
    return h


async def unsubscribe_done(env):
    wf = UnsubscribeWorkflow
    h = await env.client.start_workflow(
        wf.run, case_input("UNS-HIST-DONE", CaseType.UNSUBSCRIBE, services=["sms"],
                           channel=Channel.APP), id="UNS-HIST-DONE", task_queue=QUEUE)
    await h.execute_update(wf.opened)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.signal(wf.customer_consent, ConsentAction(HOTLINE, "Y"))
    for _ in range(60):
        if (await h.query(wf.snapshot)).phase.value == "under_review":
            break
        await env.sleep(timedelta(seconds=1))
    await h.execute_update(wf.review, ReviewAction(SUPERVISOR, True, "ok"))
    await h.result()
    return h


async def main() -> None:
    from temporalio.testing import WorkflowEnvironment

    tmp = Path(tempfile.mkdtemp())
    _, url = start_embedded_postgres(tmp / "pg")
    try:
        await migrate(url)
        engine = make_engine(url)
        await seed_demo(engine)
        async with await WorkflowEnvironment.start_time_skipping(
            test_server_existing_path=shutil.which("temporal-test-server"),
            data_converter=DATA_CONVERTER,
        ) as env, build_worker(env.client, engine, QUEUE):
            for scenario in (complaint_full, complaint_escalation, inquiry_converted,
                             unsubscribe_done):
                handle = await scenario(env)
                history = await handle.fetch_history()
                path = HERE / f"{scenario.__name__}.json"
                path.write_text(history.to_json(), encoding="utf-8")
                sys.stdout.write(f"wrote {path.name} ({len(history.events)} events)\n")
        await engine.dispose()
    finally:
        stop_embedded_postgres(tmp / "pg")
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    asyncio.run(main())
