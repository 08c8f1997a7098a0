"""The regulator appeal case (用户申诉, forwarded by 工信部 or a provincial 通信管理局): filed by
the regulator's channel against an existing case or on its own, it starts at L3 (the complaint
specialists), must be answered by the regulator's own deadline (the policy's row for that
regulator), and the reply to the regulator is its recorded last step. The case it is about
learns of it (linked both ways)."""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        Appealed,
        CaseInput,
        CaseState,
        NotificationRequest,
        Outcome,
        ReplyRegulatorAction,
        WindowName,
    )

from workflows.lifecycle.actions import action
from workflows.lifecycle.base import APPEALED, CaseWorkflow


@workflow.defn
class AppealWorkflow(CaseWorkflow):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    async def _after_intake(self) -> None:
        about = self.state.links.get("appeal_of")
        if not about:
            return
        try:
            await workflow.get_external_workflow_handle(about).signal(
                APPEALED, Appealed(appeal_id=self.state.case_id, regulator=self.state.kind or "")
            )
        except FailureError:
            # The case is closed: the link stays on this side (and in the read model).
            async with self._lock:
                await self._commit(
                    [
                        self._event(
                            "appeal_of_closed_case",
                            SYSTEM_ACTOR,
                            f"the appealed case {about} is closed; linked from this side only",
                        )
                    ]
                )

    @action("reply_regulator")
    async def reply_regulator(self, a: ReplyRegulatorAction) -> CaseState:
        self._close_window(WindowName.RESPONSE)
        self._close_window(WindowName.HANDLING)
        self._resolution_reached()
        replied = self._event(
            "regulator_replied",
            a.actor,
            f"reply sent to the regulator: {a.reply}",
            window=WindowName.HANDLING,
        )
        # The regulator's own channel user filed it and gets the reply.
        reply = NotificationRequest(
            recipient=self.state.filed_by,
            channel="internal",
            template="regulator_reply",
            department=self.state.department,
            params={"case_id": self.state.case_id, "message": a.reply},
        )
        await self._archive(
            [replied],
            outcome=Outcome.RESOLVED,
            summary="replied to the regulator",
            notifications=[reply],
        )
        return self.state
