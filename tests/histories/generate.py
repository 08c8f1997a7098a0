"""Regenerate the committed workflow histories the replay tests check.

    python3 tests/histories/generate.py                 # every scenario, written here
    python3 tests/histories/generate.py --out /tmp/h    # somewhere else (to compare first)
    python3 tests/histories/generate.py complaint_full  # only the scenarios named

Runs fixed scenarios on the time-skipping test server with the real worker and activities and
an embedded PostgreSQL in a temporary directory (removed afterwards), then writes each case's
event history as JSON (`WorkflowHistory.to_json()`). Rerunnable: every run starts from nothing.

Regenerate only on purpose (histories of retired code paths stay under v1/ and keep replaying):
a replay failure against the old files means a change to workflow
code is not replay-safe for running cases (guard it with `workflow.patched` instead).
The scenario functions are also run by tests/workflows/test_replay.py, so they cannot rot.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, timedelta
from pathlib import Path

from temporalio.client import WithStartWorkflowOperation, WorkflowExecutionStatus
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent.parent))

from caseflow.binaries import installed_binary  # noqa: E402
from caseflow.claim_interceptors import SignClaims  # noqa: E402
from caseflow.db import make_engine  # noqa: E402
from caseflow.db.migrate import migrate  # noqa: E402
from caseflow.devstack import start_embedded_postgres, stop_embedded_postgres  # noqa: E402
from caseflow.domain import (  # noqa: E402
    AcceptAction,
    AcknowledgeAction,
    Actor,
    CallbackAction,
    CallbackAttemptAction,
    CaseInput,
    CaseType,
    Category,
    Channel,
    ConsentAction,
    ConvertAction,
    Customer,
    CustomerReplyAction,
    CustomerResponseAction,
    DispatchAction,
    ExtendAction,
    FaultIntake,
    FeedbackAction,
    FulfilAction,
    HistoryLimits,
    LostStatus,
    NoteAction,
    OutageIntake,
    ReplyRegulatorAction,
    RequestInfoAction,
    ResolveAction,
    RestoredAction,
    RestoreOutageAction,
    ReviewAction,
    Revival,
    Role,
    Satisfaction,
    SendBackAction,
    Severity,
    TransferAction,
    UrgeAction,
    WindowName,
)
from caseflow.intake import plan_intake, policy_request, revived_input  # noqa: E402
from caseflow.patches import born_with  # noqa: E402
from caseflow.policy import get_policy_book  # noqa: E402
from caseflow.seed import seed_demo  # noqa: E402
from caseflow.settings import get_settings  # noqa: E402
from caseflow.temporal import DATA_CONVERTER  # noqa: E402
from tests.keys import TEST_CLAIM_KEYS  # noqa: E402
from tests.sandbox import checked_worker  # noqa: E402
from workflows.appeal import AppealWorkflow  # noqa: E402
from workflows.complaint import ComplaintWorkflow  # noqa: E402
from workflows.fault import FaultWorkflow  # noqa: E402
from workflows.inquiry import InquiryWorkflow  # noqa: E402
from workflows.outage import OutageWorkflow  # noqa: E402
from workflows.service_request import ServiceRequestWorkflow  # noqa: E402
from workflows.unsubscribe import UnsubscribeWorkflow  # noqa: E402

HOTLINE = Actor("channel.hotline", Role.CHANNEL, "hotline")
CS = Actor("agent.cs", Role.AGENT, "Li Na", "customer_service")
PRODUCT = Actor("agent.product", Role.AGENT, "Wang Wei", "product")
NETWORK = Actor("agent.network", Role.AGENT, "Zhang Min", "network_ops")
SUPERVISOR = Actor("supervisor", Role.SUPERVISOR, "Chen Jing")
MIIT = Actor("channel.miit", Role.CHANNEL, "MIIT appeal centre")
ADMIN = Actor("admin", Role.ADMIN, "Zhao Lei")
QUEUE = "histories"
CONFLICT_FAIL = WorkflowIDConflictPolicy.FAIL


# The scenarios recorded by 0.2.0 keep the policy version they ran on, so regenerating them
# reproduces their histories; the scenarios added later name theirs.
RECORDED_ON = "2026.2"


def case_input(case_id: str, case_type: CaseType, **kw) -> CaseInput:
    kw.setdefault("policy_version", RECORDED_ON)
    return CaseInput(
        case_id=case_id,
        case_type=case_type,
        customer=Customer("张三", "13800138000"),
        channel=kw.pop("channel", Channel.PHONE),
        description="history scenario",
        created_by=HOTLINE,
        search_attributes=False,
        **kw,
    )


async def _start(env, wf, case_id: str, task_queue: str, inp: CaseInput):
    handle = await env.client.start_workflow(wf.run, inp, id=case_id, task_queue=task_queue)
    await handle.execute_update(wf.opened)
    return handle


async def complaint_full(env, task_queue: str = QUEUE, suffix: str = ""):
    """The whole happy path with a note, a transfer, a pause for the customer and a dispute."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-FULL{suffix}"
    h = await _start(
        env,
        wf,
        case_id,
        task_queue,
        case_input(
            case_id, CaseType.COMPLAINT, category=Category.SERVICE, severity=Severity.GENERAL
        ),
    )
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
    await _finished(h)
    return h


async def complaint_escalation(env, task_queue: str = QUEUE, suffix: str = ""):
    """Nobody accepts: warning, breach (L2), a climb (L3), then a supervisor acknowledges."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-ESC{suffix}"
    h = await _start(
        env,
        wf,
        case_id,
        task_queue,
        case_input(
            case_id, CaseType.COMPLAINT, category=Category.SERVICE, severity=Severity.URGENT
        ),
    )
    await env.sleep(timedelta(hours=24, minutes=1))  # warning, breach, L2
    await env.sleep(timedelta(hours=4))  # L3
    await h.execute_update(wf.acknowledge, AcknowledgeAction(SUPERVISOR, "on it"))
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.resolve, ResolveAction(CS, "fixed", "network reset"))
    await h.execute_update(wf.feedback, FeedbackAction(CS, "fixed"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.UNSATISFIED))
    await _finished(h)
    return h


async def inquiry_converted(env, task_queue: str = QUEUE, suffix: str = ""):
    wf, case_id = InquiryWorkflow, f"INQ-HIST-CONV{suffix}"
    h = await _start(env, wf, case_id, task_queue, case_input(case_id, CaseType.INQUIRY))
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(
        wf.convert, ConvertAction(CS, Category.SERVICE, Severity.MAJOR, "aggrieved")
    )
    await _finished(h)
    return h


async def unsubscribe_done(env, task_queue: str = QUEUE, suffix: str = ""):
    wf, case_id = UnsubscribeWorkflow, f"UNS-HIST-DONE{suffix}"
    h = await _start(
        env,
        wf,
        case_id,
        task_queue,
        case_input(case_id, CaseType.UNSUBSCRIBE, services=["sms"], channel=Channel.APP),
    )
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.consent, ConsentAction(HOTLINE, "Y"))
    for _ in range(60):
        if (await h.query(wf.snapshot)).phase.value == "under_review":
            break
        await env.sleep(timedelta(seconds=1))
    await h.execute_update(wf.review, ReviewAction(SUPERVISOR, True, "ok"))
    await _finished(h)
    return h


async def complaint_filed_by_api(env, task_queue: str = QUEUE, suffix: str = ""):
    """Filed as the API files it: routed and planned before the start (no policy or clock
    activity in the workflow), accepted by an agent in the very first task, then handled."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-API{suffix}"
    filed_at = (await env.get_current_time()).astimezone(UTC)
    inp = case_input(
        case_id, CaseType.COMPLAINT, category=Category.NETWORK, severity=Severity.MAJOR
    )
    inp.opened_at = filed_at
    inp.intake = plan_intake(get_policy_book(), inp, filed_at)
    start = WithStartWorkflowOperation(
        wf.run, inp, id=case_id, task_queue=task_queue, id_conflict_policy=CONFLICT_FAIL
    )
    await env.client.execute_update_with_start_workflow(
        wf.accept, AcceptAction(NETWORK), start_workflow_operation=start
    )
    h = await start.workflow_handle()
    await h.execute_update(wf.resolve, ResolveAction(NETWORK, "replaced the modem", "site visit"))
    await h.execute_update(wf.feedback, FeedbackAction(NETWORK, "fixed"))
    await h.execute_update(wf.callback, CallbackAction(NETWORK, Satisfaction.SATISFIED))
    await _finished(h)
    return h


async def _filed_on_2026_3_as_the_api_files_it(env, case_id: str, **kw) -> CaseInput:
    """A general service complaint on 2026.3, opened now with its intake planned (the API's
    path: no policy or clock activity in the workflow)."""
    filed_at = (await env.get_current_time()).astimezone(UTC)
    inp = case_input(
        case_id,
        CaseType.COMPLAINT,
        category=Category.SERVICE,
        severity=Severity.GENERAL,
        policy_version="2026.3",
        **kw,
    )
    inp.opened_at = filed_at
    inp.intake = plan_intake(get_policy_book(), inp, filed_at)
    return inp


async def _resolved_to_its_archive(h, wf) -> None:
    await h.execute_update(wf.resolve, ResolveAction(CS, "refund 30", "billing check"))
    await h.execute_update(wf.feedback, FeedbackAction(CS, "refunded"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.SATISFIED))
    await _finished(h)


async def complaint_born_patched(env, task_queue: str = QUEUE, suffix: str = ""):
    """2026.3, filed as the API files it since caseflow.patches: born with today's patches (no
    patch marker in the history) and its plan; accepted, a note, resolved, fed back, called
    back. The feedback and follow-up windows count calendar time: planned without an activity."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-BORN{suffix}"
    inp = await _filed_on_2026_3_as_the_api_files_it(env, case_id, patches=born_with())
    h = await _start(env, wf, case_id, task_queue, inp)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.note, NoteAction(CS, "called the customer"))
    await _resolved_to_its_archive(h, wf)
    return h


async def fault_restored_by_outage(env, task_queue: str = QUEUE, suffix: str = ""):
    """An outage with a fault linked at intake: the outage's restoration restores the fault
    (signals both ways), the customer confirms, the callback archives it."""
    outage_id, fault_id = f"OUT-HIST-1{suffix}", f"FLT-HIST-1{suffix}"
    outage_inp = case_input(outage_id, CaseType.OUTAGE, channel=Channel.INTERNAL)
    outage_inp.created_by, outage_inp.outage = NETWORK, OutageIntake("浦东张江")
    outage = await _start(env, OutageWorkflow, outage_id, task_queue, outage_inp)
    await outage.execute_update(OutageWorkflow.accept, AcceptAction(NETWORK))
    fault_inp = case_input(fault_id, CaseType.FAULT, kind="broadband")
    fault_inp.fault = FaultIntake("021-55501234", "张江路100号", outage_id)
    fault = await _start(env, FaultWorkflow, fault_id, task_queue, fault_inp)
    for _ in range(200):  # the link reached the outage
        if (await outage.query(OutageWorkflow.snapshot)).outage.linked:
            break
        await asyncio.sleep(0.02)
    await outage.execute_update(
        OutageWorkflow.restore_outage, RestoreOutageAction(NETWORK, "power", "generator on")
    )
    await _finished(outage)
    for _ in range(200):
        if (await fault.query(FaultWorkflow.snapshot)).phase.value == "resolved":
            break
        await asyncio.sleep(0.02)
    await fault.execute_update(FaultWorkflow.confirm, CustomerResponseAction(HOTLINE, "ok"))
    await fault.execute_update(
        FaultWorkflow.callback, CallbackAction(NETWORK, Satisfaction.SATISFIED)
    )
    await _finished(fault)
    return fault


async def fault_dispatched(env, task_queue: str = QUEUE, suffix: str = ""):
    """A fault fixed by its engineer: accepted, dispatched, restored, confirmed, called back."""
    wf, case_id = FaultWorkflow, f"FLT-HIST-2{suffix}"
    inp = case_input(case_id, CaseType.FAULT, kind="no_service")
    inp.fault = FaultIntake("13800138000", "张江路100号")
    h = await _start(env, wf, case_id, task_queue, inp)
    await h.execute_update(wf.accept, AcceptAction(NETWORK))
    appointment = (await env.get_current_time()) + timedelta(minutes=40)
    await h.execute_update(wf.dispatch, DispatchAction(NETWORK, "Li Lei", appointment))
    await env.sleep(timedelta(minutes=50))
    await h.execute_update(wf.restored, RestoredAction(NETWORK, "antenna", "realigned"))
    await h.execute_update(wf.confirm, CustomerResponseAction(HOTLINE, "ok"))
    await h.execute_update(wf.callback, CallbackAction(NETWORK, Satisfaction.SATISFIED))
    await _finished(h)
    return h


async def service_request_done(env, task_queue: str = QUEUE, suffix: str = ""):
    wf, case_id = ServiceRequestWorkflow, f"SRV-HIST-1{suffix}"
    h = await _start(
        env, wf, case_id, task_queue, case_input(case_id, CaseType.SERVICE_REQUEST, kind="account")
    )
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.fulfil, FulfilAction(CS, "billing address changed"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.SATISFIED))
    await _finished(h)
    return h


async def complaint_continued(env, task_queue: str = QUEUE, suffix: str = ""):
    """A complaint whose run fills up (a small update cap) and continues as new; the second
    run's history is the one written: it starts from the carried state."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-CAN{suffix}"
    inp = case_input(
        case_id, CaseType.COMPLAINT, category=Category.SERVICE, severity=Severity.GENERAL
    )
    inp.limits = HistoryLimits(max_updates=3)
    await _start(env, wf, case_id, task_queue, inp)
    h = env.client.get_workflow_handle(case_id)  # the case, whichever run holds it
    await h.execute_update(wf.accept, AcceptAction(CS))
    for i in range(3):
        await h.execute_update(wf.note, NoteAction(CS, f"note {i}"))
    await h.execute_update(wf.resolve, ResolveAction(CS, "fixed", "checked"))
    await h.execute_update(wf.feedback, FeedbackAction(CS, "fixed"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.SATISFIED))
    await _finished(h)
    return h


async def complaint_standard_clocks(env, task_queue: str = QUEUE, suffix: str = ""):
    """2026.3: filed 20 hours after the customer's letter arrived (the clocks run from
    receipt): the 30-minute decision window is past due at intake (breached, one climb), the
    handling window opens at intake; transferred and sent back (退单),
    urged by a supervisor (督办), its handling window extended once (服务补救), a callback
    that reached nobody, then one that did."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-STD{suffix}"
    now = (await env.get_current_time()).astimezone(UTC)
    inp = case_input(
        case_id,
        CaseType.COMPLAINT,
        category=Category.SERVICE,
        severity=Severity.MAJOR,
        policy_version="2026.3",
        received_at=now - timedelta(hours=20),
    )
    h = await _start(env, wf, case_id, task_queue, inp)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.transfer, TransferAction(CS, "product", "a tariff question"))
    await h.execute_update(wf.send_back, SendBackAction(PRODUCT, "a billing question"))
    await h.execute_update(wf.accept, AcceptAction(CS))
    handling = (await h.query(wf.snapshot)).windows["handling"]
    await h.execute_update(
        wf.urge, UrgeAction(SUPERVISOR, now + timedelta(hours=30), "the customer called again")
    )
    await h.execute_update(
        wf.extend,
        ExtendAction(SUPERVISOR, WindowName.HANDLING, handling.due_at + timedelta(days=1), "bill"),
    )
    await h.execute_update(wf.resolve, ResolveAction(CS, "refund 30", "billing check"))
    await h.execute_update(wf.feedback, FeedbackAction(CS, "refunded"))
    await h.execute_update(wf.callback_attempt, CallbackAttemptAction(CS, "no answer"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.SATISFIED))
    await _finished(h)
    return h


async def complaint_kept_timer(env, task_queue: str = QUEUE, suffix: str = ""):
    """2026.3 with the kept-timer patch: filed as the API files it, accepted, a note (the
    next instant stays: the timer is kept), a day passes (what falls due fires on the kept
    timer), then resolved, fed back and called back; the last timer is left running."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-KEPT{suffix}"
    inp = await _filed_on_2026_3_as_the_api_files_it(env, case_id)
    h = await _start(env, wf, case_id, task_queue, inp)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.note, NoteAction(CS, "called the customer"))
    await env.sleep(timedelta(hours=26))
    await h.execute_update(wf.note, NoteAction(CS, "called again"))
    await _resolved_to_its_archive(h, wf)
    return h


async def appeal_answered(env, task_queue: str = QUEUE, suffix: str = ""):
    """2026.3: a regulator's appeal about a complaint, starting at L3; accepted and answered."""
    about = f"CMP-HIST-APPEALED{suffix}"
    await _start(
        env,
        ComplaintWorkflow,
        about,
        task_queue,
        case_input(about, CaseType.COMPLAINT, policy_version="2026.3"),
    )
    wf, case_id = AppealWorkflow, f"APL-HIST-1{suffix}"
    inp = case_input(case_id, CaseType.APPEAL, policy_version="2026.3", links={"appeal_of": about})
    inp.created_by = MIIT
    h = await _start(env, wf, case_id, task_queue, inp)
    await h.execute_update(wf.accept, AcceptAction(CS))
    await h.execute_update(wf.reply_regulator, ReplyRegulatorAction(CS, "refunded; customer ok"))
    await _finished(h)
    await env.client.get_workflow_handle(about).terminate("scenario finished")
    return h


async def complaint_revived(env, task_queue: str = QUEUE, suffix: str = ""):
    """2026.3: an accepted complaint whose workflow an operator terminates; five days later
    an administrator revives it (the API's path: a new run from the last recorded state), the
    windows that fell due meanwhile fire at once, then it is resolved and archived. The second
    run's history is the one written."""
    wf, case_id = ComplaintWorkflow, f"CMP-HIST-REVIVED{suffix}"
    inp = case_input(
        case_id,
        CaseType.COMPLAINT,
        category=Category.SERVICE,
        severity=Severity.GENERAL,
        policy_version="2026.3",
    )
    lost = await _start(env, wf, case_id, task_queue, inp)
    await lost.execute_update(wf.accept, AcceptAction(CS))
    state = await lost.query(wf.snapshot)
    await lost.terminate("an operator's mistake")
    await env.sleep(timedelta(days=5))  # lost: nothing fires, nobody is warned
    policy = get_policy_book().resolve(policy_request(state, state.policy_version))
    revival = Revival(
        by="admin",
        at=(await env.get_current_time()).astimezone(UTC),
        reason="terminated by mistake",
        lost=LostStatus.TERMINATED,
        lost_run_id=lost.result_run_id,
    )
    revived = revived_input(
        state, policy, revival, ADMIN, search_attributes=False, limits=HistoryLimits()
    )
    h = await env.client.start_workflow(
        wf.run,
        revived,
        id=case_id,
        task_queue=task_queue,
        id_conflict_policy=CONFLICT_FAIL,
        id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    )
    await h.execute_update(wf.opened)
    await h.execute_update(wf.resolve, ResolveAction(CS, "refund 30", "billing check"))
    await h.execute_update(wf.feedback, FeedbackAction(CS, "refunded"))
    await h.execute_update(wf.callback, CallbackAction(CS, Satisfaction.SATISFIED))
    await _finished(h)
    return h


async def _finished(handle) -> None:
    """Wait for the case to complete by polling, not with `handle.result()`: a result wait lets
    the time-skipping server jump to the completed case's default 10-year run timeout, and the
    following scenarios would run (and be recorded) a decade later."""
    for _ in range(500):
        status = (await handle.describe()).status
        if status != WorkflowExecutionStatus.RUNNING:
            assert status == WorkflowExecutionStatus.COMPLETED, f"{handle.id}: {status}"
            return
        await asyncio.sleep(0.02)
    raise TimeoutError(f"{handle.id} did not complete")


Scenario = Callable[..., Awaitable]
SCENARIOS: dict[str, Scenario] = {
    s.__name__: s
    for s in (
        complaint_full,
        complaint_escalation,
        inquiry_converted,
        unsubscribe_done,
        complaint_filed_by_api,
        fault_restored_by_outage,
        fault_dispatched,
        service_request_done,
        complaint_continued,
        complaint_standard_clocks,
        appeal_answered,
        complaint_kept_timer,
        complaint_revived,
        complaint_born_patched,
    )
}


async def write_histories(
    env, task_queue: str, out_dir: Path, names=None, suffix: str = ""
) -> dict[str, Path]:
    """Run the named scenarios (all by default) on a worker already polling `task_queue` and
    write each history to out_dir/<scenario>.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for name in names or SCENARIOS:
        handle = await SCENARIOS[name](env, task_queue, suffix)
        history = await handle.fetch_history()
        path = out_dir / f"{name}.json"
        path.write_text(history.to_json(), encoding="utf-8")
        written[name] = path
    return written


async def main(argv: list[str] | None = None) -> None:
    from temporalio.testing import WorkflowEnvironment

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "scenarios",
        nargs="*",
        metavar="SCENARIO",
        help=f"scenarios to run (default: all of {', '.join(SCENARIOS)})",
    )
    parser.add_argument("--out", type=Path, default=HERE, help="where to write the JSON files")
    args = parser.parse_args(argv)
    unknown = sorted(set(args.scenarios) - set(SCENARIOS))
    if unknown:
        parser.error(f"unknown scenario(s) {unknown}; known: {', '.join(SCENARIOS)}")

    # Signed with the tests' key, so the replay tests can verify what is committed.
    os.environ["CASEFLOW_CLAIM_KEYS"] = TEST_CLAIM_KEYS
    keys = get_settings().claim_key_ring()
    tmp = Path(tempfile.mkdtemp(prefix="caseflow-histories-"))
    try:
        _, url = start_embedded_postgres(tmp / "pg")
        try:
            await migrate(url)
            engine = make_engine(url)
            await seed_demo(engine)
            task_queue = f"{QUEUE}-{uuid.uuid4().hex[:8]}"
            async with (
                await WorkflowEnvironment.start_time_skipping(
                    test_server_existing_path=installed_binary("temporal-test-server"),
                    data_converter=DATA_CONVERTER,
                    interceptors=[SignClaims(keys)],
                ) as env,
                checked_worker(env.client, engine, task_queue),
            ):
                written = await write_histories(env, task_queue, args.out, args.scenarios)
            await engine.dispose()
        finally:
            stop_embedded_postgres(tmp / "pg")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for path in written.values():
        sys.stdout.write(f"wrote {path}\n")


if __name__ == "__main__":
    asyncio.run(main())
