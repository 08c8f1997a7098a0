"""The fault repair case (故障报修): responded to within 1 h (30 min in an emergency, 003 §2.4),
an engineer dispatched, service restored within 2 h of the report (000 §3.1), the customer kept
informed at each step and asked to confirm, then the satisfaction callback.

A fault can be part of an outage (an incident of its own case type): linked at intake or later,
it is restored when the outage is, with the outage's cause and fix, and its customer is told
once — also when it links after the outage was already restored.
"""

from __future__ import annotations

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from activities.cases import CaseActivities
    from caseflow.domain import (
        SYSTEM_ACTOR,
        Actor,
        CaseInput,
        CaseState,
        CustomerResponseAction,
        DispatchAction,
        FaultLinked,
        LinkOutageAction,
        OutageRestored,
        Phase,
        ProgressAction,
        RestoredAction,
        WindowName,
        WindowState,
        summaries,
    )
    from caseflow.domain.errors import invalid_input, invalid_state

from workflows.lifecycle.actions import action
from workflows.lifecycle.clock import CLOCK_TIMEOUT
from workflows.lifecycle.handling import CallbackSteps, ReclassifySteps
from workflows.outage import FAULT_LINKED, OUTAGE_RESTORED

RESTORED_PHASES = frozenset({Phase.RESOLVED, Phase.FEEDBACK_GIVEN, Phase.ARCHIVED})


def _link_check(wf: FaultWorkflow, a: LinkOutageAction) -> None:
    if wf.state.fault is not None and wf.state.fault.outage_id == a.outage_id:
        raise invalid_input(
            "already_linked", f"case {wf.state.case_id} is already linked to {a.outage_id}"
        )


def _confirm_check(wf: FaultWorkflow, a: CustomerResponseAction) -> None:
    if wf.state.customer_confirmed:
        raise invalid_state(
            "already_confirmed", f"the customer already confirmed case {wf.state.case_id}"
        )


@workflow.defn
class FaultWorkflow(ReclassifySteps, CallbackSteps):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    async def _after_intake(self) -> None:
        fault = self.state.fault
        if fault is not None and fault.outage_id:
            async with self._lock:
                await self._link(fault.outage_id, self.inp.created_by)

    # ------------------------------------------------------------------ field work
    @action("dispatch")
    async def dispatch(self, a: DispatchAction) -> CaseState:
        assert self.state.fault is not None
        self._close_window(WindowName.DISPATCH)
        self.state.fault.engineer = a.engineer
        self.state.fault.appointment_at = a.appointment_at
        self.state.phase = Phase.DISPATCHED
        restoration = self.state.window(WindowName.RESTORATION)
        await self._commit(
            [
                self._event(
                    "dispatched",
                    a.actor,
                    f"engineer {a.engineer} dispatched; appointment "
                    f"{a.appointment_at.isoformat()}. {a.note}".strip(),
                    window=WindowName.RESTORATION,
                    deadline=restoration.due_at if restoration else None,
                    engineer=a.engineer,
                )
            ],
            [
                self._to_customer(
                    "appointment",
                    engineer=a.engineer,
                    appointment=a.appointment_at.isoformat(),
                )
            ],
        )
        return self.state

    @action("progress")
    async def progress(self, a: ProgressAction) -> CaseState:
        await self._commit(
            [self._event("progress", a.actor, f"progress told to the customer: {a.text}")],
            [self._to_customer("progress", message=a.text)],
        )
        return self.state

    @action("restored")
    async def restored(self, a: RestoredAction) -> CaseState:
        await self._restore(a.cause, a.fix, by=a.actor.user_id, actor=a.actor)
        return self.state

    async def _restore(self, cause: str, fix: str, *, by: str, actor: Actor) -> None:
        """Service is back: the restoration window closes (on time or late), the customer is
        told the cause and the fix and asked to confirm within the feedback window."""
        fault = self.state.fault
        assert fault is not None
        for name in (WindowName.RESPONSE, WindowName.DISPATCH, WindowName.TRANSFER):
            self._close_window(name, cancelled=True)
        restoration = self._close_window(WindowName.RESTORATION)
        self._resolution_reached()
        fault.cause, fault.fix = cause, fix
        fault.restored_at = workflow.now()
        fault.restored_by = by
        self.state.phase = Phase.RESOLVED
        feedback = await self._open_window(WindowName.FEEDBACK)
        on_time = restoration is not None and restoration.state == WindowState.MET
        await self._commit(
            [
                self._event(
                    "restored",
                    actor,
                    f"service restored ({'on time' if on_time else 'late'}): {cause}; {fix}",
                    window=WindowName.FEEDBACK,
                    deadline=feedback.due_at if feedback else None,
                    restored_by=by,
                )
            ],
            [self._to_customer("restored", cause=cause, fix=fix)],
        )

    # ------------------------------------------------------------------ the customer's word
    @action("confirm", check=_confirm_check)
    async def confirm(self, a: CustomerResponseAction) -> CaseState:
        """The customer confirms service is back: the follow-up window starts."""
        self._close_window(WindowName.FEEDBACK)
        self.state.customer_confirmed = True
        self.state.phase = Phase.FEEDBACK_GIVEN
        w = await self._open_window(WindowName.FOLLOW_UP)
        await self._commit(
            [
                self._event(
                    "customer_confirmed",
                    a.actor,
                    f"customer confirmed service is restored. {a.comment}".strip(),
                    window=WindowName.FOLLOW_UP,
                    deadline=w.due_at if w else None,
                )
            ]
        )
        return self.state

    @action("dispute")
    async def dispute(self, a: CustomerResponseAction) -> CaseState:
        """Still broken: the case reopens with a fresh restoration window (counted)."""
        fault = self.state.fault
        assert fault is not None
        self._close_window(WindowName.FEEDBACK, cancelled=True)
        self.state.customer_confirmed = False
        self.state.reopen_count += 1
        self.state.phase = Phase.IN_PROGRESS
        fault.restored_at = None
        self.state.windows.pop(WindowName.RESTORATION.value, None)
        w = await self._open_window(WindowName.RESTORATION)
        await self._commit(
            [
                self._event(
                    "reopened",
                    a.actor,
                    f"customer reports it still broken; reopened (reopen "
                    f"#{self.state.reopen_count}): {a.comment}",
                    window=WindowName.RESTORATION,
                    deadline=w.due_at if w else None,
                    reopen_count=str(self.state.reopen_count),
                )
            ],
            [self._internal(self.state.assignee or "agent", "reopened")],
        )
        return self.state

    # ------------------------------------------------------------------ outages
    @action("link_outage", check=_link_check)
    async def link_outage(self, a: LinkOutageAction) -> CaseState:
        await self._link(a.outage_id, a.actor)
        return self.state

    async def _link(self, outage_id: str, actor: Actor) -> None:
        """Part of `outage_id`: restored now if it already is, else when it is (the outage
        is told of this case and tells it back)."""
        assert self.state.fault is not None
        self.state.fault.outage_id = outage_id
        await self._commit(
            [self._event("linked_outage", actor, f"linked to outage {outage_id}", outage=outage_id)]
        )
        if await self._restored_from_record(outage_id):
            return
        try:
            await workflow.get_external_workflow_handle(outage_id).signal(
                FAULT_LINKED, FaultLinked(case_id=self.state.case_id)
            )
        except FailureError:
            # The outage closed between our look and the signal: it closes only once restored.
            await self._restored_from_record(outage_id)

    async def _restored_from_record(self, outage_id: str) -> bool:
        status = await workflow.execute_local_activity_method(
            CaseActivities.outage_status,
            outage_id,
            start_to_close_timeout=CLOCK_TIMEOUT,
            summary=summaries.outage_activity(outage_id),
        )
        if status.restored_at is None:
            return False
        await self._restore(status.cause or "", status.fix or "", by=outage_id, actor=SYSTEM_ACTOR)
        return True

    @workflow.signal(name=OUTAGE_RESTORED)
    async def outage_restored(self, msg: OutageRestored) -> None:
        """The outage this case links to is restored. Exactly once: a case already restored
        (by its engineer, or by an earlier word from the outage) is not restored again."""
        if not self._opened:
            await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
            fault = self.state.fault
            if fault is None or fault.outage_id != msg.outage_id:
                return  # linked to another outage since
            if self.state.phase in RESTORED_PHASES:
                return
            await self._restore(msg.cause, msg.fix, by=msg.outage_id, actor=SYSTEM_ACTOR)
