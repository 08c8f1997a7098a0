"""Scheduled housekeeping as activities: the monthly statistics report and records retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from temporalio import activity

from caseflow.domain import MonthlyReportRequest, RetentionRequest


class ReportStore(Protocol):
    async def generate(self, month: str | None, at: datetime) -> str: ...


class RetentionStore(Protocol):
    async def anonymise_batch(self, req: RetentionRequest) -> int: ...


class MaintenanceActivities:
    def __init__(self, reports: ReportStore, retention: RetentionStore) -> None:
        self.reports = reports
        self.retention = retention

    @activity.defn
    async def generate_monthly_report(self, req: MonthlyReportRequest) -> str:
        """Build and store a month's statistics (附件一 §7.1); months are cut in the policy's
        time zone. Returns the month it covered."""
        return await self.reports.generate(req.month, req.at or datetime.now(UTC))

    @activity.defn
    async def anonymise_expired(self, req: RetentionRequest) -> int:
        """Strip personal data from up to `batch` cases archived before the cutoff."""
        return await self.retention.anonymise_batch(req)
