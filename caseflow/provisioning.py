"""The provisioning port an unsubscribe acts on, and its PostgreSQL implementation.

A real BSS/CRM adapter implements `ProvisioningPort`; the workflow only sees the activity.
Termination is idempotent: a service this case already terminated reports
"already_terminated" and is never terminated (or charged for) twice.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.errors import StoreError, described
from caseflow.db.models import Subscription

ACCOUNT = "account"  # the whole account: every active service of the number


class NotSubscribed(LookupError):
    """The customer has no such service: retrying cannot help. The message names the case and
    the services, never the phone number (it lands in the case's history and the logs)."""


class ProvisioningPort(Protocol):
    async def terminate(self, case_id: str, phone: str, services: list[str]) -> dict[str, str]:
        """Terminate the services; returns service -> "terminated" | "already_terminated"."""
        ...


class PostgresProvisioning:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def terminate(self, case_id: str, phone: str, services: list[str]) -> dict[str, str]:
        try:
            return await self._terminate(case_id, phone, services)
        except (DBAPIError, OSError) as exc:  # the statement's values hold the phone
            raise StoreError(
                f"the customer of case {case_id}: terminating failed: {described(exc)}"
            ) from None

    async def _terminate(self, case_id: str, phone: str, services: list[str]) -> dict[str, str]:
        now = datetime.now(UTC)
        results: dict[str, str] = {}
        async with self.engine.begin() as conn:
            rows = (
                await conn.execute(
                    select(Subscription).where(Subscription.phone == phone).with_for_update()
                )
            ).all()
            by_service = {row.service: row for row in rows}
            wanted = sorted(by_service) if ACCOUNT in services else services
            missing = [s for s in wanted if s not in by_service]
            if missing:
                raise NotSubscribed(
                    f"the customer of case {case_id} has no subscription to {', '.join(missing)}"
                )
            for service in wanted:
                row = by_service[service]
                if row.status == "terminated":
                    results[service] = "already_terminated"
                    continue
                await conn.execute(
                    Subscription.__table__.update()
                    .where(Subscription.id == row.id, Subscription.status == "active")
                    .values(status="terminated", terminated_at=now, terminated_by_case=case_id)
                )
                results[service] = "terminated"
        return results
