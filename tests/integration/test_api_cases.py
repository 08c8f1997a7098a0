"""Over HTTP against the real dev server, worker and PostgreSQL: the complaint's happy path,
an escalation fired by a timer, idempotent intake, and every kind of refusal."""

from __future__ import annotations

import asyncio
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import text

from tests.integration.conftest import auth, complaint_body

pytestmark = pytest.mark.integration


async def act(http, case_id, action, who, body=None, expect=200):
    r = await http.post(f"/api/v1/cases/{case_id}/actions/{action}", json=body, headers=auth(who))
    assert r.status_code == expect, (action, r.status_code, r.text)
    return r.json()


def parse(ts: str) -> datetime:
    return datetime.fromisoformat(ts.replace("Z", "+00:00"))


async def test_complaint_happy_path(http, stack):
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert r.headers["location"] == f"/api/v1/cases/{cid}"
    assert cid.startswith("CMP-") and case["phase"] == "new"
    assert case["department"] == "customer_service" and case["escalation"]["level"] == 1
    response = case["windows"]["response"]
    assert parse(response["due_at"]) - parse(response["opened_at"]) == timedelta(hours=24)
    assert case["customer"]["phone"] == "138****8000"  # the channel sees it masked

    case = await act(http, cid, "accept", "cs")
    assert case["phase"] == "in_progress" and case["assignee"] == "agent.cs"
    assert case["windows"]["handling"]["target"] == "3wd"
    assert case["windows"]["response"]["state"] == "met"
    await act(http, cid, "note", "cs", {"text": "called the customer back"})
    case = await act(http, cid, "transfer", "cs", {"department": "product", "reason": "billing"})
    assert case["phase"] == "transferred" and case["department"] == "product"
    assert case["windows"]["transfer"]["target"] == "1h"
    case = await act(http, cid, "accept", "product")
    assert case["assignee"] == "agent.product"
    case = await act(http, cid, "request_info", "product", {"question": "Which month?"})
    assert case["windows"]["handling"]["state"] == "paused"
    assert case["windows"]["handling"]["due_at"] is None
    case = await act(http, cid, "customer_reply", "channel", {"text": "October"})
    assert case["windows"]["handling"]["state"] == "running"
    case = await act(http, cid, "resolve", "product",
                     {"result": "refunded 30 yuan", "process": "billing checked"})
    assert case["phase"] == "resolved" and case["windows"]["feedback"]["target"] == "24h"
    case = await act(http, cid, "feedback", "product", {"message": "We refunded 30 yuan"})
    assert case["feedback"]["department"] == "product"
    assert case["feedback"]["result"] == "refunded 30 yuan"
    assert case["feedback"]["channel"] == "phone"
    await act(http, cid, "confirm", "channel", {"comment": "ok"})
    case = await act(http, cid, "callback", "product", {"satisfaction": "satisfied"})
    assert case["phase"] == "archived" and case["outcome"] == "resolved"

    # Every step is already in the read model and the timeline, in order.
    detail = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert detail["phase"] == "archived" and detail["customer"]["phone"] == "13800138000"
    timeline = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    assert [e["kind"] for e in timeline] == [
        "intake", "accepted", "note", "transferred", "accepted", "paused", "resumed",
        "resolved", "feedback_delivered", "customer_confirmed", "callback", "archived",
    ]
    assert [e["seq"] for e in timeline] == list(range(1, 13))

    listed = (await http.get("/api/v1/cases", params={"phase": "archived", "type": "complaint",
                                                       "department": "product"},
                             headers=auth("supervisor"))).json()
    assert cid in [c["case_id"] for c in listed["items"]]

    history = await http.get(f"/api/v1/cases/{cid}/history", headers=auth("supervisor"))
    assert history.status_code == 200
    types = [e["eventType"] for e in history.json()["events"]]
    assert types[0] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert types[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    assert (await http.get(f"/api/v1/cases/{cid}/history", headers=auth("cs"))).status_code == 403

    # Search attributes make the case findable in Temporal too.
    found = [w.id async for w in stack["client"].list_workflows(
        f'WorkflowId = "{cid}" AND Phase = "archived" AND Department = "product"')]
    assert found == [cid]


async def test_a_timer_escalates_without_anyone_acting(http, stack):
    r = await http.post("/api/v1/cases", json=complaint_body(channel="wechat"),
                        headers=auth("channel"))
    assert r.status_code == 201
    case = r.json()
    cid, due = case["case_id"], case["windows"]["response"]["due_at"]
    assert case["windows"]["response"]["target"] == "4s"
    for _ in range(100):
        case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
        if case["escalation"]["level"] == 2:
            break
        await asyncio.sleep(0.2)
    assert case["escalation"]["level"] == 2 and case["breached"]
    assert case["windows"]["response"]["state"] == "breached"
    timeline = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    kinds = [e["kind"] for e in timeline]
    assert kinds[:4] == ["intake", "warning", "breach", "escalated"]
    for event in timeline[1:4]:
        assert parse(event["deadline"]) == parse(due)
    breach_at = parse(timeline[2]["at"])
    assert timedelta(0) <= breach_at - parse(due) < timedelta(seconds=3)
    async with stack["engine"].connect() as conn:
        rows = (await conn.execute(text(
            "SELECT recipient, template FROM notifications WHERE case_id = :c"), {"c": cid}
        )).all()
    assert ("team_lead", "escalation") in rows and ("agent", "warning") in rows

    listed = (await http.get("/api/v1/cases", params={"overdue": "true"},
                             headers=auth("supervisor"))).json()
    assert cid in [c["case_id"] for c in listed["items"]]
    assert listed["items"][0]["breached"]  # breached cases sort first

    case = await act(http, cid, "acknowledge", "supervisor", {"comment": "I have it"})
    assert case["escalation"]["next_at"] is None
    assert case["escalation"]["acknowledged_by"] == "supervisor"


async def test_idempotent_intake(http, stack):
    key = f"key-{uuid.uuid4().hex}"
    first = await http.post("/api/v1/cases", json=complaint_body(),
                            headers={**auth("channel"), "Idempotency-Key": key})
    again = await http.post("/api/v1/cases", json=complaint_body(),
                            headers={**auth("channel"), "Idempotency-Key": key})
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["case_id"] == again.json()["case_id"]

    key = f"key-{uuid.uuid4().hex}"
    responses = await asyncio.gather(*[
        http.post("/api/v1/cases", json=complaint_body(),
                  headers={**auth("channel"), "Idempotency-Key": key})
        for _ in range(50)
    ])
    assert {r.status_code for r in responses} <= {200, 201}
    assert [r.status_code for r in responses].count(201) == 1
    ids = {r.json()["case_id"] for r in responses}
    assert len(ids) == 1
    cid = ids.pop()
    runs = [w async for w in stack["client"].list_workflows(f'WorkflowId = "{cid}"')]
    assert len(runs) == 1
    async with stack["engine"].connect() as conn:
        rows = (await conn.execute(text("SELECT count(*) FROM cases WHERE case_id = :c"),
                                   {"c": cid})).scalar_one()
        intakes = (await conn.execute(text(
            "SELECT count(*) FROM case_events WHERE case_id = :c AND kind = 'intake'"),
            {"c": cid})).scalar_one()
    assert rows == 1 and intakes == 1

    changed = await http.post("/api/v1/cases", json=complaint_body(severity="major"),
                              headers={**auth("channel"), "Idempotency-Key": key})
    assert changed.status_code == 409 and "different request" in changed.json()["detail"]

    ref = f"IVR-{uuid.uuid4().hex[:8]}"
    a = await http.post("/api/v1/cases", json=complaint_body(client_reference=ref),
                        headers=auth("channel"))
    b = await http.post("/api/v1/cases", json=complaint_body(client_reference=ref),
                        headers=auth("channel"))
    assert (a.status_code, b.status_code) == (201, 200)
    assert a.json()["case_id"] == b.json()["case_id"]


async def test_refusals_say_what_is_wrong(http, stack):
    r = await http.post("/api/v1/cases", json=complaint_body())
    assert r.status_code == 401 and "bearer" in r.json()["detail"]
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("wrong-token"))
    assert r.status_code == 401 and "unknown" in r.json()["detail"]

    cid = (await http.post("/api/v1/cases", json=complaint_body(),
                           headers=auth("channel"))).json()["case_id"]
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("product"))
    assert r.status_code == 403 and "customer_service" in r.json()["detail"]
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("channel"))
    assert r.status_code == 403 and "role 'channel'" in r.json()["detail"]
    r = await http.get(f"/api/v1/cases/{cid}", headers=auth("product"))
    assert r.status_code == 403

    r = await http.post(f"/api/v1/cases/{cid}/actions/resolve", headers=auth("cs"),
                        json={"result": "x", "process": "y"})
    assert r.status_code == 409 and "'new'" in r.json()["detail"]
    await act(http, cid, "accept", "cs")
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("cs"))
    assert r.status_code == 409 and "in_progress" in r.json()["detail"]
    r = await http.post(f"/api/v1/cases/{cid}/actions/consent", headers=auth("channel"))
    assert r.status_code == 409 and "complaint" in r.json()["detail"]
    r = await http.post(f"/api/v1/cases/{cid}/actions/transfer", headers=auth("cs"),
                        json={"department": "atlantis", "reason": "x"})
    assert r.status_code == 422 and "atlantis" in r.json()["detail"]

    missing = f"CMP-20990101-{uuid.uuid4().int % 10**6:06d}"
    assert (await http.get(f"/api/v1/cases/{missing}", headers=auth("cs"))).status_code == 404
    r = await http.post(f"/api/v1/cases/{missing}/actions/accept", headers=auth("cs"))
    assert r.status_code == 404 and missing in r.json()["detail"]
    assert [w async for w in stack["client"].list_workflows(f'WorkflowId = "{missing}"')] == []

    bad = complaint_body()
    del bad["severity"]
    r = await http.post("/api/v1/cases", json=bad, headers=auth("channel"))
    assert r.status_code == 422 and "severity" in r.json()["detail"]
    assert "13800138000" not in r.text  # personal data is not echoed back
    r = await http.post("/api/v1/cases", json=complaint_body(channel="pigeon"),
                        headers=auth("channel"))
    assert r.status_code == 422 and "channel" in r.json()["detail"]
    r = await http.post("/api/v1/cases", json=complaint_body(description="x" * 5000),
                        headers=auth("channel"))
    assert r.status_code == 422 and "description" in r.json()["detail"]
    r = await http.post("/api/v1/cases", json=complaint_body(type="refund"),
                        headers=auth("channel"))
    assert r.status_code == 422
    r = await http.post("/api/v1/cases", content=b"{" + b" " * 70_000 + b"}",
                        headers={**auth("channel"), "Content-Type": "application/json"})
    assert r.status_code == 413


async def test_archived_cases_refuse_actions(http):
    cid = (await http.post("/api/v1/cases", json={
        "type": "inquiry", "customer": {"name": "李四", "phone": "13900139000"},
        "channel": "web", "description": "What is my plan?"}, headers=auth("channel"))).json()[
        "case_id"]
    await act(http, cid, "resolve_at_intake", "cs", {"answer": "Plan A"})
    await act(http, cid, "close", "cs", {"reason": "answered"})
    r = await http.post(f"/api/v1/cases/{cid}/actions/note", headers=auth("cs"),
                        json={"text": "late"})
    assert r.status_code == 409 and "archived" in r.json()["detail"]


async def test_policy_health_and_metrics(http):
    policy = (await http.get("/api/v1/policy", headers=auth("cs"))).json()
    assert policy["active_version"] == "9900.1" and "2026.1" in policy["known_versions"]
    assert policy["policy"]["routing"]["product"] == "product"
    assert (await http.get("/api/v1/policy")).status_code == 401
    health = await http.get("/healthz")
    assert health.status_code == 200 and health.json()["temporal"] == "ok"
    metrics = (await http.get("/metrics")).text
    assert 'caseflow_cases_opened_total{type="complaint"}' in metrics
    me = (await http.get("/api/v1/me", headers=auth("supervisor"))).json()
    assert me == {"id": "supervisor", "name": "Chen Jing (floor supervisor)",
                  "role": "supervisor", "department": None}
