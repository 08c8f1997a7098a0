"""The outage case (网络故障事件): an internal incident opened by staff, taken up by network
operations and restored within the policy's window (000 §2.4: network outages first; §3.1).

Fault cases link to it (at intake or later). Restoring it tells every linked fault case, once
each: the fault restores itself with the outage's cause and fix and tells its customer. A fault
that links after the restoration learns it from the read model (fault.py), so none is missed.
"""

from __future__ import annotations

import asyncio

from temporalio import workflow
from temporalio.exceptions import FailureError

with workflow.unsafe.imports_passed_through():
    from caseflow.domain import (
        SYSTEM_ACTOR,
        CaseInput,
        CaseState,
        FaultLinked,
        OutageRestored,
        Outcome,
        Phase,
        RestoreOutageAction,
        WindowName,
    )

from workflows.lifecycle.actions import action
from workflows.lifecycle.base import CaseWorkflow

FAULT_LINKED = "fault_linked"  # the signal a fault sends the outage it links to
OUTAGE_RESTORED = "outage_restored"  # the signal the outage sends each linked fault


@workflow.defn
class OutageWorkflow(CaseWorkflow):
    @workflow.run
    async def run(self, inp: CaseInput) -> CaseState:
        return await self._run()

    @workflow.signal(name=FAULT_LINKED)
    async def fault_linked(self, msg: FaultLinked) -> None:
        if not self._opened:
            await workflow.wait_condition(lambda: self._opened)
        async with self._lock:
            outage = self.state.outage
            assert outage is not None
            if msg.case_id in outage.linked:
                return
            outage.linked.append(msg.case_id)
            await self._commit(
                [
                    self._event(
                        "fault_linked",
                        SYSTEM_ACTOR,
                        f"fault {msg.case_id} linked ({len(outage.linked)} in all)",
                        fault=msg.case_id,
                    )
                ]
            )
            if outage.restored_at is not None:  # linked after the restoration: tell it now
                await self._tell([msg.case_id])

    @action("restore_outage")
    async def restore_outage(self, a: RestoreOutageAction) -> CaseState:
        outage = self.state.outage
        assert outage is not None
        self._close_window(WindowName.RESPONSE, cancelled=True)
        self._close_window(WindowName.TRANSFER, cancelled=True)
        self._close_window(WindowName.RESTORATION)
        self._resolution_reached()
        outage.cause, outage.fix = a.cause, a.fix
        outage.restored_at = workflow.now()
        # Recorded before any fault is told: a fault linking from now on reads it as restored.
        await self._commit(
            [
                self._event(
                    "outage_restored",
                    a.actor,
                    f"outage restored: {a.cause}; {a.fix}; telling {len(outage.linked)} "
                    "linked fault cases",
                )
            ]
        )
        await self._tell(list(outage.linked))
        closed = self._event(
            "faults_told",
            SYSTEM_ACTOR,
            f"{len(outage.told)} linked fault cases told of the restoration",
        )
        await self._archive([closed], outcome=Outcome.RESTORED, summary="outage restored")
        return self.state

    async def _after_revival(self) -> None:
        # Lost between recording the restoration and archiving: tell the faults not told yet
        # (each once; a fault ignores a second word) and archive, as restore_outage would have.
        outage = self.state.outage
        if outage is None or outage.restored_at is None or self.state.phase == Phase.ARCHIVED:
            return
        async with self._lock:
            await self._tell(list(outage.linked))
            closed = self._event(
                "faults_told",
                SYSTEM_ACTOR,
                f"{len(outage.told)} linked fault cases told of the restoration",
            )
            await self._archive([closed], outcome=Outcome.RESTORED, summary="outage restored")

    async def _tell(self, case_ids: list[str]) -> None:
        """Signal each fault not told yet, once; a fault already closed needs no word."""
        outage = self.state.outage
        assert outage is not None and outage.restored_at is not None
        pending = [c for c in case_ids if c not in outage.told]
        message = OutageRestored(
            outage_id=self.state.case_id,
            cause=outage.cause or "",
            fix=outage.fix or "",
            at=outage.restored_at,
        )

        async def tell(case_id: str) -> None:
            try:
                await workflow.get_external_workflow_handle(case_id).signal(
                    OUTAGE_RESTORED, message
                )
            except FailureError:
                workflow.logger.info("linked fault already closed", extra={"fault": case_id})

        await asyncio.gather(*(tell(c) for c in pending))
        outage.told.extend(pending)
