"""Every transition of a case becomes audit events and notifications, written to the read
model by the record activity in one transaction before the case moves on."""

from __future__ import annotations

from datetime import datetime, timedelta

from temporalio import workflow
from temporalio.common import RetryPolicy

with workflow.unsafe.imports_passed_through():
    from activities.records import RecordActivities
    from caseflow.domain import (
        Actor,
        AuditEvent,
        CaseInput,
        CaseState,
        Channel,
        NotificationRequest,
        RecordRequest,
        WindowName,
        summaries,
    )
    from caseflow.intake import customer_notice, internal_notice
    from caseflow.search_attributes import search_attribute_updates, search_attribute_values

# Database writes retry until PostgreSQL is back: nothing is dropped, a transition just waits.
# A local activity: the transition (and the update that caused it) completes in one workflow
# task. It is one transaction keyed on (case, seq), so a retry writes nothing twice.
RECORD_TIMEOUT = timedelta(seconds=30)
RECORD_RETRY = RetryPolicy(
    initial_interval=timedelta(seconds=1),
    backoff_coefficient=2.0,
    maximum_interval=timedelta(seconds=30),
)


class Recorder:
    """A part of CaseWorkflow: audit events, notices, and the write of each transition."""

    inp: CaseInput
    state: CaseState
    _changes: int
    _attributes: dict[str, object] | None

    def _event(
        self,
        kind: str,
        actor: Actor,
        summary: str,
        *,
        window: WindowName | None = None,
        deadline: datetime | None = None,
        **data: str | None,
    ) -> AuditEvent:
        self.state.seq += 1
        return AuditEvent(
            seq=self.state.seq,
            kind=kind,
            at=workflow.now(),
            actor_id=actor.user_id,
            actor_role=actor.role.value,
            summary=summary,
            window=window.value if window else None,
            deadline=deadline,
            data={k: v for k, v in data.items() if v is not None},
        )

    def _internal(self, recipient: str, template: str, **params: str) -> NotificationRequest:
        return internal_notice(self.state, recipient, template, **params)

    def _to_customer(
        self, template: str, channel: Channel | None = None, **params: str
    ) -> NotificationRequest:
        return customer_notice(self.state, template, channel, **params)

    async def _commit(
        self, events: list[AuditEvent], notifications: list[NotificationRequest] = ()
    ) -> None:
        if not events:
            return
        self.state.updated_at = workflow.now()
        await self._write(
            RecordRequest(state=self.state, events=events, notifications=list(notifications))
        )

    async def _write(self, request: RecordRequest) -> None:
        self._changes += 1
        self._upsert_search_attributes()
        await workflow.execute_local_activity_method(
            RecordActivities.record_transition,
            request,
            start_to_close_timeout=RECORD_TIMEOUT,
            retry_policy=RECORD_RETRY,
            summary=summaries.record_activity(e.kind for e in request.events),
        )

    def _upsert_search_attributes(self) -> None:
        """Only the attributes that changed: an unchanged one costs no history event."""
        if not self.inp.search_attributes:
            return
        values = search_attribute_values(self.state)
        updates = search_attribute_updates(values, self._attributes)
        if updates:
            workflow.upsert_search_attributes(updates)
        self._attributes = values
