"""Over HTTP against the real dev server, worker and PostgreSQL: when the customer made contact
(`received_at`) bounds and effect, send-back (退单) and urge (督办), and regulator appeals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tests.integration.conftest import act, auth, complaint_body, ts
from tests.integration.pages_kit import signed_in_client


async def file(http, body, who="channel", expect=201):
    r = await http.post("/api/v1/cases", json=body, headers=auth(who))
    assert r.status_code == expect, r.text
    return r.json()


async def test_received_at_moves_the_receipt_clocks_within_its_bounds(http):
    now = datetime.now(UTC)
    future = (now + timedelta(hours=1)).isoformat()
    r = await http.post(
        "/api/v1/cases", json=complaint_body(received_at=future), headers=auth("channel")
    )
    assert r.status_code == 422 and "received_at is in the future" in r.json()["detail"]
    old = (now - timedelta(days=8)).isoformat()
    r = await http.post(
        "/api/v1/cases", json=complaint_body(received_at=old), headers=auth("channel")
    )
    assert r.status_code == 422 and "more than 7 days ago" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases",
        json=complaint_body(received_at="2026-12-01T09:00:00"),  # no zone: ambiguous
        headers=auth("channel"),
    )
    assert r.status_code == 422 and "received_at" in r.json()["detail"]

    received = now - timedelta(hours=3)
    case = await file(http, complaint_body(received_at=received.isoformat()))
    # The clocks that start at receipt run from when the customer wrote, not from now.
    assert ts(case["windows"]["response"]["opened_at"]) == received
    assert ts(case["windows"]["handling"]["opened_at"]) == received
    assert ts(case["opened_at"]) > received
    timeline = (
        await http.get(f"/api/v1/cases/{case['case_id']}/timeline", headers=auth("supervisor"))
    ).json()
    intake = timeline[0]["data"]
    assert intake["received_by"] == "channel.hotline"
    assert ts(intake["received_at"]) == received


async def test_send_back_and_urge_over_http(http):
    case = await file(http, complaint_body())
    cid = case["case_id"]
    await act(http, cid, "accept", "cs")
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/send_back", json={"reason": "x"}, headers=auth("cs")
    )
    assert r.status_code == 409 and r.json()["code"] == "not_transferred"
    await act(http, cid, "transfer", "cs", {"department": "product", "reason": "tariff"})
    # Only the receiving department sends it back.
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/send_back", json={"reason": "x"}, headers=auth("cs")
    )
    assert r.status_code == 403
    case = await act(http, cid, "send_back", "product", {"reason": "billing, not tariff"})
    assert case["department"] == "customer_service" and case["phase"] == "transferred"
    await act(http, cid, "accept", "cs")

    due = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/urge", json={"due_at": due, "note": "x"}, headers=auth("cs")
    )
    assert r.status_code == 403
    case = await act(http, cid, "urge", "supervisor", {"due_at": due, "note": "today please"})
    assert case["windows"]["urge"]["state"] == "running"
    assert ts(case["windows"]["urge"]["due_at"]) == ts(due)
    past = (datetime.now(UTC) - timedelta(hours=1)).isoformat()
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/urge",
        json={"due_at": past, "note": "x"},
        headers=auth("supervisor"),
    )
    assert r.status_code == 422 and r.json()["code"] == "urge_deadline"
    # Resolving the case meets the urge.
    case = await act(http, cid, "resolve", "cs", {"result": "refunded", "process": "checked"})
    assert case["windows"]["urge"]["state"] == "met"
    await act(http, cid, "feedback", "cs", {"message": "refunded"})
    await act(http, cid, "callback", "cs", {"satisfaction": "satisfied"})


async def test_a_regulator_files_an_appeal_and_sees_only_its_status(http):
    complaint = await file(http, complaint_body())
    appeal_body = {
        "type": "appeal",
        "customer": {"name": "张三", "phone": "13800138000"},
        "channel": "web",
        "kind": "miit",
        "appeal_of": complaint["case_id"],
        "description": "The customer appealed to the MIIT appeal centre",
    }
    # An ordinary intake channel cannot file an appeal; the regulator's can.
    r = await http.post("/api/v1/cases", json=appeal_body, headers=auth("channel"))
    assert r.status_code == 403
    appeal = await file(http, appeal_body, who="demo-channel-miit")
    assert (
        appeal["escalation"]["level"] == 3 and appeal["links"]["appeal_of"] == complaint["case_id"]
    )
    status = await http.get(
        f"/api/v1/cases/{appeal['case_id']}/appealed-case", headers=auth("demo-channel-miit")
    )
    assert status.status_code == 200
    assert status.json()["case_id"] == complaint["case_id"] and "customer" not in status.json()
    # The complaint itself stays out of the regulator's reach.
    r = await http.get(f"/api/v1/cases/{complaint['case_id']}", headers=auth("demo-channel-miit"))
    assert r.status_code == 404
    await act(http, appeal["case_id"], "accept", "cs")
    case = await act(
        http, appeal["case_id"], "reply_regulator", "cs", {"reply": "refunded; customer agreed"}
    )
    assert case["phase"] == "archived"
    # Close the appealed complaint too: no case is left open for later tests.
    cid = complaint["case_id"]
    await act(http, cid, "accept", "cs")
    await act(http, cid, "resolve", "cs", {"result": "refunded", "process": "checked"})
    await act(http, cid, "feedback", "cs", {"message": "refunded"})
    await act(http, cid, "callback", "cs", {"satisfaction": "satisfied"})


async def test_the_first_responsible_agent_follows_a_transferred_case(http, stack):
    """首问负责制 (002 §7.3): after a transfer the agent who took the case first still reads it,
    finds it on the workbench and may add notes; handling it is the new department's."""
    cid = (await file(http, complaint_body()))["case_id"]
    await act(http, cid, "accept", "cs")
    await act(http, cid, "transfer", "cs", {"department": "product", "reason": "tariff"})
    case = await http.get(f"/api/v1/cases/{cid}", headers=auth("cs"))
    assert case.status_code == 200 and case.json()["department"] == "product"
    await act(http, cid, "note", "cs", {"text": "the customer called me again"})
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", json={}, headers=auth("cs"))
    assert r.status_code == 403
    # Another customer-service agent did not take it first: the case is not theirs to read.
    other = await http.get(f"/api/v1/cases/{cid}", headers=auth("network"))
    assert other.status_code == 403
    async with signed_in_client(stack["base"], "agent.cs") as page:
        work = await page.get("/work")
        assert work.status_code == 200
        followed = work.text.split('data-testid="followed"')[1].split("</div>")[0]
        assert cid in followed
        assert (await page.get(f"/cases/{cid}")).status_code == 200
    await act(http, cid, "accept", "product")
    await act(http, cid, "resolve", "product", {"result": "refunded", "process": "checked"})
    await act(http, cid, "feedback", "product", {"message": "refunded"})
    await act(http, cid, "callback", "product", {"satisfaction": "satisfied"})
