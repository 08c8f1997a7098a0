"""SLA windows on a case: opened, paused, resumed, re-planned, closed; and the next instant
anything on the case is due. Deadlines in working time come from the policy activities
(calendar data never runs in workflow code), those in calendar time from plain arithmetic;
time only from `workflow.now()`."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.clock import ClockActivities
    from caseflow.domain import (
        CaseInput,
        CaseState,
        PlanResult,
        ResolvedPolicy,
        Segment,
        Window,
        WindowName,
        WindowState,
        summaries,
    )
    from caseflow.intake import new_window, plan_request, policy_request, with_starts
    from caseflow.patches import CALENDAR_PLANS, applied
    from caseflow.policy import plan_in_calendar_time

# Clock math is pure and quick: a local activity keeps it off the task queue.
CLOCK_TIMEOUT = timedelta(seconds=10)
# Windows that are steps of the case rather than obligations of its staff: no warning, no
# breach; what happens at their deadline is the case type's (`_on_due`).
STEP_WINDOWS = frozenset({WindowName.REPLY_REMINDER, WindowName.REPLY})


class Clock:
    """A part of CaseWorkflow (with the ladder in escalation.py and the recorder in
    recording.py, whose methods it calls)."""

    inp: CaseInput
    state: CaseState
    policy: ResolvedPolicy | None

    def _patched(self, patch: str) -> bool:
        """Whether this run takes `patch`'s path (born with it, or `workflow.patched`)."""
        return applied(self.inp.patches, patch)

    async def _resolve_policy(self, version: str | None) -> ResolvedPolicy:
        policy = await workflow.execute_local_activity_method(
            ClockActivities.resolve_policy,
            policy_request(self.state, version),
            start_to_close_timeout=CLOCK_TIMEOUT,
            summary=summaries.policy_activity(version),
        )
        return with_starts(policy, self.state.case_type)

    async def _plan(
        self, target: str, now: datetime, segments: list[Segment], summary: str
    ) -> PlanResult:
        """`summary` says what the plan is for (a window, the next climb): caseflow's readable
        history and the Temporal UI show it with the local activity."""
        assert self.policy is not None
        request = plan_request(self.policy, target, now, segments)
        # Calendar time is a sum of instants: planned here, it costs no local activity (no
        # marker in the history). Working time reads the calendar, so an activity plans it.
        inline = plan_in_calendar_time(request)
        if inline is not None and self._patched(CALENDAR_PLANS):
            return inline
        return await workflow.execute_local_activity_method(
            ClockActivities.plan_window,
            request,
            start_to_close_timeout=CLOCK_TIMEOUT,
            summary=summary,
        )

    async def _open_window(self, name: WindowName, at: datetime | None = None) -> Window | None:
        """Start a window's clock (now, or at `at`); None when the policy sets no target."""
        assert self.policy is not None
        target = self.policy.targets.get(name.value)
        if target is None:
            return None
        now = at or workflow.now()
        plan = await self._plan(
            target, now, [Segment(start=now)], summaries.plan_activity(name.value, target)
        )
        w = new_window(name, target, now, plan)
        if name in STEP_WINDOWS:
            w.warn_at = None  # nobody to warn: the step itself is what happens at its end
        self.state.windows[name.value] = w
        return w

    async def _replan(self, w: Window, now: datetime) -> None:
        summary = summaries.plan_activity(w.name.value, w.target, replan=True)
        plan = await self._plan(w.target, now, w.segments, summary)
        w.due_at = plan.due_at
        if w.warned_at is not None and plan.warn_at is not None and plan.warn_at > now:
            w.warned_at = None  # a longer target moved the warning point ahead: warn again
        w.warn_at = plan.warn_at if w.warned_at is None else None
        if w.state == WindowState.BREACHED and plan.due_at > now:
            w.state = WindowState.RUNNING  # a longer target lifted the breach...
            w.breached_at = None
            self._stop_chain_if([w.name])  # ...and the escalation it drove

    def _close_window(self, name: WindowName, *, cancelled: bool = False) -> Window | None:
        w = self.state.window(name)
        if w is None or not w.is_open:
            return None
        now = workflow.now()
        if w.segments and w.segments[-1].end is None:
            w.segments[-1].end = now
        if cancelled:
            w.state = WindowState.CANCELLED
        elif w.state == WindowState.BREACHED:
            w.state = WindowState.MET_LATE
        elif w.extensions:
            w.state = WindowState.MET_EXTENDED  # in time only because a supervisor extended it
        else:
            w.state = WindowState.MET
        w.closed_at = now
        self._stop_chain_if([name])
        return w

    def _pause_window(self, name: WindowName, reason: str) -> Window | None:
        w = self.state.window(name)
        if w is None or w.state != WindowState.RUNNING:
            return None
        w.segments[-1].end = workflow.now()
        w.state = WindowState.PAUSED
        w.due_at = None
        w.warn_at = None
        w.pause_reason = reason
        return w

    async def _resume_window(self, name: WindowName) -> Window | None:
        w = self.state.window(name)
        if w is None or w.state != WindowState.PAUSED:
            return None
        now = workflow.now()
        w.segments.append(Segment(start=now))
        w.state = WindowState.RUNNING
        w.pause_reason = None
        await self._replan(w, now)  # exactly the remaining time: used segments are credited
        return w

    def _next_instant(self) -> datetime | None:
        """The earliest pending warning, deadline or escalation climb."""
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

    def _wake_summary(self, at: datetime) -> str:
        """What the case's timer until `at` (from `_next_instant`) is for: the first window
        warning or deadline due then, in the order `_fire_due` fires them, else the next climb
        of the escalation chain. Pure: the timer's summary only, no command of its own."""
        for w in self._windows_in_order():
            if w.state != WindowState.RUNNING:
                continue
            if w.warned_at is None and w.warn_at == at:
                return summaries.window_timer("warning", w.name.value, w.target, at)
            if w.due_at == at:
                return summaries.window_timer("deadline", w.name.value, w.target, at)
        esc = self.state.escalation
        window = esc.window.value if esc.window else None
        return summaries.escalation_timer(esc.level, window, at)

    def _windows_in_order(self) -> list[Window]:
        order = list(WindowName)
        return sorted(self.state.windows.values(), key=lambda w: order.index(w.name))
