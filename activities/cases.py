"""Activities that create or change things outside the read model: case numbers, provisioning,
and what a case needs to know of another case (an outage a fault links to)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from temporalio import activity
from temporalio.exceptions import ApplicationError

from caseflow.domain import (
    CaseNumberRequest,
    CaseType,
    OutageStatus,
    TerminationRequest,
    TerminationResult,
)


class CaseNumberSource(Protocol):
    async def allocate(self, case_type: CaseType, at: datetime) -> str: ...


class Provisioning(Protocol):
    async def terminate(self, case_id: str, phone: str, services: list[str]) -> dict[str, str]:
        """service -> "terminated" | "already_terminated"; raises NotSubscribed."""
        ...


class OutageLookup(Protocol):
    async def outage_status(self, outage_id: str) -> OutageStatus: ...


class CaseActivities:
    def __init__(
        self, numbers: CaseNumberSource, provisioning: Provisioning, outages: OutageLookup
    ) -> None:
        self.numbers = numbers
        self.provisioning = provisioning
        self.outages = outages

    @activity.defn
    async def allocate_case_number(self, req: CaseNumberRequest) -> str:
        return await self.numbers.allocate(req.case_type, req.at)

    @activity.defn
    async def terminate_services(self, req: TerminationRequest) -> TerminationResult:
        try:
            results = await self.provisioning.terminate(req.case_id, req.phone, req.services)
        except LookupError as exc:  # NotSubscribed: the message names services, never the phone
            raise ApplicationError(str(exc), type="NotSubscribed", non_retryable=True) from exc
        return TerminationResult(results=results, completed_at=datetime.now(UTC))

    @activity.defn
    async def outage_status(self, outage_id: str) -> OutageStatus:
        return await self.outages.outage_status(outage_id)
