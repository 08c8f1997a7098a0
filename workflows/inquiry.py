"""The inquiry case (咨询): taken within 5 minutes, a phone inquiry answered first within 30
minutes, handled within 24 h (48 h for business-rule questions), feedback within 2 working days.

Beyond the shared steps: first-contact resolution at intake, a first answer, closing without a
callback, and conversion into a complaint (the complaint links back; nothing lost).
"""

from __future__ import annotations

from datetime import timedelta

from temporalio import workflow

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from caseflow.domain import (
        AnswerAction,
        CaseInput,
        CaseNumberRequest,
        CaseState,
        CaseType,
        CloseAction,
        ConvertAction,
        Feedback,
        FirstAnswer,
        FirstContactResolveAction,
        Outcome,
        Phase,
        Resolution,
        WindowName,
        summaries,
    )
    from caseflow.patches import born_with

from workflows.complaint import ComplaintWorkflow
from workflows.lifecycle.actions import action
from workflows.lifecycle.handling import (
    CallbackSteps,
    CustomerInfoSteps,
    ReclassifySteps,
    ResolutionSteps,
)
from workflows.lifecycle.recording import RECORD_RETRY

FIRST_CONTACT = "answered at first contact"


@workflow.defn
class InquiryWorkflow(CustomerInfoSteps, ReclassifySteps, ResolutionSteps, CallbackSteps):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    @action("answer")
    async def answer(self, a: AnswerAction) -> CaseState:
        self._close_window(WindowName.FIRST_ANSWER)
        self.state.first_answer = FirstAnswer(
            answer=a.answer, by=a.actor.user_id, at=workflow.now()
        )
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

    @action("resolve_at_intake")
    async def resolve_at_intake(self, a: FirstContactResolveAction) -> CaseState:
        """First-contact resolution: answered and closed in one step; feedback is recorded and
        the follow-up window still runs."""
        self._close_window(WindowName.RESPONSE)
        self._close_window(WindowName.HANDLING)  # counted from receipt in newer versions
        self._close_window(WindowName.FIRST_ANSWER)
        self._resolution_reached()
        department = self.state.department or ""
        self.state.assignee = a.actor.user_id
        self.state.resolution = Resolution(
            department=department,
            process=FIRST_CONTACT,
            result=a.answer,
            resolved_by=a.actor.user_id,
        )
        self.state.feedback = Feedback(
            department=department,
            process=FIRST_CONTACT,
            result=a.answer,
            message=a.answer,
            channel=self.state.channel,
            delivered_by=a.actor.user_id,
        )
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

    @action("close")
    async def close(self, a: CloseAction) -> CaseState:
        """Close without a satisfaction callback (an inquiry's follow-up is optional)."""
        closed = self._event("closed", a.actor, f"closed without callback: {a.reason}")
        await self._archive([closed], outcome=Outcome.CLOSED)
        return self.state

    @action("convert")
    async def convert(self, a: ConvertAction) -> CaseState:
        """Turn the inquiry into a complaint: a new complaint case linked both ways."""
        complaint_id = await workflow.execute_activity_method(
            CaseActivities.allocate_case_number,
            CaseNumberRequest(case_type=CaseType.COMPLAINT, at=workflow.now()),
            start_to_close_timeout=timedelta(seconds=30),
            retry_policy=RECORD_RETRY,
            summary=summaries.case_number_activity(CaseType.COMPLAINT.value),
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
                limits=self.inp.limits,
                links={"converted_from": self.state.case_id},
                patches=born_with(),
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
