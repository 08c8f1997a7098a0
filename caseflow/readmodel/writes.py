"""The read model and audit log, written only here and idempotently.

Activities (and the API, for the intake it files) call `write_transition`. A retry repeats the
same (case id, sequence) writes: events and notifications are inserted with ON CONFLICT DO
NOTHING, and a snapshot only replaces an older one.
"""

from __future__ import annotations

import functools

from pydantic import TypeAdapter
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.errors import StoreError, described
from caseflow.db.models import CaseEventRow, CaseRow, NotificationRow
from caseflow.domain import CaseState, RecordRequest, WindowState
from caseflow.domain.deadlines import next_deadline

_state_json = TypeAdapter(CaseState)


def case_row_values(state: CaseState) -> dict:
    """Flatten a snapshot into the columns lists and dashboards filter and sort on."""
    open_windows = [w for w in state.windows.values() if w.is_open]
    due, what = next_deadline(state) or (None, None)
    return dict(
        case_id=state.case_id,
        case_type=state.case_type.value,
        phase=state.phase.value,
        channel=state.channel.value,
        category=state.category.value if state.category else None,
        severity=state.severity.value if state.severity else None,
        tier=state.customer.tier.value,
        department=state.department,
        assignee=state.assignee,
        filed_by=state.filed_by or None,
        first_responsible=state.first_responsible,
        escalation_level=state.escalation.level,
        breached=any(w.state == WindowState.BREACHED for w in open_windows),
        warned=any(w.warned_at is not None for w in open_windows),
        next_deadline=due,
        next_window=what,
        policy_version=state.policy_version,
        seq=state.seq,
        reopen_count=state.reopen_count,
        client_reference=state.client_reference,
        opened_at=state.opened_at,
        updated_at=state.updated_at,
        closed_at=state.closed_at,
        state=_state_json.dump_python(state, mode="json"),
        # A snapshot newer than the one the reconciler marked lost comes from a live run.
        lost_at=None,
        lost_status=None,
        lost_run_id=None,
    )


def _storable(value):
    """Defence in depth: PostgreSQL text cannot hold NUL, and a record that can never be
    written would stall its case forever. The API already refuses NUL; this strips any."""
    if isinstance(value, str):
        return value.replace("\x00", "")
    if isinstance(value, dict):
        return {_storable(k): _storable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_storable(v) for v in value]
    return value


# Constant statements (rows passed as parameters) compile once and run as one executemany.
_INSERT_EVENTS = insert(CaseEventRow).on_conflict_do_nothing(constraint="uq_case_events_case_seq")
_INSERT_NOTIFICATIONS = insert(NotificationRow).on_conflict_do_nothing(
    constraint="uq_notifications_case_seq_idx"
)


@functools.cache
def _upsert_case(columns: tuple[str, ...]):
    """The snapshot upsert: a newer snapshot replaces an older one, never the reverse."""
    stmt = insert(CaseRow)
    return stmt.on_conflict_do_update(
        index_elements=[CaseRow.case_id],
        set_={c: stmt.excluded[c] for c in columns if c != "case_id"},
        where=CaseRow.seq < stmt.excluded.seq,
    )


async def write_transition(engine: AsyncEngine, req: RecordRequest) -> None:
    """Write the snapshot, its audit events and its notifications in one transaction; a
    repeat (same case and sequence numbers) writes nothing twice and never goes back."""
    values = _storable(case_row_values(req.state))
    upsert = _upsert_case(tuple(values))
    case_id = req.state.case_id
    last = req.events[-1]
    events = [
        dict(
            case_id=case_id,
            seq=e.seq,
            kind=e.kind,
            at=e.at,
            actor_id=e.actor_id,
            actor_role=e.actor_role,
            summary=_storable(e.summary),
            window=e.window,
            deadline=e.deadline,
            data=_storable(e.data),
        )
        for e in req.events
    ]
    # Notifications hang off the transition's last event: (case, seq, idx) is their key.
    notifications = [
        dict(
            case_id=case_id,
            seq=last.seq,
            idx=idx,
            recipient=n.recipient,
            channel=n.channel,
            template=n.template,
            department=n.department,
            params=_storable(n.params),
            status="pending",
            created_at=last.at,
            not_before=n.not_before,
        )
        for idx, n in enumerate(req.notifications)
    ]
    async with engine.begin() as conn:
        await conn.execute(upsert, values)
        await conn.execute(_INSERT_EVENTS, events)
        if notifications:
            await conn.execute(_INSERT_NOTIFICATIONS, notifications)


class ReadModelWriter:
    """The record activity's store: PostgreSQL through one engine."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def write(self, req: RecordRequest) -> None:
        try:
            await write_transition(self.engine, req)
        except (DBAPIError, OSError) as exc:
            # Retried by the activity until PostgreSQL takes it; the text names the case.
            raise StoreError(
                f"case {req.state.case_id}: recording events {req.events[0].seq}.."
                f"{req.events[-1].seq} failed: {described(exc)}"
            ) from None
