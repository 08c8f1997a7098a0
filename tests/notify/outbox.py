"""Outbox rows, cases and staff written straight into the embedded PostgreSQL, as the record
activity and `caseflow user add` would, for the delivery tests of this package."""

from __future__ import annotations

import json
import secrets
import uuid
from datetime import UTC, datetime

from sqlalchemy import text

from caseflow.notify.delivery import DeliveryWorker

PREFIX = "CMP-NTF-"


class Discard:
    """A plain sender that drops everything: clears rows other tests left pending."""

    async def send(self, channel, recipient, subject, body) -> None:
        return None


async def drain(engine) -> None:
    while await DeliveryWorker(engine, Discard()).run_once(1000):
        pass


async def add_case(engine, customer: dict | None, notes: list[dict], department: str) -> str:
    """A case whose snapshot holds `customer`, and its pending notifications."""
    case_id = f"{PREFIX}{uuid.uuid4().hex[:10]}"
    now = datetime.now(UTC)
    state = {"case_id": case_id, "customer": customer} if customer is not None else {}
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_type, phase, channel, tier, department, "
                "escalation_level, breached, warned, policy_version, seq, reopen_count, "
                "opened_at, updated_at, state) VALUES (:c, 'complaint', 'new', 'sms', "
                "'standard', :d, 1, false, false, '2026.1', 1, 0, :now, :now, "
                "CAST(:state AS jsonb))"
            ),
            {"c": case_id, "d": department, "now": now, "state": json.dumps(state)},
        )
        for idx, note in enumerate(notes):
            await conn.execute(
                text(
                    "INSERT INTO notifications (case_id, seq, idx, recipient, channel, "
                    "template, department, params, status, created_at, attempts, language) "
                    "VALUES (:c, 1, :idx, :recipient, :channel, :template, :department, "
                    "CAST(:params AS jsonb), 'pending', :now, 0, :language)"
                ),
                {
                    "c": case_id,
                    "idx": idx,
                    "recipient": note.get("recipient", "customer"),
                    "channel": note.get("channel", "sms"),
                    "template": note.get("template", "intake_ack"),
                    "department": note.get("department", department),
                    "params": json.dumps({"case_id": case_id, **note.get("params", {})}),
                    "now": now,
                    "language": note.get("language", "zh"),
                },
            )
    return case_id


async def rows(engine, case_id: str) -> list:
    async with engine.connect() as conn:
        result = await conn.execute(
            text(
                "SELECT id, idx, status, attempts, subject, body, last_error, not_before, "
                "provider, provider_id, route FROM notifications WHERE case_id = :c ORDER BY idx"
            ),
            {"c": case_id},
        )
        return result.all()


async def add_department(engine) -> str:
    department = f"ntf-{uuid.uuid4().hex[:8]}"
    async with engine.begin() as conn:
        await conn.execute(
            text("INSERT INTO departments (id, name) VALUES (:d, :d)"), {"d": department}
        )
    return department


async def add_user(engine, department: str | None, **fields) -> str:
    """A staff user; `fields` set role, ladder_role, email, phone, on_duty, active."""
    user_id = f"ntf-user-{uuid.uuid4().hex[:8]}"
    values = {
        "id": user_id,
        "name": "测试员工",
        "role": "agent",
        "department": department,
        "token_hash": secrets.token_hex(32),
        "active": True,
        "on_duty": True,
        "ladder_role": None,
        "email": None,
        "phone": None,
        **fields,
    }
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, name, role, department, token_hash, active, on_duty, "
                "ladder_role, email, phone) VALUES (:id, :name, :role, :department, "
                ":token_hash, :active, :on_duty, :ladder_role, :email, :phone)"
            ),
            values,
        )
    return user_id


async def remove_test_data(engine) -> None:
    async with engine.begin() as conn:
        for table in ("notifications", "case_events", "cases"):
            await conn.execute(
                text(f"DELETE FROM {table} WHERE case_id LIKE :p"), {"p": f"{PREFIX}%"}
            )
        await conn.execute(text("DELETE FROM users WHERE id LIKE 'ntf-user-%'"))
        await conn.execute(text("DELETE FROM departments WHERE id LIKE 'ntf-%'"))
