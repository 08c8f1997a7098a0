"""The inquiry case (咨询): taken within 5 minutes, a phone inquiry answered first within 30
minutes, handled within 24 h (48 h for business-rule questions), feedback within 2 working days.

Beyond the shared lifecycle: first-contact resolution at intake, a first answer, closing
without a callback, and conversion into a complaint (the complaint links back; nothing lost).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        AcceptAction,
        ActivityName,
        AnswerAction,
        CaseInput,
        CaseNumberRequest,
        CaseState,
        CaseType,
        CloseAction,
        ConvertAction,
        FirstContactResolveAction,
        NotificationRequest,
        Outcome,
        Phase,
        WindowName,
    )

from workflows.complaint import ComplaintWorkflow
from workflows.lifecycle import (
    ACTING_ROLES,
    ANY_OPEN,
    HANDLING_ACTIONS,
    RECORD_RETRY,
    CaseLifecycle,
)


@workflow.defn
class InquiryWorkflow(CaseLifecycle):
    ALLOWED = {
        **HANDLING_ACTIONS,
        "answer": frozenset({Phase.IN_PROGRESS, Phase.WAITING_CUSTOMER}),
        "resolve_at_intake": frozenset({Phase.NEW}),
        "close": frozenset({Phase.FEEDBACK_GIVEN}),
        "convert": ANY_OPEN,
    }

    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    async def _on_accepted(self, a: AcceptAction) -> list[NotificationRequest]:
        # Phone inquiries owe the customer a first answer within 30 minutes of being taken.
        if WindowName.FIRST_ANSWER.value not in self.state.windows:
            await self._open_window(WindowName.FIRST_ANSWER)
        return []

    @workflow.update
    async def answer(self, a: AnswerAction) -> CaseState:
        async with self._turn():
            self._check("answer", a.actor, ACTING_ROLES)
            self._close_window(WindowName.FIRST_ANSWER)
            self.state.extra["first_answer"] = a.answer
            await self._commit(
                [
                    self._event(
                        "first_answer",
                        a.actor,
                        f"first answer: {a.answer}",
                        window=WindowName.FIRST_ANSWER,
                    )
                ]
            )
            return self.state

    @answer.validator
    def _validate_answer(self, a: AnswerAction) -> None:
        self._check("answer", a.actor, ACTING_ROLES)

    @workflow.update
    async def resolve_at_intake(self, a: FirstContactResolveAction) -> CaseState:
        """First-contact resolution: answered and closed in one step; feedback is recorded and
        the follow-up window still runs."""
        async with self._turn():
            self._check("resolve_at_intake", a.actor, ACTING_ROLES)
            self._close_window(WindowName.RESPONSE)
            self.state.assignee = a.actor.user_id
            self.state.resolution = {
                "department": self.state.department or "",
                "process": "answered at first contact",
                "result": a.answer,
                "evidence": "",
                "resolved_by": a.actor.user_id,
            }
            self.state.feedback = {
                "department": self.state.department or "",
                "process": "answered at first contact",
                "result": a.answer,
                "message": a.answer,
                "channel": self.state.channel.value,
                "delivered_by": a.actor.user_id,
            }
            self.state.phase = Phase.FEEDBACK_GIVEN
            w = await self._open_window(WindowName.FOLLOW_UP)
            await self._commit(
                [
                    self._event(
                        "resolved_at_first_contact",
                        a.actor,
                        f"answered and resolved at first contact: {a.answer}",
                        window=WindowName.FOLLOW_UP,
                        deadline=w.due_at if w else None,
                    )
                ]
            )
            return self.state

    @resolve_at_intake.validator
    def _validate_resolve_at_intake(self, a: FirstContactResolveAction) -> None:
        self._check("resolve_at_intake", a.actor, ACTING_ROLES)

    @workflow.update
    async def close(self, a: CloseAction) -> CaseState:
        """Close without a satisfaction callback (an inquiry's follow-up is optional)."""
        async with self._turn():
            self._check("close", a.actor, ACTING_ROLES)
            closed = self._event("closed", a.actor, f"closed without callback: {a.reason}")
            await self._archive([closed], outcome=Outcome.CLOSED)
            return self.state

    @close.validator
    def _validate_close(self, a: CloseAction) -> None:
        self._check("close", a.actor, ACTING_ROLES)

    @workflow.update
    async def convert(self, a: ConvertAction) -> CaseState:
        """Turn the inquiry into a complaint: a new complaint case linked both ways."""
        async with self._turn():
            self._check("convert", a.actor, ACTING_ROLES)
            complaint_id = await workflow.execute_activity(
                ActivityName.ALLOCATE_CASE_NUMBER,
                CaseNumberRequest(case_type=CaseType.COMPLAINT, at=workflow.now()),
                result_type=str,
                start_to_close_timeout=timedelta(seconds=30),
                retry_policy=RECORD_RETRY,
            )
            await workflow.start_child_workflow(
                ComplaintWorkflow.run,
                CaseInput(
                    case_id=complaint_id,
                    case_type=CaseType.COMPLAINT,
                    customer=self.state.customer,
                    channel=self.state.channel,
                    reply_channel=self.state.reply_channel,
                    description=f"{self.state.description}\n\n[converted from "
                    f"{self.state.case_id}: {a.reason}]",
                    created_by=a.actor,
                    category=a.category,
                    severity=a.severity,
                    search_attributes=self.inp.search_attributes,
                    links={"converted_from": self.state.case_id},
                ),
                id=complaint_id,
                parent_close_policy=workflow.ParentClosePolicy.ABANDON,
            )
            self.state.links["converted_to"] = complaint_id
            converted = self._event(
                "converted",
                a.actor,
                f"converted into complaint {complaint_id}: {a.reason}",
                complaint_id=complaint_id,
            )
            await self._archive(
                [converted],
                outcome=Outcome.CONVERTED,
                summary=f"inquiry closed as converted into {complaint_id}",
            )
            return self.state

    @convert.validator
    def _validate_convert(self, a: ConvertAction) -> None:
        self._check("convert", a.actor, ACTING_ROLES)
