"""The record activity: every transition of a case, written to the read model atomically."""

from __future__ import annotations

from typing import Protocol

from temporalio import activity

from caseflow.domain import AuditEvent, RecordRequest


class TransitionStore(Protocol):
    async def write(self, req: RecordRequest) -> None:
        """Write the snapshot, its events and notifications in one transaction, idempotently
        (keyed on case and sequence number)."""


class RecordActivities:
    def __init__(self, store: TransitionStore) -> None:
        self.store = store

    @activity.defn
    async def record_transition(self, req: RecordRequest) -> list[AuditEvent]:
        """Returns the events: run as a local activity, only its result is in the workflow
        history, and that keeps the history alone enough to read the audit trail back."""
        await self.store.write(req)
        return req.events
