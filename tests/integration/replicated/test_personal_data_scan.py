"""Nothing leaks: every case type run through the HTTP API with a distinctive customer name and
phone (and reply addresses: e-mail, app user id, WeChat openid), on the two-of-everything stack
(every part a process with its own log file, Temporal's dev server persisted to temporal.db,
payloads encrypted), then every copy searched.

No such value may appear in any log file (workers, APIs, Temporal, PostgreSQL), in temporal.db
(with its WAL), or in any history payload as Temporal stores it (raw bytes: every payload but a
search attribute is encrypted, failure texts included); in PostgreSQL only in the columns the
read model needs (listed below). The run includes a failure on purpose: an unsubscribe naming a
service the customer does not have, whose termination fails, escalates and is retried.
"""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from pathlib import Path

import httpx
import pytest
from sqlalchemy import text
from temporalio.api.common.v1 import Payload

from caseflow.claims import HEADER as CLAIM_HEADER
from caseflow.codec import ENCODING
from tests.integration.conftest import auth
from tests.integration.replicated.stack import ReplicatedStack

pytestmark = pytest.mark.integration

NAME = "诸葛隐秘"
PHONE = "13987650123"
# The customer's reply addresses (e-mail, app user id, WeChat openid): personal data too.
EMAIL = "zhuge.yinmi.7731@example.cn"
APP_ID = "app-yinmi-7731"
OPENID = "oYinmi7731WxQ"
VALUES = (NAME, PHONE, EMAIL, APP_ID, OPENID)
# Where the read model needs them, and why: the case snapshot holds the customer (the pages,
# the notifications' recipients, the fault's service number); the provisioning stand-in keys
# subscriptions by phone. Nothing else.
ALLOWED = {
    ("cases", "state"): set(VALUES),
    ("subscriptions", "phone"): {PHONE},
}
# Where they may also be, decoded like the read model and erased with it: the readable
# history of a run that closed (caseflow/history/store.py), once the worker's archiver sweep
# has stored it, which on a busy machine can be before this scan.
MAY_ALSO = ("case_history_runs", "events")
# Payloads Temporal may store in clear (JSON, or the empty value): search attributes (keywords,
# numbers, times: never personal data), the SDK's own bookkeeping in markers (a local
# activity's sequence, attempt and type; a patch's id) and the signed actor claim in a start's,
# update's or signal's header (a key id, an issue time and a MAC: exactly those fields, checked
# below). A local activity's result is a payload like any other: encrypted.
CLEAR_ENCODINGS = {b"json/plain", b"binary/null"}
CLEAR_PATHS = (
    ".search_attributes.",
    ".marker_recorded_event_attributes.details[data]",
    ".marker_recorded_event_attributes.details[patch-data]",
)
CLAIM_PATH = f".header.fields[{CLAIM_HEADER}]"
CLAIM_FIELDS = {"v", "kid", "at", "mac"}


def forms(value: str) -> list[bytes]:
    """The value as bytes the way a file may hold it: UTF-8, and JSON's \\u escapes."""
    escaped = json.dumps(value)[1:-1].encode()
    return list(dict.fromkeys([value.encode(), escaped]))


def found_in(data: bytes) -> set[str]:
    return {v for v in VALUES if any(f in data for f in forms(v))}


async def run_every_case_type(http: httpx.AsyncClient, stack: ReplicatedStack) -> list[str]:
    api1, api2 = stack.bases
    customer = {"name": NAME, "phone": PHONE, "email": EMAIL, "app_id": APP_ID, "openid": OPENID}
    filed: list[str] = []

    async def file(body: dict, who: str = "channel", base: str = api1) -> str:
        r = await http.post(f"{base}/api/v1/cases", json=body, headers=auth(who))
        assert r.status_code == 201, r.text
        filed.append(r.json()["case_id"])
        return filed[-1]

    async def act(case_id: str, action: str, who: str, body: dict | None = None) -> dict:
        # Alternate the replicas: any API process acts on any case.
        base = stack.bases[len(filed) % 2]
        r = await http.post(
            f"{base}/api/v1/cases/{case_id}/actions/{action}", json=body, headers=auth(who)
        )
        assert r.status_code == 200, (action, r.status_code, r.text)
        return r.json()

    # A complaint, with a question to the customer, to the callback.
    complaint = await file(
        {
            "type": "complaint",
            "customer": customer,
            "channel": "phone",
            "category": "service",
            "severity": "general",
            "description": "Charged twice for the October data package",
        }
    )
    await act(complaint, "accept", "cs")
    await act(complaint, "request_info", "cs", {"question": "Which month?"})
    await act(complaint, "customer_reply", "channel", {"text": "October"})
    await act(complaint, "note", "cs", {"text": "billing checked"})
    await act(complaint, "resolve", "cs", {"result": "refunded 30 yuan", "process": "billing"})
    await act(complaint, "feedback", "cs", {"message": "We refunded the double charge"})
    await act(complaint, "confirm", "channel", {"comment": "ok"})
    # A regulator's appeal about it, answered.
    appeal = await file(
        {
            "type": "appeal",
            "customer": customer,
            "channel": "web",
            "kind": "miit",
            "appeal_of": complaint,
            "description": "Appealed to the MIIT",
        },
        who="demo-channel-miit",
        base=api2,
    )
    await act(appeal, "accept", "cs")
    await act(appeal, "reply_regulator", "cs", {"reply": "Refunded; the customer agreed"})
    await act(complaint, "callback", "cs", {"satisfaction": "satisfied"})

    # Inquiries: one answered and closed, one converted into a complaint (a child case).
    inquiry = await file(
        {"type": "inquiry", "customer": customer, "channel": "phone", "description": "Roaming?"}
    )
    await act(inquiry, "accept", "cs")
    await act(inquiry, "answer", "cs", {"answer": "It ends on 31 December"})
    await act(inquiry, "resolve", "cs", {"result": "explained", "process": "checked the plan"})
    await act(inquiry, "feedback", "cs", {"message": "Your package ends on 31 December"})
    await act(inquiry, "close", "cs", {"reason": "answered"})
    converted = await file(
        {"type": "inquiry", "customer": customer, "channel": "app", "description": "Bill?"},
        who="app",
        base=api2,
    )
    await act(converted, "accept", "cs")
    case = await act(
        converted, "convert", "cs", {"category": "marketing", "severity": "major", "reason": "x"}
    )
    filed.append(case["links"]["converted_to"])

    # An unsubscribe whose termination fails first (no such add-on), then is retried.
    async with stack.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO subscriptions (phone, service, status, monthly_fee_cents) "
                "VALUES (:p, 'voice', 'active', 1000), (:p, 'vas:music', 'active', 500)"
            ),
            {"p": PHONE},
        )
    unsubscribe = await file(
        {
            "type": "unsubscribe",
            "customer": customer,
            "channel": "app",
            "services": ["vas:music", "vas:video"],
            "description": "Stop the add-ons",
        },
        who="app",
    )
    await act(unsubscribe, "accept", "cs")
    await act(unsubscribe, "consent", "app", {"comment": "SMS reply Y"})
    failed = await wait_for_case(
        http, api1, unsubscribe, lambda c: (c["termination"] or {}).get("status") == "failed"
    )
    assert PHONE not in failed["termination"]["error"]
    async with stack.engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO subscriptions (phone, service, status, monthly_fee_cents) "
                "VALUES (:p, 'vas:video', 'active', 800)"
            ),
            {"p": PHONE},
        )
    await act(unsubscribe, "retry_termination", "cs", {"comment": "added in the BSS"})
    await wait_for_case(http, api1, unsubscribe, lambda c: c["phase"] == "under_review")
    await act(unsubscribe, "review", "supervisor", {"approved": True, "comment": "complete"})

    # An outage with a fault filed as part of it (the customer's number as its service
    # number); restoring the outage restores the fault, the customer confirms.
    outage = await file(
        {"type": "outage", "channel": "internal", "area": "浦东张江", "description": "Fibre cut"},
        who="network",
    )
    fault = await file(
        {
            "type": "fault",
            "customer": customer,
            "channel": "phone",
            "kind": "broadband",
            "service_number": PHONE,
            "location": "上海市浦东新区张江路 100 号",
            "description": "No internet since this morning",
            "outage_id": outage,
        },
        base=api2,
    )
    await wait_for_case(http, api1, outage, lambda c: fault in c["outage"]["linked"])
    await act(outage, "restore_outage", "network", {"cause": "fibre cut", "fix": "spliced"})
    await wait_for_case(http, api1, fault, lambda c: c["phase"] == "resolved")
    await act(fault, "confirm", "channel", {"comment": "works again"})
    await act(fault, "callback", "network", {"satisfaction": "satisfied"})

    # A service request.
    request = await file(
        {
            "type": "service_request",
            "customer": customer,
            "channel": "app",
            "kind": "account",
            "description": "Change my billing address",
        },
        who="app",
    )
    await act(request, "accept", "cs")
    await act(request, "fulfil", "cs", {"result": "billing address changed"})
    await act(request, "callback", "cs", {"satisfaction": "satisfied"})

    # Staff look the customer up by phone, and read the cases (logged, unmasked).
    found = await http.post(
        f"{api2}/api/v1/cases/search", json={"phone": PHONE}, headers=auth("supervisor")
    )
    assert {c["case_id"] for c in found.json()} >= {complaint, fault, unsubscribe}
    for case_id in filed:
        r = await http.get(f"{api1}/api/v1/cases/{case_id}", headers=auth("supervisor"))
        assert r.json()["customer"]["name"] in (NAME, "")
    return filed


async def wait_for_case(http, base, case_id, done, timeout: float = 90) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        case = (await http.get(f"{base}/api/v1/cases/{case_id}", headers=auth("admin"))).json()
        if done(case):
            return case
        assert time.monotonic() < deadline, (case_id, case["phase"])
        await asyncio.sleep(0.3)


def clear_payloads(message, path: str = "") -> list[str]:
    """Paths of the payloads in a history event that Temporal stores in clear."""
    found = []
    if isinstance(message, Payload):
        encoding = message.metadata.get("encoding", b"")
        if path.endswith(CLAIM_PATH) and encoding == b"json/plain":
            if set(json.loads(message.data)) != CLAIM_FIELDS:
                found.append(f"{path} (a claim with more than {sorted(CLAIM_FIELDS)})")
            return found
        if encoding != ENCODING and not (
            encoding in CLEAR_ENCODINGS and any(p in path for p in CLEAR_PATHS)
        ):
            found.append(f"{path} ({encoding.decode()})")
        return found
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            for key, item in value.items():
                if hasattr(item, "ListFields"):
                    found += clear_payloads(item, f"{path}.{field.name}[{key}]")
        elif hasattr(value, "ListFields"):
            found += clear_payloads(value, f"{path}.{field.name}")
        else:  # a repeated message field
            for i, item in enumerate(value):
                found += clear_payloads(item, f"{path}.{field.name}[{i}]")
    return found


async def test_a_customers_name_and_phone_are_only_where_the_read_model_needs_them(
    replicated: ReplicatedStack,
):
    stack = replicated
    async with httpx.AsyncClient(timeout=60) as http:
        case_ids = await run_every_case_type(http, stack)

    # Everything settled: every notification sent (delivery logs included in the scan).
    async def outbox_drained() -> bool:
        async with stack.engine.connect() as conn:
            left = await conn.execute(
                text("SELECT count(*) FROM notifications WHERE status = 'pending'")
            )
            return left.scalar_one() == 0

    deadline = time.monotonic() + 90
    while not await outbox_drained():
        assert time.monotonic() < deadline, "the outbox did not drain"
        await asyncio.sleep(0.3)

    # 1. Logs: every file the stack wrote (workers, APIs, Temporal, PostgreSQL).
    logs = sorted(stack.logs.glob("*.log")) + sorted((stack.pgdata / "log").glob("*"))
    assert {p.name for p in logs} >= {"worker.log", "worker-2.log", "api.log", "api-2.log"}
    leaks = {str(p): found_in(p.read_bytes()) for p in logs if p.is_file()}
    assert not {p: v for p, v in leaks.items() if v}, leaks
    # The run left its marks in them: a full log was scanned, not an empty one.
    assert any(case_ids[0] in p.read_text(errors="replace") for p in logs)

    # 2. Temporal's database file, write-ahead log included.
    db_files = [Path(f"{stack.temporal_db}{suffix}") for suffix in ("", "-wal", "-shm")]
    db_files = [p for p in db_files if p.exists()]
    assert db_files and any(case_ids[0].encode() in p.read_bytes() for p in db_files)
    assert not {str(p): found_in(p.read_bytes()) for p in db_files if found_in(p.read_bytes())}

    # 3. Every history as Temporal stores it (no codec): no value in any byte, every payload
    # encrypted but search attributes, failure texts encoded too.
    encoded_failures = 0
    in_clear: dict[str, str] = {}  # a payload stored in clear: where, and in which case
    for case_id in case_ids:
        async for run in stack.raw_client.list_workflows(f"WorkflowId = '{case_id}'"):
            history = await stack.raw_client.get_workflow_handle(
                case_id, run_id=run.run_id
            ).fetch_history()
            raw = b"".join(e.SerializeToString() for e in history.events)
            assert not found_in(raw), case_id
            for event in history.events:
                for path in clear_payloads(event):
                    in_clear.setdefault(path, case_id)
                if event.HasField("activity_task_failed_event_attributes"):
                    failure = event.activity_task_failed_event_attributes.failure
                    assert failure.message == "Encoded failure"
                    assert failure.encoded_attributes.metadata["encoding"] == ENCODING
                    encoded_failures += 1
    assert in_clear == {}, in_clear
    assert encoded_failures >= 1  # the failed termination is in a history, its text encrypted

    # 4. PostgreSQL: every text, JSON and binary column of every table.
    where: dict[tuple[str, str], set[str]] = {}
    async with stack.engine.connect() as conn:
        columns = (
            await conn.execute(
                text(
                    "SELECT table_name, column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = 'public' AND data_type IN "
                    "('text', 'character varying', 'jsonb', 'json', 'bytea', 'ARRAY')"
                )
            )
        ).all()
        assert ("cases", "state", "jsonb") in columns  # the catalogue was read
        for table, column, kind in columns:
            # Text as text; bytes (attachment blobs) searched as the UTF-8 of each form.
            match = (
                f"position(convert_to(:v, 'UTF8') IN \"{column}\") > 0"
                if kind == "bytea"
                else f"\"{column}\"::text LIKE '%' || :v || '%'"
            )
            for value in VALUES:
                for form in {value, json.dumps(value)[1:-1]}:
                    hits = await conn.execute(
                        text(f'SELECT count(*) FROM "{table}" WHERE {match}'), {"v": form}
                    )
                    if hits.scalar_one():
                        where.setdefault((table, column), set()).add(value)
    where.pop(MAY_ALSO, None)
    assert where == ALLOWED, where


def test_the_scan_finds_what_it_looks_for():
    """The scan's own check: the forms it searches for are found where they are."""
    assert found_in(f"x {NAME} y".encode()) == {NAME}
    assert found_in(json.dumps({"n": NAME, "p": PHONE}).encode()) == {NAME, PHONE}
    assert found_in(f"<{EMAIL}>, {OPENID}".encode()) == {EMAIL, OPENID}
    assert found_in(uuid.uuid4().hex.encode()) == set()
