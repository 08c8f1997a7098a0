"""Inquiry and unsubscribe over HTTP: their own steps, their time limits, their refusals."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from tests.integration.conftest import act, auth

pytestmark = pytest.mark.integration


async def test_inquiry_answered_then_converted(http):
    r = await http.post(
        "/api/v1/cases",
        headers=auth("channel"),
        json={
            "type": "inquiry",
            "customer": {"name": "李四", "phone": "13900139000"},
            "channel": "phone",
            "description": "Why did my bill go up?",
        },
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["windows"]["response"]["target"] == "5m"
    cid = case["case_id"]
    assert cid.startswith("INQ-")
    case = await act(http, cid, "accept", "cs")
    assert case["windows"]["first_answer"]["target"] == "30m"
    case = await act(http, cid, "answer", "cs", {"answer": "A promotion ended"})
    assert case["windows"]["first_answer"]["state"] == "met"
    case = await act(
        http,
        cid,
        "convert",
        "cs",
        {"category": "marketing", "severity": "major", "reason": "customer was never told"},
    )
    assert case["outcome"] == "converted"
    complaint_id = case["links"]["converted_to"]
    for _ in range(50):
        r = await http.get(f"/api/v1/cases/{complaint_id}", headers=auth("supervisor"))
        if r.status_code == 200:
            break
        await asyncio.sleep(0.1)
    complaint = r.json()
    assert complaint["links"] == {"converted_from": cid}
    assert complaint["department"] == "marketing" and complaint["severity"] == "major"


async def test_unsubscribe_with_consent_review_and_record(http, stack):
    phone = "18" + str(uuid.uuid4().int)[:9]
    async with stack["engine"].begin() as conn:
        for service in ("sms", "vas:music"):
            await conn.execute(
                text(
                    "INSERT INTO subscriptions (phone, service, status, monthly_fee_cents) "
                    "VALUES (:p, :s, 'active', 500)"
                ),
                {"p": phone, "s": service},
            )
    body = {
        "type": "unsubscribe",
        "customer": {"name": "王五", "phone": phone},
        "channel": "app",
        "services": ["vas:music"],
        "description": "Stop the music pack",
    }
    r = await http.post("/api/v1/cases", headers=auth("channel"), json=body)
    assert r.status_code == 201, r.text
    cid = r.json()["case_id"]
    assert r.json()["windows"]["handling"]["target"] == "72h"
    r = await http.post(f"/api/v1/cases/{cid}/actions/consent", headers=auth("channel"))
    assert r.status_code == 409 and "awaiting_consent" in r.json()["detail"]
    case = await act(http, cid, "accept", "cs")
    assert case["phase"] == "awaiting_consent"
    case = await act(http, cid, "consent", "channel", {"comment": "SMS reply Y"})
    for _ in range(100):
        case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
        if case["phase"] == "under_review":
            break
        await asyncio.sleep(0.1)
    assert case["phase"] == "under_review"
    assert case["termination"]["results"]["vas:music"] == "terminated"
    assert case["termination"]["on_time"] is True
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/review", headers=auth("cs"), json={"approved": True}
    )
    assert r.status_code == 403
    case = await act(http, cid, "review", "supervisor", {"approved": True, "comment": "ok"})
    assert case["phase"] == "archived" and case["outcome"] == "terminated"
    async with stack["engine"].connect() as conn:
        subs = dict(
            (
                await conn.execute(
                    text("SELECT service, status FROM subscriptions WHERE phone = :p"), {"p": phone}
                )
            ).all()
        )
    assert subs == {"sms": "active", "vas:music": "terminated"}
    timeline = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    record = next(e for e in timeline if e["kind"] == "reviewed")["data"]
    assert record["services"] == "vas:music" and record["user"] == f"customer of {cid}"


async def test_unsubscribe_input_is_checked(http):
    base = {
        "type": "unsubscribe",
        "customer": {"name": "王五", "phone": "13800138000"},
        "channel": "app",
        "description": "stop",
    }
    r = await http.post("/api/v1/cases", headers=auth("channel"), json=base)
    assert r.status_code == 422 and "services" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases", headers=auth("channel"), json={**base, "services": ["teleportation"]}
    )
    assert r.status_code == 422 and "teleportation" in r.json()["detail"]
