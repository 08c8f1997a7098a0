"""The service request case (业务办理): business handling within 1 working day, account
management within 3, service applications within 7 (000 §2.4), counted from the request; the
customer is told what was done, then the satisfaction callback."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        CaseInput,
        CaseState,
        FulfilAction,
        Fulfilment,
        Phase,
        WindowName,
        WindowState,
    )

from workflows.lifecycle.actions import action
from workflows.lifecycle.handling import CallbackSteps, CustomerInfoSteps, ReclassifySteps


@workflow.defn
class ServiceRequestWorkflow(CustomerInfoSteps, ReclassifySteps, CallbackSteps):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    @action("fulfil")
    async def fulfil(self, a: FulfilAction) -> CaseState:
        handling = self._close_window(WindowName.HANDLING)
        self._resolution_reached()
        self.state.fulfilment = Fulfilment(result=a.result, by=a.actor.user_id, at=workflow.now())
        self.state.phase = Phase.FEEDBACK_GIVEN
        w = await self._open_window(WindowName.FOLLOW_UP)
        late = handling is not None and handling.state == WindowState.MET_LATE
        await self._commit(
            [
                self._event(
                    "fulfilled",
                    a.actor,
                    f"done{' (late)' if late else ''}; the customer is told: {a.result}",
                    window=WindowName.FOLLOW_UP,
                    deadline=w.due_at if w else None,
                )
            ],
            [self._to_customer("fulfilled", message=a.result)],
        )
        return self.state
