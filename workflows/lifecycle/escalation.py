"""Warnings, breaches and the escalation ladder, fired from the case's own timers.

A warning fires at the policy's ratio of a window; at the deadline the window is breached and
the case climbs one level, notifying that level and arming the next climb at the instant this
one was due plus the new level's time, until someone acts on the window or acknowledges.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.clock import ClockActivities
    from caseflow.domain import (
        SYSTEM_ACTOR,
        AuditEvent,
        CaseState,
        InstantRequest,
        NotificationRequest,
        Phase,
        ResolvedPolicy,
        Window,
        WindowName,
        WindowState,
        summaries,
    )

from workflows.lifecycle.clock import CLOCK_TIMEOUT

# Timers fire with millisecond precision; a deadline this close counts as reached.
EPSILON = timedelta(milliseconds=1)


class Ladder:
    """A part of CaseWorkflow (see clock.py and recording.py for the methods it calls)."""

    state: CaseState
    policy: ResolvedPolicy | None

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

    async def _warn(self, w: Window, now: datetime) -> None:
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

    async def _on_due(self, w: Window, now: datetime) -> None:
        """A window reached its deadline. Default: breach and escalate; types may override."""
        await self._breach(w, now)

    async def _breach(self, w: Window, now: datetime) -> None:
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
        await self._climb(w.due_at, reason=f"{w.name.value} window breached", before=[breach])

    def _chain_on(self, window: WindowName) -> None:
        """A new escalation chain, driven by `window`, replaces any acknowledged one."""
        self.state.escalation.window = window
        self.state.escalation.acknowledged_by = None
        self.state.escalation.acknowledged_at = None

    async def _climb(self, anchor: datetime, *, reason: str, before: list[AuditEvent] = ()) -> None:
        """Move the case one level up the ladder, notify that level, and arm the next climb
        at `anchor` (the instant this step was due) + the new level's time. `before`: the
        events that caused the climb (a breach), recorded with it."""
        assert self.policy is not None
        esc = self.state.escalation
        ladder = self.policy.ladder
        concerned = esc.next_at
        top = ladder[-1].level
        first = before[0] if before else None
        events = list(before)
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
                alert.not_before = await workflow.execute_local_activity_method(
                    ClockActivities.next_working_instant,
                    InstantRequest(policy_version=self.policy.version, at=workflow.now()),
                    start_to_close_timeout=CLOCK_TIMEOUT,
                    summary=summaries.working_instant_activity(workflow.now()),
                )
            notifications.append(alert)
        step = ladder[esc.level - 1]
        esc.next_at = (
            (
                await self._plan(
                    step.acts_within, anchor, [], summaries.plan_escalation(step.acts_within)
                )
            ).due_at
            if step.acts_within
            else None
        )
        await self._commit(events, notifications)

    def _stop_chain_if(self, closed) -> None:
        """Acting on the breached window ends its escalation chain (the level stays)."""
        if self.state.escalation.window in set(closed):
            self.state.escalation.next_at = None
