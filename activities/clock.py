"""SLA clock arithmetic as activities, so workflow replay reads results from history and never
depends on calendar data or policy files that may have changed since."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from temporalio import activity

from caseflow.domain import InstantRequest, PlanRequest, PlanResult, PolicyRequest, ResolvedPolicy

if TYPE_CHECKING:  # the book (policy files, calendar) is handed in by the worker
    from caseflow.policy import PolicyBook


class ClockActivities:
    def __init__(self, book: PolicyBook) -> None:
        self.book = book

    @activity.defn
    async def resolve_policy(self, req: PolicyRequest) -> ResolvedPolicy:
        return self.book.resolve(req)

    @activity.defn
    async def plan_window(self, req: PlanRequest) -> PlanResult:
        return self.book.plan(req)

    @activity.defn
    async def next_working_instant(self, req: InstantRequest) -> datetime:
        calendar = self.book.get(req.policy_version).calendar_model
        return calendar.next_working_instant(req.at).astimezone(UTC)
