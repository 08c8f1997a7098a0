"""Scheduled housekeeping as activities: the monthly and quarterly statistics reports and
records retention."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from temporalio import activity

from caseflow.domain import MonthlyReportRequest, QuarterlyReportRequest, RetentionRequest


class ReportStore(Protocol):
    async def generate(self, month: str | None, at: datetime) -> str: ...

    async def generate_quarter(self, quarter: str | None, at: datetime) -> str: ...


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
    async def generate_quarterly_report(self, req: QuarterlyReportRequest) -> str:
        """Build and store a quarter's statistics (001 §9.2.2: a full review each quarter),
        cut in the policy's time zone. Returns the quarter it covered ("2026-Q3")."""
        return await self.reports.generate_quarter(req.quarter, req.at or datetime.now(UTC))

    @activity.defn
    async def anonymise_expired(self, req: RetentionRequest) -> int:
        """Strip personal data from up to `batch` cases whose retention period has passed."""
        return await self.retention.anonymise_batch(req)
