"""SLA clock arithmetic as activities, so workflow replay reads results from history and never
depends on calendar data or policy files that may have changed since."""

from __future__ import annotations

from datetime import UTC, datetime

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
        return self.book.plan(req)

    @activity.defn(name=ActivityName.NEXT_WORKING_INSTANT)
    async def next_working_instant(self, req: InstantRequest) -> datetime:
        calendar = self.book.get(req.policy_version).calendar_model
        return calendar.next_working_instant(req.at).astimezone(UTC)

    def all(self) -> list:
        return [self.resolve_policy, self.plan_window, self.next_working_instant]
