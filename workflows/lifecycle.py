"""The case lifecycle shared by every case type: SLA windows, warnings, the escalation ladder,
the audit trail and the agent actions.

A case type subclasses `CaseLifecycle`, names its workflow, defines `run`, and states which
actions each of its phases allows (`ALLOWED`). Everything time-related happens in one loop
(`_drive`): it sleeps until the earliest pending instant (a warning, a deadline or the next
escalation) or until an action changes the state, then fires whatever is due. No cron, no
polling: the timers are the workflow's own.

Determinism: time only from `workflow.now()`; deadlines come from the `plan_window` activity
(calendar data never runs in workflow code); all I/O happens in activities.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RawValue, RetryPolicy
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        AcceptAction,
        AcknowledgeAction,
        ActivityName,
        Actor,
        AssignAction,
        AuditEvent,
        CallbackAction,
        CaseInput,
        CaseState,
        CustomerReplyAction,
        CustomerResponseAction,
        Escalation,
        FeedbackAction,
        InstantRequest,
        IntakePlan,
        NoteAction,
        NotificationRequest,
        Outcome,
        Phase,
        PlanResult,
        ReclassifyAction,
        RecordRequest,
        RequestInfoAction,
        ResolveAction,
        ResolvedPolicy,
        Role,
        Segment,
        TransferAction,
        Window,
        WindowName,
        WindowState,
    )
    from caseflow.intake import (
        customer_notice,
        intake_record,
        internal_notice,
        new_state,
        new_window,
        plan_request,
        policy_request,
    )
    from workflows.search_attributes import search_attribute_updates

# Clock math is pure and quick: a local activity keeps it off the task queue.
CLOCK_TIMEOUT = timedelta(seconds=10)
# Database writes retry until PostgreSQL is back: nothing is dropped, a transition just waits.
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)
# The read-model write is a local activity: a transition (and the update that caused it)
# completes in one workflow task instead of three server round trips. It is one transaction
# keyed on (case, seq), so a retry after a lost task result writes nothing twice. Histories
# from before this patch scheduled it as a regular activity and replay that way.
LOCAL_RECORDS = "record-transition-local"
# Timers fire with millisecond precision; a deadline this close counts as reached.
EPSILON = timedelta(milliseconds=1)

ACTING_ROLES = frozenset({Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
CUSTOMER_ROLES = frozenset({Role.CHANNEL, Role.AGENT, Role.SUPERVISOR, Role.ADMIN})
SUPERVISING_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})


ANY_OPEN = frozenset(set(Phase) - {Phase.ARCHIVED})
BEFORE_RESOLUTION = frozenset(
    {Phase.NEW, Phase.IN_PROGRESS, Phase.TRANSFERRED, Phase.WAITING_CUSTOMER}
)
# The steps every handled case type (complaint, inquiry) shares: action -> phases allowing it.
HANDLING_ACTIONS: dict[str, frozenset[Phase]] = {
    "accept": frozenset({Phase.NEW, Phase.TRANSFERRED}),
    "note": ANY_OPEN,
    "transfer": frozenset({Phase.NEW, Phase.IN_PROGRESS, Phase.TRANSFERRED}),
    "assign": ANY_OPEN,
    "request_info": frozenset({Phase.IN_PROGRESS}),
    "customer_reply": frozenset({Phase.WAITING_CUSTOMER}),
    "reclassify": BEFORE_RESOLUTION,
    "resolve": frozenset({Phase.IN_PROGRESS}),
    "feedback": frozenset({Phase.RESOLVED}),
    "confirm": frozenset({Phase.FEEDBACK_GIVEN}),
    "dispute": frozenset({Phase.FEEDBACK_GIVEN}),
    "callback": frozenset({Phase.FEEDBACK_GIVEN}),
    "acknowledge": ANY_OPEN,
}


def invalid_state(message: str) -> ApplicationError:
    """The action does not fit the case's phase (the API answers 409)."""
    return ApplicationError(message, type="InvalidState", non_retryable=True)


def forbidden(message: str) -> ApplicationError:
    """The actor may not do this to this case (the API answers 403)."""
    return ApplicationError(message, type="Forbidden", non_retryable=True)


def invalid_input(message: str) -> ApplicationError:
    """The action's content is wrong for this case (the API answers 422)."""
    return ApplicationError(message, type="InvalidInput", non_retryable=True)


class CaseLifecycle:
    """Shared machinery. Subclasses: @workflow.defn, a @workflow.run calling `self._run()`."""

    # action name -> phases in which the action is allowed (subclasses define their own table)
    ALLOWED: dict[str, frozenset[Phase]] = {}
    # Windows whose clocks start at intake.
    OPEN_AT_INTAKE: tuple[WindowName, ...] = (WindowName.RESPONSE,)

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self.inp = inp
        self.policy: ResolvedPolicy | None = None
        # Filed by the API: its clock starts when the API took it, not when a task ran.
        self.state = new_state(inp, inp.opened_at or workflow.now())
        self._opened = False  # policy pinned, intake windows armed
        self._recorded = False  # the intake is in the read model (read-your-writes for the API)
        self._changes = 0  # bumped by every transition so the clock loop re-plans
        self._lock = asyncio.Lock()  # one transition at a time (handlers and timers)

    # ------------------------------------------------------------------ run and clock loop
    async def _run(self) -> CaseState:
        async with self._lock:
            await self._open()
        await self._drive()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _open(self) -> None:
        """Pin the policy, route the case, open its intake windows and record the intake."""
        intake = self.inp.intake or await self._resolve_intake()
        self.policy = intake.policy
        record = intake_record(self.inp, self.state.opened_at, intake, self.OPEN_AT_INTAKE)
        self.state = record.state
        self._opened = True
        # The API may have written this record already; the write is idempotent, and this one
        # makes sure the intake is recorded even if the API's never landed. A starter passing
        # the plan also set the intake's search attributes at start.
        await self._write(record, search_attributes=self.inp.intake is None)
        self._recorded = True

    async def _resolve_intake(self) -> IntakePlan:
        """Started without a plan (a child case, a tool): resolve it here, as the API would."""
        self.policy = await self._resolve_policy(self.inp.policy_version)
        at = self.state.opened_at
        plans = {}
        for name in self.OPEN_AT_INTAKE:
            target = self.policy.targets.get(name.value)
            if target is not None:
                plans[name.value] = await self._plan(target, at, [Segment(start=at)])
        return IntakePlan(policy=self.policy, windows=plans)

    async def _drive(self) -> None:
        while self.state.phase != Phase.ARCHIVED:
            seen = self._changes
            wake_at = self._next_instant()
            if wake_at is None:
                await workflow.wait_condition(lambda seen=seen: self._changes != seen)
                continue
            remaining = wake_at - workflow.now()
            if remaining > EPSILON:
                try:
                    await workflow.wait_condition(
                        lambda seen=seen: self._changes != seen, timeout=remaining
                    )
                    continue  # something changed: re-plan before firing anything
                except TimeoutError:
                    pass
            async with self._lock:
                await self._fire_due()

    def _next_instant(self):  # -> datetime | None
        instants = []
        for w in self.state.windows.values():
            if w.state == WindowState.RUNNING:
                if w.warned_at is None and w.warn_at is not None:
                    instants.append(w.warn_at)
                if w.due_at is not None:
                    instants.append(w.due_at)
        if self.state.escalation.next_at is not None:
            instants.append(self.state.escalation.next_at)
        return min(instants) if instants else None

    async def _fire_due(self) -> None:
        now = workflow.now()
        horizon = now + EPSILON
        for w in self._windows_in_order():
            if w.state != WindowState.RUNNING:
                continue
            if w.warned_at is None and w.warn_at is not None and w.warn_at <= horizon:
                await self._warn(w, now)
            if w.due_at is not None and w.due_at <= horizon:
                await self._on_due(w, now)
                if self.state.phase == Phase.ARCHIVED:
                    return
        esc = self.state.escalation
        if esc.next_at is not None and esc.next_at <= horizon:
            # Anchored on the instant the climb was due, so the ladder never drifts.
            reason = f"nobody acted on the {esc.window} breach in time"
            await self._climb(esc.next_at, reason=reason)

    def _windows_in_order(self) -> list[Window]:
        order = list(WindowName)
        return sorted(self.state.windows.values(), key=lambda w: order.index(w.name))

    async def _warn(self, w: Window, now) -> None:
        w.warned_at = now
        recipient = self.state.assignee or "agent"
        await self._commit(
            [
                self._event(
                    "warning",
                    SYSTEM_ACTOR,
                    f"{w.name.value} window nearly used: due {w.due_at.isoformat()}",
                    window=w.name,
                    deadline=w.due_at,
                )
            ],
            [self._internal(recipient, "warning", window=w.name.value, due=w.due_at.isoformat())],
        )

    async def _on_due(self, w: Window, now) -> None:
        """A window reached its deadline. Default: breach and escalate; types may override."""
        await self._breach(w, now)

    async def _breach(self, w: Window, now) -> None:
        w.state = WindowState.BREACHED
        w.breached_at = now
        breach = self._event(
            "breach",
            SYSTEM_ACTOR,
            f"{w.name.value} window breached at its deadline {w.due_at.isoformat()}",
            window=w.name,
            deadline=w.due_at,
        )
        self._chain_on(w.name)
        await self._climb(w.due_at, reason=f"{w.name.value} window breached", first=breach)

    def _chain_on(self, window: WindowName) -> None:
        """A new escalation chain, driven by `window`, replaces any acknowledged one."""
        self.state.escalation.window = window
        self.state.escalation.acknowledged_by = None
        self.state.escalation.acknowledged_at = None

    async def _climb(self, anchor, *, reason: str, first: AuditEvent | None = None) -> None:
        """Move the case one level up the ladder, notify that level, and arm the next climb
        at `anchor` (the instant this step was due) + the new level's time."""
        assert self.policy is not None
        esc = self.state.escalation
        ladder = self.policy.ladder
        concerned = esc.next_at
        top = ladder[-1].level
        events = [first] if first else []
        notifications: list[NotificationRequest] = []
        if esc.level < top:
            esc.level += 1
            step = ladder[esc.level - 1]
            esc.level_name = step.name
            events.append(
                self._event(
                    "escalated",
                    SYSTEM_ACTOR,
                    f"escalated to {step.name} ({reason})",
                    window=esc.window,
                    deadline=first.deadline if first else concerned,
                    level=str(esc.level),
                )
            )
            alert = self._internal(
                step.notify,
                "escalation",
                level=str(esc.level),
                level_name=step.name,
                window=str(esc.window),
                reason=reason,
            )
            if step.business_hours_only:
                alert.not_before = await workflow.execute_local_activity(
                    ActivityName.NEXT_WORKING_INSTANT,
                    InstantRequest(policy_version=self.policy.version, at=workflow.now()),
                    result_type=datetime,
                    start_to_close_timeout=CLOCK_TIMEOUT,
                )
            notifications.append(alert)
        step = ladder[esc.level - 1]
        esc.next_at = (
            (await self._plan(step.acts_within, anchor, [])).due_at if step.acts_within else None
        )
        await self._commit(events, notifications)

    def _stop_chain_if(self, closed: Iterable[WindowName]) -> None:
        """Acting on the breached window ends its escalation chain (the level stays)."""
        if self.state.escalation.window in set(closed):
            self.state.escalation.next_at = None

    # ------------------------------------------------------------------ windows
    async def _resolve_policy(self, version: str | None) -> ResolvedPolicy:
        return await workflow.execute_local_activity(
            ActivityName.RESOLVE_POLICY,
            policy_request(self.state, version),
            result_type=ResolvedPolicy,
            start_to_close_timeout=CLOCK_TIMEOUT,
        )

    async def _plan(self, target: str, now, segments: list[Segment]) -> PlanResult:
        assert self.policy is not None
        return await workflow.execute_local_activity(
            ActivityName.PLAN_WINDOW,
            plan_request(self.policy, target, now, segments),
            result_type=PlanResult,
            start_to_close_timeout=CLOCK_TIMEOUT,
        )

    async def _open_window(self, name: WindowName, at=None) -> Window | None:
        """Start a window's clock (now, or at `at`); None when the policy sets no target."""
        assert self.policy is not None
        target = self.policy.targets.get(name.value)
        if target is None:
            return None
        now = at or workflow.now()
        plan = await self._plan(target, now, [Segment(start=now)])
        w = new_window(name, target, now, plan)
        self.state.windows[name.value] = w
        return w

    async def _replan(self, w: Window, now) -> None:
        plan = await self._plan(w.target, now, w.segments)
        w.due_at = plan.due_at
        if w.warned_at is not None and plan.warn_at is not None and plan.warn_at > now:
            w.warned_at = None  # a longer target moved the warning point ahead: warn again
        w.warn_at = plan.warn_at if w.warned_at is None else None
        if w.state == WindowState.BREACHED and plan.due_at > now:
            w.state = WindowState.RUNNING  # a longer target lifted the breach...
            w.breached_at = None
            self._stop_chain_if([w.name])  # ...and the escalation it drove

    def _close_window(self, name: WindowName, *, cancelled: bool = False) -> Window | None:
        w = self.state.windows.get(name.value)
        if w is None or not w.is_open:
            return None
        now = workflow.now()
        if w.segments and w.segments[-1].end is None:
            w.segments[-1].end = now
        if cancelled:
            w.state = WindowState.CANCELLED
        elif w.state == WindowState.BREACHED:
            w.state = WindowState.MET_LATE
        else:
            w.state = WindowState.MET
        w.closed_at = now
        self._stop_chain_if([name])
        return w

    def _pause_window(self, name: WindowName, reason: str) -> Window | None:
        w = self.state.windows.get(name.value)
        if w is None or w.state != WindowState.RUNNING:
            return None
        w.segments[-1].end = workflow.now()
        w.state = WindowState.PAUSED
        w.due_at = None
        w.warn_at = None
        w.pause_reason = reason
        return w

    async def _resume_window(self, name: WindowName) -> Window | None:
        w = self.state.windows.get(name.value)
        if w is None or w.state != WindowState.PAUSED:
            return None
        now = workflow.now()
        w.segments.append(Segment(start=now))
        w.state = WindowState.RUNNING
        w.pause_reason = None
        await self._replan(w, now)  # exactly the remaining time: used segments are credited
        return w

    # ------------------------------------------------------------------ audit and records
    def _event(
        self,
        kind: str,
        actor: Actor,
        summary: str,
        *,
        window: WindowName | None = None,
        deadline=None,
        **data: str,
    ) -> AuditEvent:
        self.state.seq += 1
        return AuditEvent(
            seq=self.state.seq,
            kind=kind,
            at=workflow.now(),
            actor_id=actor.user_id,
            actor_role=actor.role.value,
            summary=summary,
            window=window.value if window else None,
            deadline=deadline,
            data={k: v for k, v in data.items() if v is not None},
        )

    def _internal(self, recipient: str, template: str, **params: str) -> NotificationRequest:
        return internal_notice(self.state, recipient, template, **params)

    def _to_customer(self, template: str, channel=None, **params: str) -> NotificationRequest:
        return customer_notice(self.state, template, channel, **params)

    async def _commit(
        self, events: list[AuditEvent], notifications: list[NotificationRequest] = ()
    ) -> None:
        if not events:
            return
        self.state.updated_at = workflow.now()
        await self._write(
            RecordRequest(state=self.state, events=events, notifications=list(notifications))
        )

    async def _write(self, request: RecordRequest, *, search_attributes: bool = True) -> None:
        self._changes += 1
        if self.inp.search_attributes and search_attributes:
            workflow.upsert_search_attributes(search_attribute_updates(self.state))
        # Cases filed with a plan came after LOCAL_RECORDS: no history of theirs holds the old
        # regular activity, so they skip the patch (and the marker and attribute it writes).
        if self.inp.intake is not None or workflow.patched(LOCAL_RECORDS):
            await workflow.execute_local_activity(
                ActivityName.RECORD_TRANSITION,
                request,
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )
        else:  # cases started before LOCAL_RECORDS keep their regular activity on replay
            await workflow.execute_activity(
                ActivityName.RECORD_TRANSITION,
                request,
                start_to_close_timeout=RECORD_TIMEOUT,
                retry_policy=RECORD_RETRY,
            )

    # ------------------------------------------------------------------ rules
    def _check(self, action: str, actor: Actor, roles: frozenset[Role], *, scoped: bool = True):
        """Raise unless `action` fits the phase and `actor` may perform it on this case."""
        allowed = self.ALLOWED.get(action)
        if allowed is None:
            raise invalid_state(self._not_applicable(action))
        if self.state.phase not in allowed:
            phases = ", ".join(sorted(p.value for p in allowed))
            raise invalid_state(
                f"cannot {action} case {self.state.case_id} in phase "
                f"'{self.state.phase.value}' (allowed in: {phases})"
            )
        if actor.role not in roles:
            raise forbidden(f"role '{actor.role.value}' may not {action} cases")
        if not self._opened:
            # Filed by the API and not yet opened by a worker (the intake leaves the phase at
            # new): the department is not known yet. The handler waits for the intake
            # (`_turn`) and checks again in full.
            return
        if scoped and actor.role == Role.AGENT and actor.department != self.state.department:
            raise forbidden(
                f"case {self.state.case_id} belongs to department '{self.state.department}'; "
                f"agents of '{actor.department}' cannot {action} it"
            )

    @contextlib.asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        """An action's turn: once the intake is opened (the API files a case without waiting
        for a worker, so an action can arrive first), then one transition at a time."""
        if not self._opened:  # no extra await once open: the command order stays as it was
            await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
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
        raise invalid_state(self._not_applicable(name))  # the validator already refused it

    @unknown_action.validator
    def _validate_unknown_action(self, name: str, args: Sequence[RawValue]) -> None:
        # An action another case type has (a review on an inquiry) is a 409, not an SDK error;
        # refused in the validator, it leaves nothing in the history.
        raise invalid_state(self._not_applicable(name))

    def _not_applicable(self, name: str) -> str:
        return f"action '{name}' does not apply to {self.state.case_type.value} cases"

    # ------------------------------------------------------------------ agent actions
    @workflow.update
    async def accept(self, a: AcceptAction) -> CaseState:
        async with self._turn():
            self._check("accept", a.actor, ACTING_ROLES)
            closed = [
                w for w in (WindowName.RESPONSE, WindowName.TRANSFER) if self._close_window(w)
            ]
            if WindowName.HANDLING.value not in self.state.windows:
                await self._open_window(WindowName.HANDLING)
            self.state.assignee = a.actor.user_id
            self.state.phase = Phase.IN_PROGRESS
            notifications = await self._on_accepted(a)
            handling = self.state.windows[WindowName.HANDLING.value]
            await self._commit(
                [
                    self._event(
                        "accepted",
                        a.actor,
                        f"accepted by {a.actor.name or a.actor.user_id}"
                        + (f" (closes {', '.join(w.value for w in closed)})" if closed else ""),
                        window=WindowName.HANDLING,
                        deadline=handling.due_at,
                    )
                ],
                notifications,
            )
            return self.state

    async def _on_accepted(self, a: AcceptAction) -> list[NotificationRequest]:
        """Type-specific steps when an agent accepts (e.g. start more windows)."""
        return []

    @accept.validator
    def _validate_accept(self, a: AcceptAction) -> None:
        self._check("accept", a.actor, ACTING_ROLES)

    @workflow.update
    async def note(self, a: NoteAction) -> CaseState:
        async with self._turn():
            self._check("note", a.actor, ACTING_ROLES)
            await self._commit([self._event("note", a.actor, a.text)])
            return self.state

    @note.validator
    def _validate_note(self, a: NoteAction) -> None:
        self._check("note", a.actor, ACTING_ROLES)

    @workflow.update
    async def transfer(self, a: TransferAction) -> CaseState:
        async with self._turn():
            self._validate_transfer(a)
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
                        deadline=w.due_at,
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

    @transfer.validator
    def _validate_transfer(self, a: TransferAction) -> None:
        self._check("transfer", a.actor, ACTING_ROLES)
        if a.department == self.state.department:
            raise invalid_input(f"case is already in department '{a.department}'")

    @workflow.update
    async def assign(self, a: AssignAction) -> CaseState:
        async with self._turn():
            self._check("assign", a.actor, SUPERVISING_ROLES, scoped=False)
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

    @assign.validator
    def _validate_assign(self, a: AssignAction) -> None:
        self._check("assign", a.actor, SUPERVISING_ROLES, scoped=False)

    @workflow.update
    async def request_info(self, a: RequestInfoAction) -> CaseState:
        async with self._turn():
            self._check("request_info", a.actor, ACTING_ROLES)
            w = self._pause_window(WindowName.HANDLING, "waiting on customer")
            self.state.phase = Phase.WAITING_CUSTOMER
            await self._commit(
                [
                    self._event(
                        "paused",
                        a.actor,
                        f"information requested from the customer; handling clock paused: "
                        f"{a.question}",
                        window=WindowName.HANDLING if w else None,
                        reason="waiting on customer",
                    )
                ],
                [self._to_customer("info_request", question=a.question)],
            )
            return self.state

    @request_info.validator
    def _validate_request_info(self, a: RequestInfoAction) -> None:
        self._check("request_info", a.actor, ACTING_ROLES)

    @workflow.update
    async def customer_reply(self, a: CustomerReplyAction) -> CaseState:
        async with self._turn():
            self._check("customer_reply", a.actor, CUSTOMER_ROLES)
            w = await self._resume_window(WindowName.HANDLING)
            self.state.phase = Phase.IN_PROGRESS
            await self._commit(
                [
                    self._event(
                        "resumed",
                        a.actor,
                        f"customer replied; handling clock resumed: {a.text}",
                        window=WindowName.HANDLING if w else None,
                        deadline=w.due_at if w else None,
                    )
                ]
            )
            return self.state

    @customer_reply.validator
    def _validate_customer_reply(self, a: CustomerReplyAction) -> None:
        self._check("customer_reply", a.actor, CUSTOMER_ROLES)

    @workflow.update
    async def reclassify(self, a: ReclassifyAction) -> CaseState:
        async with self._turn():
            self._validate_reclassify(a)
            before = {n: w.target for n, w in self.state.windows.items() if w.is_open}
            changes = []
            if a.severity and a.severity != self.state.severity:
                changes.append(f"severity {self.state.severity} -> {a.severity.value}")
                self.state.severity = a.severity
            if a.tier and a.tier != self.state.customer.tier:
                changes.append(f"tier {self.state.customer.tier.value} -> {a.tier.value}")
                self.state.customer.tier = a.tier
            if a.category and a.category != self.state.category:
                changes.append(f"category {self.state.category} -> {a.category.value}")
                self.state.category = a.category
            # The pinned version, new selectors: remaining = new target - time already used.
            self.policy = await self._resolve_policy(self.state.policy_version)
            now = workflow.now()
            for w in self.state.windows.values():
                if not w.is_open:
                    continue
                w.target = self.policy.targets[w.name.value]
                if w.state != WindowState.PAUSED:
                    await self._replan(w, now)
            after = {n: w.target for n, w in self.state.windows.items() if w.is_open}
            await self._commit(
                [
                    self._event(
                        "reclassified",
                        a.actor,
                        f"reclassified ({'; '.join(changes) or 'no change'}): {a.reason}; "
                        f"targets {before} -> {after}",
                    )
                ]
            )
            return self.state

    @reclassify.validator
    def _validate_reclassify(self, a: ReclassifyAction) -> None:
        self._check("reclassify", a.actor, ACTING_ROLES)
        if not (a.severity or a.tier or a.category):
            raise invalid_input("reclassify needs a new severity, tier or category")

    @workflow.update
    async def resolve(self, a: ResolveAction) -> CaseState:
        async with self._turn():
            self._check("resolve", a.actor, ACTING_ROLES)
            self._close_window(WindowName.HANDLING)
            self.state.resolution = {
                "department": self.state.department or "",
                "process": a.process,
                "result": a.result,
                "evidence": a.evidence,
                "resolved_by": a.actor.user_id,
            }
            self.state.phase = Phase.RESOLVED
            w = await self._open_window(WindowName.FEEDBACK)
            await self._commit(
                [
                    self._event(
                        "resolved",
                        a.actor,
                        f"resolved: {a.result}",
                        window=WindowName.FEEDBACK,
                        deadline=w.due_at,
                    )
                ]
            )
            return self.state

    @resolve.validator
    def _validate_resolve(self, a: ResolveAction) -> None:
        self._check("resolve", a.actor, ACTING_ROLES)

    @workflow.update
    async def feedback(self, a: FeedbackAction) -> CaseState:
        async with self._turn():
            self._check("feedback", a.actor, ACTING_ROLES)
            self._close_window(WindowName.FEEDBACK)
            resolution = self.state.resolution or {}
            channel = a.channel or self.state.reply_channel
            self.state.feedback = {
                "department": resolution.get("department", self.state.department or ""),
                "process": resolution.get("process", ""),
                "result": resolution.get("result", ""),
                "message": a.message,
                "channel": channel.value,
                "delivered_by": a.actor.user_id,
            }
            self.state.phase = Phase.FEEDBACK_GIVEN
            w = await self._open_window(WindowName.FOLLOW_UP)
            await self._commit(
                [
                    self._event(
                        "feedback_delivered",
                        a.actor,
                        f"result delivered to the customer via {channel.value}",
                        window=WindowName.FOLLOW_UP,
                        deadline=w.due_at,
                    )
                ],
                [self._to_customer("feedback", channel, message=a.message)],
            )
            return self.state

    @feedback.validator
    def _validate_feedback(self, a: FeedbackAction) -> None:
        self._check("feedback", a.actor, ACTING_ROLES)

    @workflow.update
    async def confirm(self, a: CustomerResponseAction) -> CaseState:
        async with self._turn():
            self._check("confirm", a.actor, CUSTOMER_ROLES)
            self.state.customer_confirmed = True
            await self._commit(
                [
                    self._event(
                        "customer_confirmed",
                        a.actor,
                        f"customer accepted the result. {a.comment}".strip(),
                    )
                ]
            )
            return self.state

    @confirm.validator
    def _validate_confirm(self, a: CustomerResponseAction) -> None:
        self._check("confirm", a.actor, CUSTOMER_ROLES)

    @workflow.update
    async def dispute(self, a: CustomerResponseAction) -> CaseState:
        """The customer rejects the result: handling reopens with a fresh window (counted)."""
        async with self._turn():
            self._check("dispute", a.actor, CUSTOMER_ROLES)
            self._close_window(WindowName.FOLLOW_UP, cancelled=True)
            self.state.customer_confirmed = False
            self.state.reopen_count += 1
            self.state.phase = Phase.IN_PROGRESS
            self.state.windows.pop(WindowName.HANDLING.value, None)
            self.state.windows.pop(WindowName.FEEDBACK.value, None)
            w = await self._open_window(WindowName.HANDLING)
            await self._commit(
                [
                    self._event(
                        "reopened",
                        a.actor,
                        f"customer disputed the result; handling reopened "
                        f"(reopen #{self.state.reopen_count}): {a.comment}",
                        window=WindowName.HANDLING,
                        deadline=w.due_at,
                        reopen_count=str(self.state.reopen_count),
                    )
                ],
                [self._internal(self.state.assignee or "agent", "reopened")],
            )
            return self.state

    @dispute.validator
    def _validate_dispute(self, a: CustomerResponseAction) -> None:
        self._check("dispute", a.actor, CUSTOMER_ROLES)

    @workflow.update
    async def callback(self, a: CallbackAction) -> CaseState:
        """The satisfaction callback (回访) is recorded and the case archives."""
        async with self._turn():
            self._check("callback", a.actor, ACTING_ROLES)
            self._close_window(WindowName.FOLLOW_UP)
            self.state.satisfaction = {
                "satisfaction": a.satisfaction.value,
                "comment": a.comment,
                "recorded_by": a.actor.user_id,
            }
            callback = self._event(
                "callback",
                a.actor,
                f"satisfaction callback: {a.satisfaction.value}. {a.comment}".strip(),
                window=WindowName.FOLLOW_UP,
                satisfaction=a.satisfaction.value,
            )
            await self._archive([callback], outcome=Outcome.RESOLVED)
            return self.state

    @callback.validator
    def _validate_callback(self, a: CallbackAction) -> None:
        self._check("callback", a.actor, ACTING_ROLES)

    async def _archive(
        self,
        events: list[AuditEvent],
        *,
        outcome: Outcome,
        summary: str = "case archived",
        notifications: list[NotificationRequest] = (),
    ) -> None:
        self.state.outcome = outcome
        for w in list(self.state.windows.values()):
            if w.is_open:
                self._close_window(w.name, cancelled=True)
        self.state.escalation.next_at = None
        self.state.phase = Phase.ARCHIVED
        self.state.closed_at = workflow.now()
        events.append(self._event("archived", SYSTEM_ACTOR, summary, outcome=outcome.value))
        await self._commit(events, notifications)

    @workflow.update
    async def acknowledge(self, a: AcknowledgeAction) -> CaseState:
        """The escalated level takes ownership: the chain stops climbing (the level stays)."""
        async with self._turn():
            self._validate_acknowledge(a)
            esc: Escalation = self.state.escalation
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

    @acknowledge.validator
    def _validate_acknowledge(self, a: AcknowledgeAction) -> None:
        self._check("acknowledge", a.actor, SUPERVISING_ROLES, scoped=False)
        if self.state.escalation.next_at is None:
            raise invalid_state(
                f"case {self.state.case_id} has no running escalation to acknowledge"
            )
