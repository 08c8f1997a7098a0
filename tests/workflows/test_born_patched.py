"""A case born with the patches of the code that starts it (caseflow.patches) takes their paths
without asking `workflow.patched`: no patch marker, no change-version upsert. It runs exactly
as a case that asks: the same kept timer, the same claim check, the same deadlines, its
calendar-time windows planned in workflow code (no local activity)."""

from __future__ import annotations

from datetime import timedelta

from temporalio.api.enums.v1 import EventType

from caseflow.domain import (
    AcceptAction,
    CallbackAction,
    FeedbackAction,
    NoteAction,
    Phase,
    ResolveAction,
    Satisfaction,
)
from caseflow.patches import CURRENT, born_with
from caseflow.temporal import DATA_CONVERTER
from tests.workflows.conftest import AGENT_CS, closed_state, events_of
from workflows.complaint import ComplaintWorkflow as WF

STEPS = (
    (WF.accept, AcceptAction(AGENT_CS)),
    (WF.note, NoteAction(AGENT_CS, "called the customer")),
    (WF.resolve, ResolveAction(AGENT_CS, "refund 30", "billing check")),
    (WF.feedback, FeedbackAction(AGENT_CS, "refunded")),
)


async def happy_complaint(harness, patches):
    """File, accept, note, resolve, feed back (the state then, follow-up running), call back;
    that state, the final one, the audit rows' kinds and the history."""
    handle, _ = await harness.start(policy_version="2026.3", patches=patches)
    for update, action in STEPS:
        await handle.execute_update(update, action)
    before_callback = await handle.query(WF.snapshot)
    await handle.execute_update(WF.callback, CallbackAction(AGENT_CS, Satisfaction.SATISFIED))
    final = await closed_state(handle)
    kinds = [e["kind"] for e in await events_of(harness.engine, handle.id)]
    return before_callback, final, kinds, await handle.fetch_history()


async def markers(history) -> tuple[list[str], list[str]]:
    """The patch ids of the history's patch markers, and its local activities' types."""
    patches, activities = [], []
    for event in history.events:
        if event.event_type != EventType.EVENT_TYPE_MARKER_RECORDED:
            continue
        attrs = event.marker_recorded_event_attributes
        if attrs.marker_name == "core_patch":
            (data,) = await DATA_CONVERTER.decode(attrs.details["patch-data"].payloads)
            patches.append(data["id"])
        elif attrs.marker_name == "core_local_activity":
            (data,) = await DATA_CONVERTER.decode(attrs.details["data"].payloads)
            activities.append(data["activity_type"])
    return patches, activities


def change_version_upserts(history) -> int:
    return sum(
        "TemporalChangeVersion"
        in e.upsert_workflow_search_attributes_event_attributes.search_attributes.indexed_fields
        for e in history.events
        if e.event_type == EventType.EVENT_TYPE_UPSERT_WORKFLOW_SEARCH_ATTRIBUTES
    )


def timers_canceled(history) -> int:
    return sum(e.event_type == EventType.EVENT_TYPE_TIMER_CANCELED for e in history.events)


async def test_a_case_born_with_its_patches_records_none_and_runs_as_one_that_asks(harness):
    born_state, born_final, born_kinds, born = await happy_complaint(harness, born_with())
    asked_state, asked_final, asked_kinds, asked = await happy_complaint(harness, None)

    born_patches, born_activities = await markers(born)
    asked_patches, asked_activities = await markers(asked)
    assert born_patches == [] and change_version_upserts(born) == 0
    assert sorted(asked_patches) == sorted(CURRENT)  # each asked once, each said yes
    # Nothing else differs: the same commands, the same records, the same timers.
    extra = len(asked_patches) + change_version_upserts(asked)
    assert len(born.events) == len(asked.events) - extra
    assert born_activities == asked_activities
    # Filed without the API's plan, the case resolves its intake itself: the working-day
    # handling window is planned by the activity. From then on only records: the 24 h feedback
    # and 48 h follow-up windows are planned in workflow code.
    intake_recorded = born_activities.index("record_transition")
    assert born_activities[:intake_recorded] == ["resolve_policy", "plan_window"]
    assert set(born_activities[intake_recorded:]) == {"record_transition"}
    assert timers_canceled(born) == timers_canceled(asked) == 3  # the note kept the timer

    # The same deadlines, planned in workflow code: the windows' targets from their opening.
    for state in (born_state, asked_state):
        feedback, follow_up = state.windows["feedback"], state.windows["follow_up"]
        assert feedback.target == "24h" and follow_up.target == "48h"
        assert feedback.due_at == feedback.opened_at + timedelta(hours=24)
        assert follow_up.due_at == follow_up.opened_at + timedelta(hours=48)
        assert follow_up.warn_at == follow_up.opened_at + timedelta(hours=48 * 0.8)
    assert born_final.phase == asked_final.phase == Phase.ARCHIVED
    assert born_kinds == asked_kinds
    assert born_kinds[-2:] == ["callback", "archived"]
