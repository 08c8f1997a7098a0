"""A case's intake as pure functions, shared by the API and the workflow.

The API files a case by resolving its intake (policy, department, first deadlines), starting
the workflow with that plan in its input, and writing the intake record itself: it answers
with the routed case without waiting for a worker, and a GET right after finds it. The
workflow builds the same record from the same input and writes it again (idempotent on case
and sequence number), so the intake is in the read model even if the API's write never
happened. One builder, so the two copies cannot drift apart.

Deterministic (no clock, no I/O): workflow code calls these.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime
from typing import TYPE_CHECKING

from caseflow.domain import (
    Actor,
    AuditEvent,
    Carried,
    CaseInput,
    CaseState,
    CaseType,
    FaultRecord,
    HistoryLimits,
    IntakePlan,
    NotificationRequest,
    OutageRecord,
    Phase,
    PlanRequest,
    PlanResult,
    PolicyRequest,
    RecordRequest,
    ResolvedPolicy,
    Revival,
    Role,
    Segment,
    Start,
    Window,
    WindowName,
    WindowState,
)
from caseflow.domain.case_types import spec
from caseflow.patches import born_with

if TYPE_CHECKING:
    from caseflow.policy import PolicyBook


def new_state(inp: CaseInput, opened_at: datetime) -> CaseState:
    """The case as filed, before any policy is applied."""
    return CaseState(
        case_id=inp.case_id,
        case_type=inp.case_type,
        phase=Phase.NEW,
        customer=inp.customer,
        channel=inp.channel,
        reply_channel=inp.reply_channel or inp.channel,
        category=inp.category,
        severity=inp.severity,
        kind=inp.kind,
        urgency=inp.urgency,
        description=inp.description,
        department=None,
        assignee=None,
        policy_version=inp.policy_version or "",
        filed_by=inp.created_by.user_id,
        # 首问负责制 (002 §7.3): an agent who files the case is its first responsible; else
        # the first agent who takes it up.
        first_responsible=inp.created_by.user_id if inp.created_by.role == Role.AGENT else None,
        received_at=inp.received_at or opened_at,
        opened_at=opened_at,
        updated_at=opened_at,
        client_reference=inp.client_reference,
        links=dict(inp.links),
        services=list(inp.services),
        fault=(
            FaultRecord(
                service_number=inp.fault.service_number,
                location=inp.fault.location,
                outage_id=inp.fault.outage_id,
            )
            if inp.fault
            else None
        ),
        outage=OutageRecord(area=inp.outage.area) if inp.outage else None,
    )


def new_window(name: WindowName, target: str, at: datetime, plan: PlanResult) -> Window:
    """A window whose clock starts at `at`, with its planned warning and deadline."""
    return Window(
        name=name,
        target=target,
        state=WindowState.RUNNING,
        opened_at=at,
        segments=[Segment(start=at)],
        due_at=plan.due_at,
        warn_at=plan.warn_at,
    )


def plan_request(
    policy: ResolvedPolicy, target: str, now: datetime, used_segments: list[Segment]
) -> PlanRequest:
    """What the deadline planner needs for one window of a case under `policy`."""
    return PlanRequest(
        policy_version=policy.version,
        target=target,
        warn_ratio=policy.warn_ratio,
        now=now,
        used_segments=used_segments,
    )


def policy_request(case: CaseInput | CaseState, version: str | None) -> PolicyRequest:
    """The fields that select a case's policy rows (as filed, or as reclassified since)."""
    return PolicyRequest(
        version=version,
        case_type=case.case_type,
        severity=case.severity,
        tier=case.customer.tier,
        category=case.category,
        channel=case.channel,
        kind=case.kind,
        urgency=case.urgency,
    )


def with_starts(policy: ResolvedPolicy, case_type: CaseType) -> ResolvedPolicy:
    """A policy as this code reads it. Policies resolved by 0.2.0 (in running cases' histories
    and inputs) carry no `starts`: theirs were the case type's defaults, so those apply."""
    if not policy.starts:
        policy.starts = {w.value: s for w, s in spec(case_type).starts.items()}
    return policy


def receipt(inp: CaseInput, opened_at: datetime) -> datetime:
    """When the clocks that start at receipt start: when the customer made contact."""
    return inp.received_at or opened_at


def plan_intake(book: PolicyBook, inp: CaseInput, opened_at: datetime) -> IntakePlan:
    """Resolve the policy and plan the windows that start at receipt (API side; raises
    PolicyError)."""
    policy = book.resolve(policy_request(inp, inp.policy_version))
    at = receipt(inp, opened_at)
    plans = {
        name: book.plan(plan_request(policy, policy.targets[name], at, [Segment(start=at)]))
        for name in policy.opening_at(Start.RECEIPT)
    }
    return IntakePlan(policy=policy, windows=plans)


def customer_notice(
    state: CaseState, template: str, channel=None, **params: str
) -> NotificationRequest:
    # Reply on the channel the customer used unless they asked otherwise (附件三 §7.5.5).
    reply = channel or state.reply_channel
    return NotificationRequest(
        recipient="customer",
        channel=reply.value,
        template=template,
        department=state.department,
        params={"case_id": state.case_id, **params},
    )


def internal_notice(
    state: CaseState, recipient: str, template: str, **params: str
) -> NotificationRequest:
    return NotificationRequest(
        recipient=recipient,
        channel="internal",
        template=template,
        department=state.department,
        params={"case_id": state.case_id, **params},
    )


def intake_record(inp: CaseInput, opened_at: datetime, intake: IntakePlan) -> RecordRequest:
    """The first transition: routed, intake windows running, the customer acknowledged."""
    policy = intake.policy
    state = new_state(inp, opened_at)
    state.policy_version = policy.version
    state.department = policy.department
    at = receipt(inp, opened_at)
    for name, plan in intake.windows.items():
        state.windows[name] = new_window(WindowName(name), policy.targets[name], at, plan)
    case_spec = spec(inp.case_type)
    if case_spec.starting_level > 1:  # e.g. an appeal reaches the specialists at once
        state.escalation.level = case_spec.starting_level
        state.escalation.level_name = policy.ladder[case_spec.starting_level - 1].name
    # Every case type has a response window, and every policy covering it sets one.
    first = state.windows[WindowName.RESPONSE.value]
    state.seq = 1
    event = AuditEvent(
        seq=1,
        kind="intake",
        at=opened_at,
        actor_id=inp.created_by.user_id,
        actor_role=inp.created_by.role.value,
        summary=f"{state.case_type.value} filed via {state.channel.value}; "
        f"routed to {state.department}",
        window=first.name.value,
        deadline=first.due_at,
        data={
            "policy_version": policy.version,
            # Who said when the customer made contact, when it was not the filing itself.
            **(
                {"received_at": at.isoformat(), "received_by": inp.created_by.user_id}
                if inp.received_at
                else {}
            ),
        },
    )
    notifications = [internal_notice(state, "agent", "new_case")]
    if spec(inp.case_type).customer_facing:
        notifications.insert(0, customer_notice(state, "intake_ack"))
    return RecordRequest(state=state, events=[event], notifications=notifications)


def revived_input(
    state: CaseState,
    policy: ResolvedPolicy,
    revival: Revival,
    started_by: Actor,
    *,
    search_attributes: bool,
    limits: HistoryLimits,
) -> CaseInput:
    """A lost case's next run: its last recorded `state` carried exactly as a continue-as-new
    would carry it (so every window keeps its deadline), in the next run number, with who
    revived it and why. `started_by` starts this run; the case's filer stays `filed_by`."""
    carried = dataclasses.replace(state, run=state.run + 1)
    return CaseInput(
        case_id=state.case_id,
        case_type=state.case_type,
        customer=state.customer,
        channel=state.channel,
        description=state.description,
        created_by=started_by,
        category=state.category,
        severity=state.severity,
        kind=state.kind,
        urgency=state.urgency,
        reply_channel=state.reply_channel,
        client_reference=state.client_reference,
        policy_version=state.policy_version,
        search_attributes=search_attributes,
        limits=limits,
        carried=Carried(state=carried, policy=policy, revived=revival),
        patches=born_with(),
    )
