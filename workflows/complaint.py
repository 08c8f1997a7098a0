"""The complaint case (投诉): respond in 24 h, handle in 3 / 5 / 10 working days by severity
(24 h when urgent), deliver the result, call back for satisfaction, archive."""

from __future__ import annotations

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import CaseInput, CaseState, Phase

from workflows.lifecycle import CaseLifecycle

_OPEN_BEFORE_RESOLUTION = frozenset(
    {Phase.NEW, Phase.IN_PROGRESS, Phase.TRANSFERRED, Phase.WAITING_CUSTOMER}
)
_ANY_OPEN = frozenset(set(Phase) - {Phase.ARCHIVED})


@workflow.defn
class ComplaintWorkflow(CaseLifecycle):
    ALLOWED = {
        "accept": frozenset({Phase.NEW, Phase.TRANSFERRED}),
        "note": _ANY_OPEN,
        "transfer": frozenset({Phase.NEW, Phase.IN_PROGRESS, Phase.TRANSFERRED}),
        "assign": _ANY_OPEN,
        "request_info": frozenset({Phase.IN_PROGRESS}),
        "customer_reply": frozenset({Phase.WAITING_CUSTOMER}),
        "reclassify": _OPEN_BEFORE_RESOLUTION,
        "resolve": frozenset({Phase.IN_PROGRESS}),
        "feedback": frozenset({Phase.RESOLVED}),
        "confirm": frozenset({Phase.FEEDBACK_GIVEN}),
        "dispute": frozenset({Phase.FEEDBACK_GIVEN}),
        "callback": frozenset({Phase.FEEDBACK_GIVEN}),
        "acknowledge": _ANY_OPEN,
    }

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()
