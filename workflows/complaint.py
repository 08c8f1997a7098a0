"""The complaint case (投诉): respond in 24 h, handle in 3 / 5 / 10 working days by severity
(24 h when urgent), deliver the result, call back for satisfaction, archive."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import CaseInput, CaseState

from workflows.lifecycle.handling import (
    CallbackSteps,
    CustomerInfoSteps,
    ReclassifySteps,
    ResolutionSteps,
)


@workflow.defn
class ComplaintWorkflow(CustomerInfoSteps, ReclassifySteps, ResolutionSteps, CallbackSteps):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()
