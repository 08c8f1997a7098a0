"""One customer across cases, found by phone (exact match, on an index): the earlier complaint a
new one repeats (重复投诉), staff's phone search, and personal-data requests (PIPL): everything
held about the customer, and its erasure."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.attachments.port import BlobStore
from caseflow.domain import CaseType
from caseflow.readmodel.erasure import strip_case

_BY_PHONE = "state->'customer'->>'phone' = :phone"


async def earlier_complaint(
    engine: AsyncEngine,
    phone: str,
    category: str,
    at: datetime,
    window_days: int,
    exclude: str,
) -> str | None:
    """The most recent complaint by the same phone in the same category filed within
    `window_days` before `at` (any phase), other than `exclude` (the new case itself)."""
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    f"SELECT case_id FROM cases WHERE {_BY_PHONE} AND case_type = :t "
                    "AND category = :cat AND opened_at >= :since AND opened_at <= :at "
                    "AND case_id <> :self ORDER BY opened_at DESC LIMIT 1"
                ),
                {
                    "phone": phone,
                    "t": CaseType.COMPLAINT.value,
                    "cat": category,
                    "since": at - timedelta(days=window_days),
                    "at": at,
                    "self": exclude,
                },
            )
        ).scalar_one_or_none()


async def cases_of_phone(engine: AsyncEngine, phone: str, limit: int = 200) -> list[dict]:
    """The customer's cases, newest first: what a case list shows, no personal data."""
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT case_id, case_type AS type, phase, category, department, assignee, "
                "opened_at, closed_at, state->'links'->>'repeat_of' AS repeat_of "
                f"FROM cases WHERE {_BY_PHONE} ORDER BY opened_at DESC LIMIT :n"
            ),
            {"phone": phone, "n": limit},
        )
        return [dict(r._mapping) for r in rows]


@dataclass
class CustomerExport:
    """Everything held about one customer: per case its snapshot, audit trail, notifications,
    attachments (their bytes in `files`, by attachment id), termination records and the stored
    readable history of its closed Temporal runs."""

    phone: str
    generated_at: datetime
    cases: list[dict] = field(default_factory=list)
    files: dict[str, bytes] = field(default_factory=dict)

    def json(self) -> str:
        return json.dumps(
            {
                "phone": self.phone,
                "generated_at": self.generated_at,
                "cases": self.cases,
            },
            ensure_ascii=False,
            indent=2,
            default=str,
        )


async def export_customer(engine: AsyncEngine, blobs: BlobStore, phone: str) -> CustomerExport:
    export = CustomerExport(phone=phone, generated_at=datetime.now(UTC))
    async with engine.connect() as conn:
        ids = (
            await conn.execute(
                text(f"SELECT case_id FROM cases WHERE {_BY_PHONE} ORDER BY opened_at"),
                {"phone": phone},
            )
        ).scalars()
        for case_id in list(ids):
            entry = {}
            for name, query in (
                ("case", "SELECT * FROM cases WHERE case_id = :c"),
                ("events", "SELECT * FROM case_events WHERE case_id = :c ORDER BY seq"),
                (
                    "notifications",
                    "SELECT * FROM notifications WHERE case_id = :c ORDER BY seq, idx",
                ),
                ("attachments", "SELECT * FROM attachments WHERE case_id = :c ORDER BY id"),
                (
                    "terminations",
                    "SELECT * FROM subscriptions WHERE terminated_by_case = :c ORDER BY id",
                ),
                (
                    "history_runs",  # the readable history of each closed Temporal run
                    "SELECT * FROM case_history_runs WHERE case_id = :c ORDER BY started_at, run",
                ),
            ):
                rows = [dict(r._mapping) for r in await conn.execute(text(query), {"c": case_id})]
                entry[name] = rows[0] if name == "case" else rows
            export.cases.append(entry)
    for entry in export.cases:
        for meta in entry["attachments"]:
            if meta["erased_at"] is None:
                data = await blobs.get(meta["id"])
                if data is not None:
                    export.files[meta["id"]] = data
    return export


@dataclass
class ErasureResult:
    erased: list[str] = field(default_factory=list)  # stripped now
    already: list[str] = field(default_factory=list)  # stripped before (retention, a request)
    open: list[str] = field(default_factory=list)  # not archived: nothing done


async def erase_customer(
    engine: AsyncEngine,
    blobs: BlobStore,
    phone: str,
    *,
    request_ref: str,
    basis: str,
    actor_id: str,
    actor_role: str,
) -> ErasureResult:
    """Erase the customer's personal data from every archived case of theirs, each with an
    `erased` audit event naming the request and its legal basis. Refuses nothing silently:
    open cases are returned untouched (their workflows still hold the data)."""
    result = ErasureResult()
    async with engine.begin() as conn:
        rows = (
            await conn.execute(
                text(f"SELECT case_id, phase FROM cases WHERE {_BY_PHONE} ORDER BY opened_at"),
                {"phone": phone},
            )
        ).all()
        result.open = [r.case_id for r in rows if r.phase != "archived"]
        if result.open:
            return result
        now = datetime.now(UTC)
        for row in rows:
            done = await strip_case(
                conn,
                row.case_id,
                blobs,
                kind="erased",
                summary="personal data erased on the customer's request",
                data={"request": request_ref, "basis": basis},
                actor_id=actor_id,
                actor_role=actor_role,
                now=now,
            )
            (result.erased if done else result.already).append(row.case_id)
    return result
