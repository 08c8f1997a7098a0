"""SLA clock arithmetic as activities, so workflow replay reads results from history and never
depends on calendar data or policy files that may have changed since."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from temporalio import activity

from caseflow.domain import (
    ActivityName,
    InstantRequest,
    PlanRequest,
    PlanResult,
    PolicyRequest,
    ResolvedPolicy,
)
from caseflow.policy import PolicyBook, get_policy_book
from caseflow.worktime import parse_duration


class ClockActivities:
    def __init__(self, book: PolicyBook | None = None) -> None:
        self._book = book

    @property
    def book(self) -> PolicyBook:
        return self._book or get_policy_book()

    @activity.defn(name=ActivityName.RESOLVE_POLICY)
    async def resolve_policy(self, req: PolicyRequest) -> ResolvedPolicy:
        return self.book.resolve(req)

    @activity.defn(name=ActivityName.PLAN_WINDOW)
    async def plan_window(self, req: PlanRequest) -> PlanResult:
        """Deadline = now + (target - time already used), measured in the target's own unit."""
        calendar = self.book.get(req.policy_version).calendar_model
        target = parse_duration(req.target)
        used = calendar.used(((s.start, s.end or req.now) for s in req.used_segments), target.unit)
        remaining = max(target.amount - used, timedelta(0))
        due_at = calendar.add(req.now, type(target)(remaining, target.unit))
        warn_point = target.scaled(req.warn_ratio)
        warn_left = warn_point.amount - used
        # A warning point already behind us fires at once (e.g. after a reclassification).
        warn_at = (
            calendar.add(req.now, type(target)(warn_left, target.unit))
            if warn_left > timedelta(0)
            else req.now
        )
        return PlanResult(
            due_at=due_at.astimezone(UTC),
            warn_at=warn_at.astimezone(UTC),
            used_seconds=used.total_seconds(),
            target_seconds=target.amount.total_seconds(),
        )

    @activity.defn(name=ActivityName.NEXT_WORKING_INSTANT)
    async def next_working_instant(self, req: InstantRequest) -> datetime:
        calendar = self.book.get(req.policy_version).calendar_model
        return calendar.next_working_instant(req.at).astimezone(UTC)

    def all(self) -> list:
        return [self.resolve_policy, self.plan_window, self.next_working_instant]
