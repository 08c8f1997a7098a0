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
import copy
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

from temporalio import workflow
from temporalio.common import RawValue

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        AcceptAction,
        AcknowledgeAction,
        Actor,
        Appealed,
        AssignAction,
        AuditEvent,
        Carried,
        CaseInput,
        CaseState,
        ExtendAction,
        IntakePlan,
        NoteAction,
        NotificationRequest,
        Outcome,
        Phase,
        ResolvedPolicy,
        Role,
        Segment,
        SendBackAction,
        Start,
        TransferAction,
        Urge,
        UrgeAction,
        Window,
        WindowName,
        WindowState,
        summaries,
    )
    from caseflow.domain.case_types import spec
    from caseflow.domain.errors import Refusal, invalid_input, invalid_state
    from caseflow.domain.guard import check_action, not_applicable
    from caseflow.intake import intake_record, new_state, receipt, with_starts
    from caseflow.patches import KEPT_TIMER, born_with
    from caseflow.search_attributes import search_attribute_values

from workflows.lifecycle.actions import Check, action, refusal_error
from workflows.lifecycle.clock import STEP_WINDOWS, Clock
from workflows.lifecycle.escalation import EPSILON, Ladder
from workflows.lifecycle.recording import Recorder

APPEALED = "appealed"  # the signal an appeal sends the case it is about


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


def _send_back_check(wf: CaseWorkflow, a: SendBackAction) -> None:
    if wf.state.transferred_from is None:
        raise invalid_state(
            "not_transferred",
            f"case {wf.state.case_id} was not transferred here: nothing to return",
        )


MAX_URGE_AHEAD = timedelta(days=30)


def _urge_check(wf: CaseWorkflow, a: UrgeAction) -> None:
    now = workflow.now()
    if not now < a.due_at <= now + MAX_URGE_AHEAD:
        raise invalid_input(
            "urge_deadline", "the deadline of an urge must be in the future, within 30 days"
        )


def _extend_check(wf: CaseWorkflow, a: ExtendAction) -> None:
    """服务补救 (000 §4.3): one open window, later than now and than its deadline, by at most
    its own length, no more often than the policy allows."""
    w = wf.state.window(a.window)
    if w is None or w.due_at is None or w.state not in (WindowState.RUNNING, WindowState.BREACHED):
        raise invalid_input(
            "window_not_open", f"case {wf.state.case_id} has no running {a.window.value} window"
        )
    if w.name in STEP_WINDOWS or w.name == WindowName.URGE:
        raise invalid_input("not_extendable", f"the {w.name.value} window is not extended")
    assert wf.policy is not None
    if w.extensions >= wf.policy.max_extensions:
        raise invalid_state(
            "extension_cap",
            f"the {w.name.value} window was extended {w.extensions} time(s); the policy allows "
            f"{wf.policy.max_extensions}",
        )
    if a.until <= max(workflow.now(), w.due_at):
        raise invalid_input(
            "not_later", "the new deadline must be in the future and later than the current one"
        )
    longest = (w.due_at - w.opened_at) * wf.policy.max_extension_ratio
    if a.until - w.due_at > longest:
        raise invalid_input(
            "too_long",
            f"the {w.name.value} window may be extended by at most {longest} (its own length)",
        )


class CaseWorkflow(Recorder, Clock, Ladder):
    """Shared machinery. Subclasses: @workflow.defn, a @workflow.run calling `self._run()`."""

    @workflow.init
    def __init__(self, inp: CaseInput) -> None:
        self.inp = inp
        self.policy: ResolvedPolicy | None = None
        self._attributes: dict[str, object] | None = None
        if inp.carried is not None:  # a continued run: the exact state, nothing re-planned
            # A copy: an update in the run's first task may run before the run's start is
            # checked against its signed claim (caseflow/claim_interceptors.py), which must
            # see the input as it was sent.
            self.state = copy.deepcopy(inp.carried.state)
            self.policy = with_starts(inp.carried.policy, self.state.case_type)
            self._opened = True
            # A revived run (the case's workflow was lost) records its revival first.
            self._recorded = inp.carried.revived is None
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
                await self._arrived_late()
            await self._after_intake()
        elif not self._recorded:  # only a revived run: no existing history takes this path
            async with self._lock:
                await self._record_revival()
            await self._after_revival()
        await self._drive()
        if self.state.phase != Phase.ARCHIVED:
            self._continue_as_new()
        await workflow.wait_condition(workflow.all_handlers_finished)
        return self.state

    async def _open(self) -> None:
        """Pin the policy, route the case, open its intake windows and record the intake."""
        intake = self.inp.intake or await self._resolve_intake()
        self.policy = with_starts(intake.policy, self.inp.case_type)
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
        at = receipt(self.inp, self.state.opened_at)
        plans = {}
        for name in self.policy.opening_at(Start.RECEIPT):
            target = self.policy.targets[name]
            summary = summaries.plan_activity(name, target)
            plans[name] = await self._plan(target, at, [Segment(start=at)], summary)
        return IntakePlan(policy=self.policy, windows=plans)

    async def _arrived_late(self) -> None:
        """A case that arrives after one of its deadlines (a letter read late, a regulator's
        transfer): those windows are breached at intake and the case climbs one level, with an
        event saying so; it does not climb every level it would have climbed meanwhile.

        Late means due by the filing instant. A deadline that passed between the filing and the
        worker's first task (a worker down) takes the timers' path, warning first, as if the
        worker had been up; and a case filed without `received_at` (all of 0.2.0's) is never
        late, so this adds no command to their replay."""
        now = workflow.now()
        filed = self.state.opened_at + EPSILON
        late = [
            w
            for w in self._windows_in_order()
            if w.state == WindowState.RUNNING and w.due_at is not None and w.due_at <= filed
        ]
        if not late:
            return
        events = []
        for w in late:
            w.state, w.breached_at = WindowState.BREACHED, now
            w.warned_at = w.warned_at or now  # past its warning point too: no late warning
            events.append(
                self._event(
                    "breach",
                    SYSTEM_ACTOR,
                    f"{w.name.value} window already past its deadline when the case arrived",
                    window=w.name,
                    deadline=w.due_at,
                )
            )
        received = self.state.received_at or self.state.opened_at
        events.append(
            self._event(
                "arrived_late",
                SYSTEM_ACTOR,
                f"arrived after its {', '.join(w.name.value for w in late)} deadline: the "
                f"customer made contact at {received.isoformat()}",
                received_at=received.isoformat(),
            )
        )
        self._chain_on(late[0].name)
        await self._climb(now, reason="arrived after its deadline", before=events)

    async def _after_intake(self) -> None:
        """Type-specific steps right after the intake is recorded (e.g. link to an outage)."""

    async def _record_revival(self) -> None:
        """The first step of a revived run: the audit log says who revived the case, and
        why; the windows and the escalation chain stay exactly as recorded, so anything that
        fell due while the case was lost fires next, at its original deadline."""
        assert self.inp.carried is not None and self.inp.carried.revived is not None
        revival = self.inp.carried.revived
        run = f" (run {revival.lost_run_id})" if revival.lost_run_id else ""
        await self._commit(
            [
                self._event(
                    "revived",
                    Actor(user_id=revival.by, role=Role.ADMIN),
                    f"revived from the last recorded state after its workflow was "
                    f"{revival.lost.value}{run}; every window keeps its deadline. "
                    f"{revival.reason}".strip(),
                    lost=revival.lost.value,
                    lost_run_id=revival.lost_run_id,
                )
            ]
        )
        self._recorded = True

    async def _after_revival(self) -> None:
        """Type-specific work a lost run may have left half done (e.g. a termination): a
        revived run takes it up again."""

    async def _drive(self) -> None:
        """Fire what is due until the case is archived, or until its history is full and no
        handler is running (then the caller continues as new)."""
        # From this patch on, the loop keeps its timer while the next instant stays the same
        # (an action such as a note re-planned nothing): no TIMER_CANCELED and TIMER_STARTED per
        # action, and none left to cancel when the case closes. Older runs keep the old loop.
        if self._patched(KEPT_TIMER):
            await self._drive_keeping_the_timer()
            return
        await self._drive_one_timer_per_wait()

    def _woken(self, seen: int) -> bool:
        return self._changes != seen or (self._history_full() and self._quiet())

    async def _fire(self, seen: int) -> None:
        async with self._lock:
            await self._fire_due()
        due = self._next_instant()
        if self._changes == seen and due is not None and due <= workflow.now() + EPSILON:
            # Something claims to be due that firing did not change: a bug in a step. Wait
            # for the next action rather than spin (which would fail every task).
            workflow.logger.error(
                "a due instant changed nothing", extra={"case_id": self.state.case_id}
            )
            await workflow.wait_condition(lambda seen=seen: self._changes != seen)

    async def _drive_keeping_the_timer(self) -> None:
        """One timer per instant: a change that leaves the next instant where it was (a note,
        an assignment) keeps the running timer; only a moved instant cancels it. A timer still
        running when the case closes or continues is left alone: nothing waits on it."""
        timer: asyncio.Task | None = None
        timer_at = None
        while self.state.phase != Phase.ARCHIVED:
            if self._history_full() and self._quiet():
                return
            seen = self._changes
            wake_at = self._next_instant()
            if wake_at != timer_at:
                if timer is not None and not timer.done():
                    timer.cancel()
                timer, timer_at = None, None
                remaining = None if wake_at is None else wake_at - workflow.now()
                if remaining is not None and remaining > EPSILON:
                    timer = asyncio.create_task(
                        workflow.sleep(remaining, summary=self._wake_summary(wake_at))
                    )
                    timer_at = wake_at
            if wake_at is None or timer is not None:
                fired = timer  # bound now: the loop's `timer` changes on later turns

                def woken(seen: int = seen, fired: asyncio.Task | None = fired) -> bool:
                    return self._woken(seen) or (fired is not None and fired.done())

                await workflow.wait_condition(woken)
                if fired is None or not fired.done() or self._changes != seen:
                    continue  # something changed: re-plan before firing anything
                timer, timer_at = None, None
            await self._fire(seen)

    async def _drive_one_timer_per_wait(self) -> None:
        """The loop of runs started before the kept-timer patch: every wait starts its own
        timer, and every change cancels it."""
        while self.state.phase != Phase.ARCHIVED:
            if self._history_full() and self._quiet():
                return
            seen = self._changes

            def woken(seen: int = seen) -> bool:
                return self._woken(seen)

            wake_at = self._next_instant()
            if wake_at is None:
                await workflow.wait_condition(woken)
                continue
            remaining = wake_at - workflow.now()
            if remaining > EPSILON:
                try:
                    await workflow.wait_condition(
                        woken, timeout=remaining, timeout_summary=self._wake_summary(wake_at)
                    )
                    continue  # something changed: re-plan before firing anything
                except TimeoutError:
                    pass
            await self._fire(seen)

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
                patches=born_with(),  # the next run starts on this code
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
                first_responsible=self.state.first_responsible,
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
        assert self.policy is not None
        taken = (WindowName.RESPONSE, WindowName.TRANSFER, WindowName.DECISION)
        closed = [w for w in taken if self._close_window(w)]
        opened = []
        for name in self.policy.opening_at(Start.ACCEPT):
            if self.state.window(WindowName(name)) is None:
                opened.append(await self._open_window(WindowName(name)))
        self.state.assignee = a.actor.user_id
        if self.state.first_responsible is None:
            self.state.first_responsible = a.actor.user_id  # 首问负责人 (002 §7.3)
        self.state.phase = Phase.IN_PROGRESS
        notifications = await self._on_accepted(a)
        summary = f"accepted by {a.actor.name or a.actor.user_id}" + (
            f" (closes {', '.join(w.value for w in closed)})" if closed else ""
        )
        first = next((w for w in opened if w is not None), None)
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
        self._close_window(WindowName.DECISION)  # judged: it goes elsewhere
        self._close_window(WindowName.TRANSFER, cancelled=True)
        self._close_window(WindowName.COMPLETION, cancelled=True)
        self.state.windows.pop(WindowName.COMPLETION.value, None)
        self.state.department = a.department
        self.state.transferred_from = previous
        self.state.assignee = None
        self.state.transfer_count += 1
        self.state.phase = Phase.TRANSFERRED
        w = await self._open_window(WindowName.TRANSFER)
        # Handled within 24 h of the transfer (000 §4.1), counted from the hand-over.
        await self._open_window(WindowName.COMPLETION)
        notices = [
            NotificationRequest(
                recipient="agent",
                channel="internal",
                template="transfer",
                department=a.department,
                params={"case_id": self.state.case_id, "from": str(previous)},
            ),
            *self._follow_up_notice("transferred", to=a.department),
        ]
        if spec(self.state.case_type).customer_facing:
            # The customer is told the case was forwarded, and where (002 附件六).
            notices.append(self._to_customer("forwarded", department=a.department))
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
            notices,
        )
        return self.state

    @action("send_back", check=_send_back_check)
    async def send_back(self, a: SendBackAction) -> CaseState:
        """退单 (002 附件五 §6.6): back to the sending department's unassigned queue, which
        takes it up again within the transfer window."""
        returned_from, to = self.state.department, self.state.transferred_from
        assert to is not None
        self._close_window(WindowName.TRANSFER, cancelled=True)
        self._close_window(WindowName.COMPLETION, cancelled=True)
        self.state.windows.pop(WindowName.TRANSFER.value, None)
        self.state.department, self.state.transferred_from = to, None
        self.state.assignee = None
        self.state.phase = Phase.TRANSFERRED
        w = await self._open_window(WindowName.TRANSFER)
        await self._commit(
            [
                self._event(
                    "sent_back",
                    a.actor,
                    f"sent back from {returned_from} to {to}: {a.reason}",
                    window=WindowName.TRANSFER,
                    deadline=w.due_at if w else None,
                    from_department=returned_from,
                    to_department=to,
                )
            ],
            [
                NotificationRequest(
                    recipient="agent",
                    channel="internal",
                    template="sent_back",
                    department=to,
                    params={"case_id": self.state.case_id, "from": str(returned_from)},
                ),
                *self._follow_up_notice("sent_back", to=to),
            ],
        )
        return self.state

    @action("urge", check=_urge_check)
    async def urge(self, a: UrgeAction) -> CaseState:
        """督办 (002 附件五 §6.7): handled by the supervisor's deadline, or one level up."""
        now = workflow.now()
        self._close_window(WindowName.URGE, cancelled=True)  # a new demand replaces the old
        self.state.urge = Urge(by=a.actor.user_id, at=now, due_at=a.due_at, note=a.note)
        seconds = int((a.due_at - now).total_seconds())
        self.state.windows[WindowName.URGE.value] = Window(
            name=WindowName.URGE,
            target=f"{max(seconds, 1)}s",  # the supervisor's deadline, as a calendar span
            state=WindowState.RUNNING,
            opened_at=now,
            segments=[Segment(start=now)],
            due_at=a.due_at,
        )
        await self._commit(
            [
                self._event(
                    "urged",
                    a.actor,
                    f"urged: handle by {a.due_at.isoformat()}. {a.note}".strip(),
                    window=WindowName.URGE,
                    deadline=a.due_at,
                )
            ],
            [self._internal(self.state.assignee or "agent", "urged", due=a.due_at.isoformat())],
        )
        return self.state

    @action("extend", check=_extend_check)
    async def extend(self, a: ExtendAction) -> CaseState:
        """服务补救 (000 §4.3): a later deadline for one window, approved by a supervisor; the
        window is reported as extended, never as on time."""
        w = self.state.window(a.window)
        assert w is not None and w.due_at is not None
        before = w.due_at
        w.extended_from = w.extended_from or before
        w.extensions += 1
        w.due_at, w.warn_at = a.until, None  # warned once already, or not at all: no second
        if w.state == WindowState.BREACHED:
            w.state = WindowState.RUNNING  # the remedy gives the case its time back...
            self._stop_chain_if([w.name])  # ...and stops the climb it caused
        await self._commit(
            [
                self._event(
                    "extended",
                    a.actor,
                    f"{w.name.value} window extended from {before.isoformat()} to "
                    f"{a.until.isoformat()}: {a.reason}",
                    window=w.name,
                    deadline=a.until,
                    previous_deadline=before.isoformat(),
                )
            ],
            [
                self._internal(
                    self.state.assignee or "agent",
                    "extended",
                    window=w.name.value,
                    due=a.until.isoformat(),
                )
            ],
        )
        return self.state

    def _follow_up_notice(self, template: str, **params: str) -> list[NotificationRequest]:
        """首问负责制 (002 §7.3): the first responsible hears of the case's steps elsewhere."""
        who = self.state.first_responsible
        if who is None or who == self.state.assignee:
            return []
        return [self._internal(who, f"followed_{template}", **params)]

    def _resolution_reached(self) -> None:
        """Handled: the clocks that ran until the case was handled stop (the decision, the
        24 h after a transfer, a supervisor's urge)."""
        for name in (WindowName.DECISION, WindowName.COMPLETION, WindowName.URGE):
            self._close_window(name)

    @workflow.signal(name=APPEALED)
    async def appealed(self, msg: Appealed) -> None:
        """A regulator forwarded an appeal about this case (the appeal links to it too)."""
        if not self._opened:
            await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
            appeals = [x for x in self.state.links.get("appealed_by", "").split(",") if x]
            if msg.appeal_id in appeals:
                return
            self.state.links["appealed_by"] = ",".join([*appeals, msg.appeal_id])
            await self._commit(
                [
                    self._event(
                        "appealed",
                        SYSTEM_ACTOR,
                        f"the customer appealed to the regulator ({msg.regulator}): "
                        f"{msg.appeal_id}",
                        appeal=msg.appeal_id,
                    )
                ],
                [self._internal("supervisor", "appealed", appeal_id=msg.appeal_id)],
            )

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
