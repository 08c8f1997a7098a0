"""Hand-written read-model rows for tests that read the read model directly (reports, retention,
personal-data requests): a case's snapshot as JSON and its audit events, nothing else."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import text


def window(state: str) -> dict:
    return {"state": state}


async def insert_case(
    engine,
    case_id: str,
    case_type: str,
    phase: str,
    opened_at: datetime,
    *,
    category: str | None = None,
    assignee: str | None = None,
    reopen_count: int = 0,
    closed_at: datetime | None = None,
    state: dict | None = None,
    events: list[tuple[str, str]] = (),
    seq: int | None = None,
) -> None:
    """`state` is merged over a minimal snapshot; `events` are (kind, actor) in order, with
    optional data given as a third element."""
    snapshot = {
        "case_id": case_id,
        "case_type": case_type,
        "phase": phase,
        "customer": {"name": "", "phone": "", "customer_id": None, "tier": "standard"},
        "description": "",
        "category": category,
        "assignee": assignee,
        "reopen_count": reopen_count,
        "transfer_count": 0,
        "windows": {},
        "links": {},
        **(state or {}),
    }
    last = seq if seq is not None else len(events)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO cases (case_id, case_type, phase, channel, category, tier, "
                "department, assignee, escalation_level, breached, warned, policy_version, seq, "
                "reopen_count, opened_at, updated_at, closed_at, state) VALUES (:id, :t, :p, "
                "'phone', :cat, 'standard', 'customer_service', :a, 1, false, false, '2026.2', "
                ":seq, :reopen, :at, :at, :closed, CAST(:s AS jsonb))"
            ),
            {
                "id": case_id,
                "t": case_type,
                "p": phase,
                "cat": category,
                "a": assignee,
                "seq": last,
                "reopen": reopen_count,
                "at": opened_at,
                "closed": closed_at,
                "s": json.dumps(snapshot, ensure_ascii=False),
            },
        )
        for seq_no, event in enumerate(events, start=1):
            kind, actor, *rest = event
            data = rest[0] if rest else {}
            await conn.execute(
                text(
                    "INSERT INTO case_events (case_id, seq, kind, at, actor_id, actor_role, "
                    "summary, \"window\", data) VALUES (:c, :seq, :k, :at, :actor, 'agent', :s, "
                    ":w, CAST(:d AS jsonb))"
                ),
                {
                    "c": case_id,
                    "seq": seq_no,
                    "k": kind,
                    "at": opened_at,
                    "actor": actor,
                    "s": data.pop("_summary", kind),
                    "w": data.pop("_window", None),
                    "d": json.dumps(data, ensure_ascii=False),
                },
            )


async def delete_rows(engine, prefix: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "DELETE FROM attachment_blobs WHERE key IN (SELECT id FROM attachments "
                "WHERE case_id LIKE :p)"
            ),
            {"p": f"{prefix}%"},
        )
        await conn.execute(
            text("DELETE FROM subscriptions WHERE terminated_by_case LIKE :p"), {"p": f"{prefix}%"}
        )
        for table in (
            "notifications",
            "case_events",
            "personal_data_access",
            "attachments",
            "case_history_runs",
            "cases",
        ):
            await conn.execute(
                text(f"DELETE FROM {table} WHERE case_id LIKE :p"), {"p": f"{prefix}%"}
            )


async def tables_holding(engine, needles: list[str]) -> dict[str, int]:
    """Every table of the schema with rows that contain any of `needles`, searched in each
    row's whole text and in the raw bytes of its binary columns (stored attachments)."""
    found: dict[str, int] = {}
    async with engine.connect() as conn:
        tables = (
            (
                await conn.execute(
                    text(
                        "SELECT table_name FROM information_schema.tables "
                        "WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'"
                    )
                )
            )
            .scalars()
            .all()
        )
        for table in tables:
            binary = (
                (
                    await conn.execute(
                        text(
                            "SELECT column_name FROM information_schema.columns WHERE table_schema "
                            "= current_schema() AND table_name = :t AND data_type = 'bytea'"
                        ),
                        {"t": table},
                    )
                )
                .scalars()
                .all()
            )
            for needle in needles:
                tests = ["strpos(x::text, :n) > 0"] + [
                    f"position(convert_to(:n, 'UTF8') in x.{col}) > 0" for col in binary
                ]
                n = (
                    await conn.execute(
                        text(f'SELECT count(*) FROM "{table}" x WHERE {" OR ".join(tests)}'),
                        {"n": needle},
                    )
                ).scalar_one()
                if n:
                    found[table] = found.get(table, 0) + n
    return found


# The 8 bytes every PNG starts with: enough for the type check by magic numbers.
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


async def insert_customer_case(
    engine, blobs, case_id: str, name: str, phone: str, closed_at: datetime
) -> None:
    """An archived complaint whose customer's name and phone sit in every copy caseflow keeps:
    the snapshot, event summaries and data, notification parameters and texts, the
    provisioning side's termination record, an attachment's bytes and name, and the stored
    readable history of its Temporal run."""
    from caseflow.attachments import AttachmentRecords

    state = {
        "customer": {"name": name, "phone": phone, "customer_id": "ID-77", "tier": "standard"},
        "description": f"{name} ({phone}) was charged twice",
        "outcome": "resolved",
        "resolution": {
            "department": "customer_service",
            "process": f"called {phone}",
            "result": f"refunded {name}",
            "resolved_by": "agent.cs",
            "evidence": f"statement of {name}",
        },
        "feedback": {
            "department": "customer_service",
            "process": "p",
            "result": f"refunded {name}",
            "message": f"Dear {name}, refunded",
            "channel": "sms",
            "delivered_by": "agent.cs",
        },
        "satisfaction": {"satisfaction": "satisfied", "recorded_by": "agent.cs", "comment": name},
        "termination": {"status": "completed", "results": {"vas:music": "terminated"}},
        "services": ["vas:music"],
    }
    events = [
        ("intake", "channel.hotline", {"_summary": f"filed for {name}"}),
        ("note", "agent.cs", {"_summary": f"called {phone}", "text": f"{name} {phone}"}),
        ("resolved", "agent.cs", {"_summary": f"resolved: refunded {name}"}),
        ("archived", "system", {"_summary": "case archived", "outcome": "resolved"}),
    ]
    await insert_case(
        engine,
        case_id,
        "complaint",
        "archived",
        closed_at,
        category="service",
        assignee="agent.cs",
        closed_at=closed_at,
        state=state,
        events=events,
    )
    async with engine.begin() as conn:
        for idx, (status, body) in enumerate([("sent", f"{name}: refunded"), ("pending", None)]):
            await conn.execute(
                text(
                    "INSERT INTO notifications (case_id, seq, idx, recipient, channel, template, "
                    "params, status, created_at, attempts, language, body) VALUES (:c, 4, :i, "
                    "'customer', 'sms', 'feedback', CAST(:p AS jsonb), :st, :at, 0, 'zh', :b)"
                ),
                {
                    "c": case_id,
                    "i": idx,
                    "p": json.dumps({"case_id": case_id, "message": f"{name} {phone}"}),
                    "st": status,
                    "at": closed_at,
                    "b": body,
                },
            )
        await conn.execute(
            text(
                "INSERT INTO subscriptions (phone, service, status, monthly_fee_cents, "
                "terminated_at, terminated_by_case) VALUES (:p, 'vas:music', 'terminated', 0, "
                ":at, :c)"
            ),
            {"p": phone, "at": closed_at, "c": case_id},
        )
    await insert_history_run(engine, case_id, name, phone, closed_at)
    records = AttachmentRecords(engine, blobs)
    await records.add(
        case_id,
        f"{phone}.png",
        "image/png",
        PNG_MAGIC + f"screenshot of {phone} {name}".encode(),
        "channel.hotline",
        "channel",
    )


async def insert_history_run(engine, case_id: str, name: str, phone: str, closed_at) -> None:
    """The stored readable history of the case's one run, as the archiver writes it: the
    customer in the filed input, a note's text in an update's arguments and in the record it
    wrote, and a refusal's message."""
    from caseflow.history.readable import ReadableEvent, RecordedEvent
    from caseflow.history.store import HistoryStore, StoredRun

    def event(event_id: int, kind: str, **fields) -> ReadableEvent:
        return ReadableEvent(
            run=1, run_id=f"{case_id}-run", event_id=event_id, at=closed_at, kind=kind, **fields
        )

    events = [
        event(
            1,
            "filed",
            actor="channel.hotline",
            name="ComplaintWorkflow",
            args={
                "case_id": case_id,
                "case_type": "complaint",
                "customer": {"name": name, "phone": phone},
                "description": f"{name} ({phone}) was charged twice",
            },
        ),
        event(
            10,
            "update",
            actor="agent.cs",
            name="note",
            args={"text": f"called {name} on {phone}"},
            result={"phase": "in_progress", "seq": 2},
            status="completed",
        ),
        event(
            12,
            "recorded",
            actor="agent.cs",
            name="record_transition",
            label="record: note",
            recorded=[
                RecordedEvent(seq=2, kind="note", actor_id="agent.cs", summary=f"{name} {phone}")
            ],
        ),
        event(
            14,
            "update",
            actor="agent.cs",
            name="resolve",
            status="refused",
            failure=f"InvalidInput: {phone} is not a result",
        ),
    ]
    await HistoryStore(engine).save(
        StoredRun(
            case_id=case_id,
            run_id=f"{case_id}-run",
            run=1,
            workflow_type="ComplaintWorkflow",
            task_queue="tests",
            status="completed",
            started_at=closed_at,
            closed_at=closed_at,
            event_count=20,
            events=events,
        )
    )
