"""Activities that create or change things outside the read model: case numbers, provisioning."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio import activity
from temporalio.exceptions import ApplicationError

from caseflow.case_numbers import allocate_case_number
from caseflow.domain import ActivityName, CaseNumberRequest, TerminationRequest, TerminationResult
from caseflow.provisioning import NotSubscribed, ProvisioningPort


class CaseActivities:
    def __init__(self, engine: AsyncEngine, provisioning: ProvisioningPort) -> None:
        self.engine = engine
        self.provisioning = provisioning

    @activity.defn(name=ActivityName.ALLOCATE_CASE_NUMBER)
    async def allocate_case_number(self, req: CaseNumberRequest) -> str:
        return await allocate_case_number(self.engine, req.case_type, req.at)

    @activity.defn(name=ActivityName.TERMINATE_SERVICES)
    async def terminate_services(self, req: TerminationRequest) -> TerminationResult:
        try:
            results = await self.provisioning.terminate(req.case_id, req.phone, req.services)
        except NotSubscribed as exc:
            raise ApplicationError(str(exc), type="NotSubscribed", non_retryable=True) from exc
        return TerminationResult(results=results, completed_at=datetime.now(UTC))

    def all(self) -> list:
        return [self.allocate_case_number, self.terminate_services]
