"""Replay the committed histories (tests/histories/*.json) with today's workflow code: a change
that would break running cases (new commands, reordered timers or activities without
`workflow.patched`) fails here. Regenerate them with `python3 tests/histories/generate.py`.

The histories of caseflow 0.1 were retired once, in the redesign of case types as data (see
CHANGELOG.md); from then on a change to workflow code goes behind `workflow.patched`."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from temporalio import workflow
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer, UnsandboxedWorkflowRunner

from caseflow.domain import CaseInput, CaseState
from caseflow.patches import CURRENT
from caseflow.temporal import DATA_CONVERTER
from tests.histories.generate import write_histories
from worker import claim_checks
from workflows.complaint import ComplaintWorkflow
from workflows.registry import ALL_WORKFLOWS

HISTORIES_DIR = Path(__file__).resolve().parent.parent / "histories"
HISTORIES = sorted(HISTORIES_DIR.rglob("*.json"))
HISTORY_IDS = [str(p.relative_to(HISTORIES_DIR).with_suffix("")) for p in HISTORIES]
WORKFLOW_BY_TYPE = {cls.__name__: cls for cls in ALL_WORKFLOWS}


def load(path: Path) -> tuple[str, dict]:
    data = json.loads(path.read_text(encoding="utf-8"))
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    return started["workflowType"]["name"], data


def _payload(payloads: dict):
    return json.loads(base64.b64decode(payloads["payloads"][0]["data"]))


def case_id_of(data: dict) -> str:
    """The case (workflow) id, from its input: a signed start names its case, so a replay must
    run under the id the case ran under (a JSON history does not carry it)."""
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    return _payload(started["input"])["case_id"]


def recorded_events(data: dict) -> list[dict]:
    """The audit events the case wrote, read from the history alone: the results of its
    record_transition local activities."""
    events = []
    for event in data["events"]:
        marker = event.get("markerRecordedEventAttributes")
        if marker and marker["markerName"] == "core_local_activity":
            details = marker["details"]
            if _payload(details["data"])["activity_type"] == "record_transition":
                events += _payload(details["result"])
    return events


def recorded_kinds(data: dict) -> list[str]:
    return [e["kind"] for e in recorded_events(data)]


def escalation_levels(data: dict) -> list[str]:
    return [e["data"]["level"] for e in recorded_events(data) if e["kind"] == "escalated"]


def event_types(data: dict) -> Counter:
    return Counter(e["eventType"] for e in data["events"])


def check_complaint_full(data: dict) -> None:
    """A full happy path with a transfer, a pause and a dispute, archived by a callback."""
    kinds = recorded_kinds(data)
    for kind in ("transferred", "paused", "resumed", "reopened", "callback"):
        assert kind in kinds, kind
    assert kinds.count("accepted") == 2 and kinds.count("resolved") == 2
    assert kinds[-1] == "archived" and "breach" not in kinds
    assert event_types(data)["EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"] == 1


def check_complaint_escalation(data: dict) -> None:
    """Breach, climbs up the ladder, a supervisor's acknowledgment, then archived."""
    kinds = recorded_kinds(data)
    assert kinds[:2] == ["intake", "warning"]
    assert kinds.count("breach") == 1 and escalation_levels(data) == ["2", "3"]
    assert kinds.index("escalation_acknowledged") > kinds.index("breach")
    assert kinds[-1] == "archived"
    # warning, deadline and the L3 climb all fired as timers of the workflow's own
    assert event_types(data)["EVENT_TYPE_TIMER_FIRED"] >= 3


def test_histories_are_committed():
    names = {p.stem for p in HISTORIES}
    assert {
        "complaint_full",
        "complaint_escalation",
        "inquiry_converted",
        "unsubscribe_done",
        "complaint_filed_by_api",
        "fault_restored_by_outage",
        "fault_dispatched",
        "service_request_done",
        "complaint_continued",
        "complaint_standard_clocks",
        "appeal_answered",
        "complaint_revived",
        "complaint_born_patched",
    } <= names
    for path in HISTORIES:
        workflow_type, _ = load(path)
        assert workflow_type in WORKFLOW_BY_TYPE, (path.name, workflow_type)


@pytest.mark.parametrize("path", HISTORIES, ids=HISTORY_IDS)
async def test_history_replays(path: Path):
    workflow_type, data = load(path)
    history = WorkflowHistory.from_json(case_id_of(data), data)
    replayer = Replayer(
        workflows=[WORKFLOW_BY_TYPE[workflow_type]],
        data_converter=DATA_CONVERTER,
        # Recorded on the time-skipping server, which drops the headers of signals between
        # cases: replayed with the checks its worker ran with.
        interceptors=[claim_checks(time_skipping_server=True)],
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None


def local_activity_types(data: dict) -> list[str]:
    return [
        _payload(e["markerRecordedEventAttributes"]["details"]["data"])["activity_type"]
        for e in data["events"]
        if (e.get("markerRecordedEventAttributes") or {}).get("markerName") == "core_local_activity"
    ]


def check_complaint_filed_by_api(data: dict) -> None:
    """Filed with its plan (nothing resolved in the workflow), accepted in the first task."""
    assert recorded_kinds(data) == [
        "intake",
        "accepted",
        "resolved",
        "feedback_delivered",
        "callback",
        "archived",
    ]
    assert "resolve_policy" not in local_activity_types(data)
    types = [e["eventType"] for e in data["events"]]
    first_task_done = types.index("EVENT_TYPE_WORKFLOW_TASK_COMPLETED")
    assert types.index("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED") < types.index(
        "EVENT_TYPE_WORKFLOW_TASK_SCHEDULED", first_task_done
    )


def markers_named(data: dict, name: str) -> list[dict]:
    return [
        e["markerRecordedEventAttributes"]
        for e in data["events"]
        if (e.get("markerRecordedEventAttributes") or {}).get("markerName") == name
    ]


def patch_ids(data: dict) -> list[str]:
    return [_payload(m["details"]["patch-data"])["id"] for m in markers_named(data, "core_patch")]


def check_complaint_born_patched(data: dict) -> None:
    """Born with its patches: not one patch marker; its calendar-time windows (feedback 24 h,
    follow-up 48 h) planned without an activity, so the only local activity is the record."""
    assert recorded_kinds(data) == [
        "intake",
        "accepted",
        "note",
        "resolved",
        "feedback_delivered",
        "callback",
        "archived",
    ]
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    assert _payload(started["input"])["patches"] == list(CURRENT)
    assert patch_ids(data) == []
    assert set(local_activity_types(data)) == {"record_transition"}
    # start and end, 7 tasks of 3 events, 6 updates of 2 (the harness's `opened` among them),
    # 6 records, 3 timers started and cancelled, and the last one started.
    assert len(data["events"]) == 2 + 21 + 12 + 6 + 6 + 1


def check_complaint_revived(data: dict) -> None:
    """A revived run (caseflow.intake.revived_input): it starts from the recorded state, its
    first record says who revived it, and what fell due while it was lost fires at once, each
    step dated at its original deadline (how many climbs were due depends on the working
    calendar around the server's clock)."""
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    carried = _payload(started["input"])["carried"]
    assert not started.get("continuedExecutionRunId")  # a new run, not a continuation
    assert carried["state"]["run"] == 2 and carried["revived"]["lost"] == "terminated"
    events = recorded_events(data)
    kinds = [e["kind"] for e in events]
    climbs = kinds.count("escalated")
    assert climbs >= 1
    assert kinds == [
        "revived",
        "warning",
        "breach",
        *["escalated"] * climbs,
        "resolved",
        "feedback_delivered",
        "callback",
        "archived",
    ]
    assert events[0]["seq"] == carried["state"]["seq"] + 1 and events[0]["actor_id"] == "admin"
    revived_at = datetime.fromisoformat(events[0]["at"])
    deadlines = [datetime.fromisoformat(e["deadline"]) for e in events[2 : 3 + climbs]]
    assert deadlines[0] == deadlines[1] < revived_at  # L2 at the breach, both passed
    assert deadlines[1:] == sorted(set(deadlines[1:]))  # each climb later than the last


def test_committed_complaint_histories_cover_their_scenarios():
    check_complaint_full(load(HISTORIES_DIR / "complaint_full.json")[1])
    check_complaint_escalation(load(HISTORIES_DIR / "complaint_escalation.json")[1])
    check_complaint_filed_by_api(load(HISTORIES_DIR / "complaint_filed_by_api.json")[1])
    check_complaint_born_patched(load(HISTORIES_DIR / "complaint_born_patched.json")[1])
    # Recorded before caseflow.patches: the same paths, each asked of `workflow.patched`.
    _, kept = load(HISTORIES_DIR / "complaint_kept_timer.json")
    assert patch_ids(kept) == ["signed-claims", "kept-timer"]
    _, revived = load(HISTORIES_DIR / "complaint_revived.json")
    check_complaint_revived(revived)
    # Lost for five days from a Tuesday: the breach and three climbs (4 h, then 8 h apart,
    # counted from the original deadline) were due, none of them counted from the revival.
    events = recorded_events(revived)
    due = datetime.fromisoformat(events[2]["deadline"])
    climbs = [
        datetime.fromisoformat(e["deadline"]) - due for e in events if e["kind"] == "escalated"
    ]
    assert climbs == [timedelta(0), timedelta(hours=4), timedelta(hours=12)]


@workflow.defn(name="ComplaintWorkflow")
class TimerFirstComplaint(ComplaintWorkflow):
    """The complaint as a careless change would make it: a new timer before anything else."""

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        await workflow.sleep(timedelta(seconds=1))
        return await self._run()


async def test_replay_catches_a_change_that_is_not_replay_safe():
    _, data = load(HISTORIES_DIR / "complaint_escalation.json")
    history = WorkflowHistory.from_json("complaint_escalation", data)
    replayer = Replayer(
        workflows=[TimerFirstComplaint],
        data_converter=DATA_CONVERTER,
        workflow_runner=UnsandboxedWorkflowRunner(),
    )
    result = await replayer.replay_workflow(history, raise_on_replay_failure=False)
    assert isinstance(result.replay_failure, workflow.NondeterminismError)


async def test_generator_scenarios_still_run_and_replay(harness, tmp_path):
    """The generator's complaint scenarios, run now on the shared server: they still complete,
    still cover what they claim, and what they produce replays."""
    written = await write_histories(
        harness.env,
        harness.task_queue,
        tmp_path,
        [
            "complaint_full",
            "complaint_escalation",
            "complaint_filed_by_api",
            "complaint_revived",
            "complaint_born_patched",
        ],
        suffix=f"-{uuid.uuid4().hex[:8]}",
    )
    checks = {
        "complaint_full": check_complaint_full,
        "complaint_escalation": check_complaint_escalation,
        "complaint_filed_by_api": check_complaint_filed_by_api,
        "complaint_revived": check_complaint_revived,
        "complaint_born_patched": check_complaint_born_patched,
    }
    replayer = Replayer(
        workflows=[ComplaintWorkflow],
        data_converter=DATA_CONVERTER,
        interceptors=[claim_checks(time_skipping_server=True)],
    )
    for name, path in written.items():
        _, data = load(path)
        checks[name](data)
        history = WorkflowHistory.from_json(case_id_of(data), data)
        result = await replayer.replay_workflow(history)
        assert result.replay_failure is None


def test_committed_histories_of_the_new_case_types_cover_their_scenarios():
    _, fault = load(HISTORIES_DIR / "fault_restored_by_outage.json")
    kinds = recorded_kinds(fault)
    assert kinds[:2] == ["intake", "linked_outage"] and "restored" in kinds
    types = event_types(fault)
    assert types["EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED"] == 1  # the link
    assert types["EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED"] == 1  # the outage's word
    assert recorded_kinds(load(HISTORIES_DIR / "fault_dispatched.json")[1]) == [
        "intake",
        "accepted",
        "dispatched",
        "restored",
        "customer_confirmed",
        "callback",
        "archived",
    ]
    assert "fulfilled" in recorded_kinds(load(HISTORIES_DIR / "service_request_done.json")[1])


def test_committed_histories_of_the_standard_clocks_cover_their_scenarios():
    _, data = load(HISTORIES_DIR / "complaint_standard_clocks.json")
    assert recorded_kinds(data) == [
        "intake",
        "breach",  # the decision window, 30 min from a receipt 20 h before the filing
        "arrived_late",
        "escalated",
        "warning",
        "accepted",
        "transferred",
        "sent_back",
        "accepted",
        "urged",
        "extended",
        "resolved",
        "feedback_delivered",
        "callback_attempt",
        "callback",
        "archived",
    ]
    intake = recorded_events(data)[0]
    assert intake["data"]["policy_version"] == "2026.3" and "received_at" in intake["data"]
    _, appeal = load(HISTORIES_DIR / "appeal_answered.json")
    assert recorded_kinds(appeal) == ["intake", "accepted", "regulator_replied", "archived"]
    # The appealed complaint was told (a signal to it from the appeal).
    assert event_types(appeal)["EVENT_TYPE_SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED"] == 1


def test_histories_recorded_by_0_2_0_carry_no_clock_starts():
    """The 0.2.0 histories are kept as recorded: their policies carry no `starts` (the case
    type's defaults apply, caseflow.intake.with_starts), which the replays above exercise."""
    _, data = load(HISTORIES_DIR / "complaint_filed_by_api.json")
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    assert "starts" not in _payload(started["input"])["intake"]["policy"]


def test_the_continued_history_starts_from_the_carried_state():
    _, data = load(HISTORIES_DIR / "complaint_continued.json")
    started = data["events"][0]["workflowExecutionStartedEventAttributes"]
    assert started.get("continuedExecutionRunId")  # a second run of the case
    carried = _payload(started["input"])["carried"]
    assert carried["state"]["run"] >= 2 and carried["state"]["phase"] != "new"
    # Nothing was re-planned or re-recorded at the start: the first record is an action.
    assert recorded_kinds(data)[0] != "intake" and recorded_kinds(data)[-1] == "archived"
