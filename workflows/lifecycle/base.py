"""The case lifecycle every case type shares.

A case type subclasses `CaseWorkflow` (with the step mixins it needs, handling.py), names its
workflow with `@workflow.defn` and defines `run` as `return await self._run()`. Everything
time-related happens in one loop (`_drive`): it sleeps until the earliest pending instant (a
warning, a deadline or the next escalation) or until an action changes the state, then fires
whatever is due. No cron, no polling: the timers are the workflow's own.

Bounded history: before a run nears Temporal's per-run limits the case continues as new,
carrying its exact state (windows, pending warnings, escalation chain) into the next run.

Determinism: time only from `workflow.now()`; deadlines come from the policy activities;
all I/O happens in activities.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        AcceptAction,
        AcknowledgeAction,
        AssignAction,
        AuditEvent,
        Carried,
        CaseInput,
        CaseState,
        IntakePlan,
        NoteAction,
        NotificationRequest,
        Outcome,
        Phase,
        ResolvedPolicy,
        Segment,
        TransferAction,
        WindowName,
    )
    from caseflow.domain.case_types import spec
    from caseflow.domain.errors import Refusal, invalid_input, invalid_state
    from caseflow.domain.guard import check_action, not_applicable
    from caseflow.intake import intake_record, new_state
    from caseflow.search_attributes import search_attribute_values

from workflows.lifecycle.actions import Check, action, refusal_error
from workflows.lifecycle.clock import Clock
from workflows.lifecycle.escalation import EPSILON, Ladder
from workflows.lifecycle.recording import Recorder


def attachment_ids(attachments: list[str] | None) -> str | None:
    """Attachment ids for an audit event's data (comma-separated; absent when none)."""
    return ",".join(attachments) if attachments else None


def _transfer_check(wf: CaseWorkflow, a: TransferAction) -> None:
    if a.department == wf.state.department:
        raise invalid_input(
            "same_department", f"case {wf.state.case_id} is already in department '{a.department}'"
        )


def _acknowledge_check(wf: CaseWorkflow, a: AcknowledgeAction) -> None:
    if wf.state.escalation.next_at is None:
        raise invalid_state(
            "no_escalation", f"case {wf.state.case_id} has no running escalation to acknowledge"
        )


class CaseWorkflow(Recorder, Clock, Ladder):
    """Shared machinery. Subclasses: @workflow.defn, a @workflow.run calling `self._run()`."""

    # Windows whose clocks start when an agent accepts (intake windows are in the spec).
    OPENS_ON_ACCEPT: tuple[WindowName, ...] = ()

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self.inp = inp
        self.policy: ResolvedPolicy | None = None
        self._attributes: dict[str, object] | None = None
        if inp.carried is not None:  # a continued run: the exact state, nothing re-planned
            self.state = inp.carried.state
            self.policy = inp.carried.policy
            self._opened = self._recorded = True
            if inp.search_attributes:  # continue-as-new keeps the run's attributes
                self._attributes = search_attribute_values(self.state)
        else:
            # Filed by the API: its clock starts when the API took it, not when a task ran.
            self.state = new_state(inp, inp.opened_at or workflow.now())
            self._opened = False  # policy pinned, intake windows armed
            self._recorded = False  # the intake is in the read model (read-your-writes)
        self._changes = 0  # bumped by every transition so the clock loop re-plans
        self._lock = asyncio.Lock()  # one transition at a time (handlers and timers)
        self._updates = 0  # actions accepted in this run (bounded per run)
        self._tasks: set[asyncio.Task] = set()  # work a handler started (e.g. a termination)

    # ------------------------------------------------------------------ run and clock loop
    async def _run(self) -> CaseState:
        if not self._opened:
            async with self._lock:
                await self._open()
            await self._after_intake()
        await self._drive()
        if self.state.phase != Phase.ARCHIVED:
            self._continue_as_new()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _open(self) -> None:
        """Pin the policy, route the case, open its intake windows and record the intake."""
        intake = self.inp.intake or await self._resolve_intake()
        self.policy = intake.policy
        record = intake_record(self.inp, self.state.opened_at, intake)
        self.state = record.state
        self._opened = True
        if self.inp.intake is not None and self.inp.search_attributes:
            # Whoever filed the case with its plan set the intake's attributes at start.
            self._attributes = search_attribute_values(self.state)
        # The API may have written this record already; the write is idempotent, and this one
        # makes sure the intake is recorded even if the API's never landed.
        await self._write(record)
        self._recorded = True

    async def _resolve_intake(self) -> IntakePlan:
        """Started without a plan (a child case, a tool): resolve it here, as the API would."""
        self.policy = await self._resolve_policy(self.inp.policy_version)
        at = self.state.opened_at
        plans = {}
        for name in spec(self.state.case_type).intake_windows:
            target = self.policy.targets.get(name.value)
            if target is not None:
                plans[name.value] = await self._plan(target, at, [Segment(start=at)])
        return IntakePlan(policy=self.policy, windows=plans)

    async def _after_intake(self) -> None:
        """Type-specific steps right after the intake is recorded (e.g. link to an outage)."""

    async def _drive(self) -> None:
        """Fire what is due until the case is archived, or until its history is full and no
        handler is running (then the caller continues as new)."""
        while self.state.phase != Phase.ARCHIVED:
            if self._history_full() and self._quiet():
                return
            seen = self._changes

            def woken(seen: int = seen) -> bool:
                return self._changes != seen or (self._history_full() and self._quiet())

            wake_at = self._next_instant()
            if wake_at is None:
                await workflow.wait_condition(woken)
                continue
            remaining = wake_at - workflow.now()
            if remaining > EPSILON:
                try:
                    await workflow.wait_condition(woken, timeout=remaining)
                    continue  # something changed: re-plan before firing anything
                except TimeoutError:
                    pass
            async with self._lock:
                await self._fire_due()

    # ------------------------------------------------------------------ bounded history
    def _history_full(self) -> bool:
        """Near a per-run limit (events, bytes, updates), or the server suggests a new run."""
        info = workflow.info()
        limits = self.inp.limits
        return (
            info.is_continue_as_new_suggested()
            or info.get_current_history_length() >= limits.max_events
            or info.get_current_history_size() >= limits.max_bytes
            or self._updates >= limits.max_updates
        )

    def _quiet(self) -> bool:
        """Nothing in flight: no handler running or waiting, no transition, no started work."""
        return (
            workflow.all_handlers_finished()
            and not self._lock.locked()
            and not any(not t.done() for t in self._tasks)
        )

    def _continue_as_new(self) -> None:
        """A fresh run with the exact state: same case id, same deadlines, same chain."""
        self.state.run += 1
        assert self.policy is not None
        workflow.continue_as_new(
            CaseInput(
                case_id=self.inp.case_id,
                case_type=self.inp.case_type,
                customer=self.inp.customer,
                channel=self.inp.channel,
                description=self.inp.description,
                created_by=self.inp.created_by,
                search_attributes=self.inp.search_attributes,
                limits=self.inp.limits,
                carried=Carried(state=self.state, policy=self.policy),
            )
        )

    def _start(self, work) -> None:
        """Run `work` beside the handlers (e.g. a termination); the case does not continue as
        new while it runs."""
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    # ------------------------------------------------------------------ the guard
    def _guard(self, name: str, message, check: Check | None = None) -> None:
        """The action table's rule for `name` (and the type's content check), as an update
        validator and again at the handler's turn."""
        try:
            check_action(
                name,
                case_id=self.state.case_id,
                case_type=self.state.case_type,
                phase=self.state.phase,
                department=self.state.department,
                actor=message.actor,
                filed_by=self.state.filed_by,
                # Filed by the API and not yet opened by a worker (the intake leaves the phase
                # at new): the department is not known yet. The turn checks again in full.
                department_known=self._opened,
            )
            if check is not None and self._opened:
                check(self, message)
        except Refusal as refusal:
            raise refusal_error(refusal) from None

    @contextlib.asynccontextmanager
    async def _turn(self, name: str, message, check: Check | None) -> AsyncIterator[None]:
        """An action's turn: once the intake is opened (the API files a case without waiting
        for a worker, so an action can arrive first), then one transition at a time."""
        if not self._opened:  # no extra await once open: the command order stays as it was
            await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
            self._updates += 1
            self._guard(name, message, check)
            yield

    # ------------------------------------------------------------------ queries
    @workflow.query
    def snapshot(self) -> CaseState:
        return self.state

    @workflow.update
    async def opened(self) -> CaseState:
        """Returns once the intake is recorded: the API's read-your-writes for creation."""
        await workflow.wait_condition(lambda: self._recorded)
        return self.state

    @workflow.update(dynamic=True)
    async def unknown_action(self, name: str, args: Sequence[RawValue]) -> CaseState:
        raise refusal_error(not_applicable(name, self.state.case_type))  # validator refused

    @unknown_action.validator
    def _validate_unknown_action(self, name: str, args: Sequence[RawValue]) -> None:
        # An action another case type has (a review on an inquiry) is a 409, not an SDK error;
        # refused in the validator, it leaves nothing in the history.
        raise refusal_error(not_applicable(name, self.state.case_type))

    # ------------------------------------------------------------------ shared actions
    @action("accept")
    async def accept(self, a: AcceptAction) -> CaseState:
        closed = [w for w in (WindowName.RESPONSE, WindowName.TRANSFER) if self._close_window(w)]
        for name in self.OPENS_ON_ACCEPT:
            if self.state.window(name) is None:
                await self._open_window(name)
        self.state.assignee = a.actor.user_id
        self.state.phase = Phase.IN_PROGRESS
        notifications = await self._on_accepted(a)
        summary = f"accepted by {a.actor.name or a.actor.user_id}" + (
            f" (closes {', '.join(w.value for w in closed)})" if closed else ""
        )
        first = next((self.state.window(n) for n in self.OPENS_ON_ACCEPT), None)
        await self._commit(
            [
                self._event(
                    "accepted",
                    a.actor,
                    summary,
                    window=first.name if first else None,
                    deadline=first.due_at if first else None,
                )
            ],
            notifications,
        )
        return self.state

    async def _on_accepted(self, a: AcceptAction) -> list[NotificationRequest]:
        """Type-specific steps when an agent accepts (e.g. ask for consent)."""
        return []

    @action("note")
    async def note(self, a: NoteAction) -> CaseState:
        await self._commit(
            [self._event("note", a.actor, a.text, attachments=attachment_ids(a.attachments))]
        )
        return self.state

    @action("transfer", check=_transfer_check)
    async def transfer(self, a: TransferAction) -> CaseState:
        previous = self.state.department
        self._close_window(WindowName.TRANSFER, cancelled=True)
        self.state.department = a.department
        self.state.assignee = None
        self.state.transfer_count += 1
        self.state.phase = Phase.TRANSFERRED
        w = await self._open_window(WindowName.TRANSFER)
        await self._commit(
            [
                self._event(
                    "transferred",
                    a.actor,
                    f"transferred from {previous} to {a.department}: {a.reason}",
                    window=WindowName.TRANSFER,
                    deadline=w.due_at if w else None,
                    from_department=previous,
                    to_department=a.department,
                )
            ],
            [
                NotificationRequest(
                    recipient="agent",
                    channel="internal",
                    template="transfer",
                    department=a.department,
                    params={"case_id": self.state.case_id, "from": str(previous)},
                )
            ],
        )
        return self.state

    @action("assign")
    async def assign(self, a: AssignAction) -> CaseState:
        previous = self.state.assignee
        self.state.assignee = a.assignee
        if a.department:
            self.state.department = a.department
        await self._commit(
            [
                self._event(
                    "assigned",
                    a.actor,
                    f"assigned to {a.assignee}" + (f" (was {previous})" if previous else ""),
                    assignee=a.assignee,
                )
            ],
            [self._internal(a.assignee, "assigned")],
        )
        return self.state

    @action("acknowledge", check=_acknowledge_check)
    async def acknowledge(self, a: AcknowledgeAction) -> CaseState:
        """The escalated level takes ownership: the chain stops climbing (the level stays)."""
        esc = self.state.escalation
        esc.next_at = None
        esc.acknowledged_by = a.actor.user_id
        esc.acknowledged_at = workflow.now()
        await self._commit(
            [
                self._event(
                    "escalation_acknowledged",
                    a.actor,
                    f"escalation at {esc.level_name or esc.level} acknowledged. "
                    f"{a.comment}".strip(),
                    window=esc.window,
                )
            ]
        )
        return self.state

    # ------------------------------------------------------------------ closing
    async def _archive(
        self,
        events: list[AuditEvent],
        *,
        outcome: Outcome,
        summary: str = "case archived",
        notifications: Sequence[NotificationRequest] = (),
    ) -> None:
        self.state.outcome = outcome
        for w in list(self.state.windows.values()):
            if w.is_open:
                self._close_window(w.name, cancelled=True)
        self.state.escalation.next_at = None
        self.state.phase = Phase.ARCHIVED
        self.state.closed_at = workflow.now()
        events.append(self._event("archived", SYSTEM_ACTOR, summary, outcome=outcome.value))
        await self._commit(events, list(notifications))
