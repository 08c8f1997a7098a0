"""Lost cases in the read model: open here while their workflow ended in Temporal.

The reconciler (activities/reconcile.py) lists the open cases and marks the ones whose
workflow was terminated, failed, timed out or is missing. Marking is one transaction that
appends a `lost` event to the case's audit log at the next sequence number, raises an alert
to supervisors through the outbox (written like any transition's notification) and sets the
`lost_*` columns; the snapshot's sequence moves on with it, so a revived run continues the
audit log after the `lost` event. The first snapshot a live run writes clears the columns
(caseflow/readmodel/writes.py).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import CaseRow
from caseflow.domain import OPEN_PHASES, SYSTEM_ACTOR, LostStatus

OPEN = sorted(p.value for p in OPEN_PHASES)

# Conditional on the sequence the reconciler saw: a case that recorded anything since (a
# live workflow after all) is left alone, and a case marked once is not marked again.
_MARK = text(
    """
    UPDATE cases
       SET lost_at = :at, lost_status = :status, lost_run_id = :run_id,
           seq = seq + 1, state = jsonb_set(state, '{seq}', to_jsonb(seq + 1))
     WHERE case_id = :case_id AND seq = :seq AND lost_at IS NULL AND phase <> 'archived'
    RETURNING seq, department
    """
)
_EVENT = text(
    """
    INSERT INTO case_events (case_id, seq, kind, at, actor_id, actor_role, summary, "window",
                             deadline, data)
    VALUES (:case_id, :seq, 'lost', :at, :actor_id, :actor_role, :summary, NULL, NULL,
            CAST(:data AS jsonb))
    ON CONFLICT ON CONSTRAINT uq_case_events_case_seq DO NOTHING
    """
)
_ALERT = text(
    """
    INSERT INTO notifications (case_id, seq, idx, recipient, channel, template, department,
                               params, status, created_at, attempts, language)
    VALUES (:case_id, :seq, 0, 'supervisor', 'internal', 'case_lost', :department,
            CAST(:params AS jsonb), 'pending', :at, 0, 'zh')
    ON CONFLICT ON CONSTRAINT uq_notifications_case_seq_idx DO NOTHING
    """
)

WHAT_HAPPENED = {
    LostStatus.TERMINATED: "was terminated in Temporal",
    LostStatus.FAILED: "failed in Temporal",
    LostStatus.TIMED_OUT: "timed out in Temporal",
    LostStatus.CANCELED: "was cancelled in Temporal",
    LostStatus.MISSING: "is unknown to Temporal",
}


@dataclass(frozen=True)
class OpenCase:
    case_id: str
    seq: int
    opened_at: datetime


@dataclass(frozen=True)
class LostCase:
    case_id: str
    case_type: str
    phase: str
    department: str | None
    lost_at: datetime
    lost_status: str
    lost_run_id: str | None


def lost_summary(status: LostStatus, run_id: str | None) -> str:
    run = f" (run {run_id})" if run_id else ""
    return (
        f"the case's workflow {WHAT_HAPPENED[status]}{run} while the case is open: its time "
        "limits no longer run until an administrator revives it"
    )


class LostCases:
    """The reconciler's store, and what the API and pages read of lost cases."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def open_cases(self) -> list[OpenCase]:
        """Every open case not already marked lost, with the sequence seen now."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(CaseRow.case_id, CaseRow.seq, CaseRow.opened_at).where(
                    CaseRow.phase.in_(OPEN), CaseRow.lost_at.is_(None)
                )
            )
            return [OpenCase(r.case_id, r.seq, r.opened_at) for r in rows]

    async def mark_lost(
        self, case: OpenCase, status: LostStatus, run_id: str | None, at: datetime
    ) -> bool:
        """Mark one case lost, with its audit event and the supervisors' alert; False when the
        case moved on (recorded something, was archived or marked) since it was listed."""
        async with self.engine.begin() as conn:
            marked = (
                await conn.execute(
                    _MARK,
                    {
                        "case_id": case.case_id,
                        "seq": case.seq,
                        "at": at,
                        "status": status.value,
                        "run_id": run_id,
                    },
                )
            ).first()
            if marked is None:
                return False
            await conn.execute(
                _EVENT,
                {
                    "case_id": case.case_id,
                    "seq": marked.seq,
                    "at": at,
                    "actor_id": SYSTEM_ACTOR.user_id,
                    "actor_role": SYSTEM_ACTOR.role.value,
                    "summary": lost_summary(status, run_id),
                    "data": json.dumps(
                        {"status": status.value, **({"run_id": run_id} if run_id else {})}
                    ),
                },
            )
            await conn.execute(
                _ALERT,
                {
                    "case_id": case.case_id,
                    "seq": marked.seq,
                    "department": marked.department,
                    "at": at,
                    "params": json.dumps({"case_id": case.case_id, "lost": status.value}),
                },
            )
        return True

    async def lost(self, limit: int = 100) -> list[LostCase]:
        """The lost cases, longest lost first."""
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(
                    CaseRow.case_id,
                    CaseRow.case_type,
                    CaseRow.phase,
                    CaseRow.department,
                    CaseRow.lost_at,
                    CaseRow.lost_status,
                    CaseRow.lost_run_id,
                )
                .where(CaseRow.lost_at.is_not(None))
                .order_by(CaseRow.lost_at, CaseRow.case_id)
                .limit(limit)
            )
            return [LostCase(**r._mapping) for r in rows]

    async def count(self) -> int:
        async with self.engine.connect() as conn:
            return (
                await conn.execute(
                    select(func.count()).select_from(CaseRow).where(CaseRow.lost_at.is_not(None))
                )
            ).scalar_one()
