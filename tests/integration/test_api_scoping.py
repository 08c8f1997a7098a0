"""Nobody acts or reads as someone else: an intake channel sees only the cases it filed,
masked everywhere; idempotency keys are the caller's own; every unmasked read is in the
personal-data access log; a case is assigned only to an active agent of its department."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

from tests.integration.conftest import act, auth, complaint_body, new_user

pytestmark = pytest.mark.integration
PHONE = "13812345678"
SERVICE_NUMBER = "021-55501234"
FAULT = {
    "type": "fault",
    "customer": {"name": "王五", "phone": PHONE, "customer_id": "ID-77"},
    "channel": "phone",
    "kind": "broadband",
    "service_number": SERVICE_NUMBER,
    "location": "上海市浦东新区张江路 100 号",
    "description": "No internet since this morning",
}


async def _file(http, who="channel", body=None, headers=None) -> str:
    r = await http.post(
        "/api/v1/cases", json=body or complaint_body(), headers={**auth(who), **(headers or {})}
    )
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def _access_log(engine, case_id: str) -> list[tuple[str, str]]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text("SELECT user_id, what FROM personal_data_access WHERE case_id = :c ORDER BY id"),
            {"c": case_id},
        )
        return [tuple(r) for r in rows]


async def _archive(http, cid: str) -> None:
    await act(http, cid, "resolve", "cs", {"result": "done", "process": "checked"})
    await act(http, cid, "feedback", "cs", {"message": "done"})
    await act(http, cid, "callback", "cs", {"satisfaction": "satisfied"})


async def test_a_channel_reads_lists_and_acts_only_on_the_cases_it_filed(http):
    mine = await _file(http, "app", complaint_body(channel="app"))
    theirs = await _file(http, "channel")  # the hotline's
    for path in (f"/api/v1/cases/{theirs}", f"/api/v1/cases/{theirs}/timeline"):
        r = await http.get(path, headers=auth("app"))
        assert r.status_code == 404 and r.json()["detail"] == f"case {theirs} not found", path
    assert (await http.get(f"/api/v1/cases/{mine}", headers=auth("app"))).status_code == 200

    listed = (await http.get("/api/v1/cases?limit=500", headers=auth("app"))).json()
    ids = {c["case_id"] for c in listed["items"]}
    assert mine in ids and theirs not in ids
    assert listed["total"] == len(ids)  # the count is of its own cases too

    await act(http, theirs, "accept", "cs")
    await act(http, theirs, "resolve", "cs", {"result": "done", "process": "checked"})
    await act(http, theirs, "feedback", "cs", {"message": "done"})
    # Refused by the API itself, before the workflow's guard: another channel's customer.
    r = await http.post(
        f"/api/v1/cases/{theirs}/actions/dispute", json={"comment": "x"}, headers=auth("app")
    )
    assert r.status_code == 404 and r.json()["detail"] == f"case {theirs} not found"
    kinds = [e["kind"] for e in (await act_timeline(http, theirs))]
    assert "disputed" not in kinds and kinds[-1] == "feedback_delivered"
    await act(http, theirs, "callback", "cs", {"satisfaction": "satisfied"})
    await act(http, mine, "accept", "cs")
    await _archive(http, mine)


async def act_timeline(http, cid: str) -> list[dict]:
    return (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()


async def test_every_personal_value_is_masked_for_a_channel(http):
    cid = await _file(http, body=FAULT)
    await act(http, cid, "accept", "network")
    await act(http, cid, "note", "network", {"text": f"called {PHONE}, line {SERVICE_NUMBER}"})
    await act(
        http, cid, "restored", "network", {"cause": f"port of {SERVICE_NUMBER}", "fix": "reset"}
    )
    case = await http.get(f"/api/v1/cases/{cid}", headers=auth("channel"))
    timeline = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("channel"))
    for r in (case, timeline):
        assert r.status_code == 200, r.text
        assert PHONE not in r.text and SERVICE_NUMBER not in r.text and "ID-77" not in r.text
    assert case.json()["fault"]["cause"] == "port of 021*****1234"
    notes = [e for e in timeline.json() if e["kind"] == "note"]
    assert notes[0]["summary"].endswith("called 138****5678, line 021*****1234")
    # Staff read it as it is.
    full = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("network"))
    assert PHONE in full.text and SERVICE_NUMBER in full.text
    await act(http, cid, "confirm", "channel", {"comment": "works"})
    await act(http, cid, "callback", "network", {"satisfaction": "satisfied"})


async def test_idempotency_keys_and_client_references_are_the_callers_own(http, stack):
    key = f"key-{uuid.uuid4().hex}"
    first = await _file(http, "channel", headers={"Idempotency-Key": key})
    # Another department's agent replaying the hotline's key gets nothing of that case.
    # (Another customer: staff see a repeat complaint's link to the earlier case.)
    r = await http.post(
        "/api/v1/cases",
        json=complaint_body(customer={"name": "李四", "phone": "13911112222"}),
        headers={**auth("product"), "Idempotency-Key": key},
    )
    assert r.status_code == 201 and r.json()["case_id"] != first  # a case of its own
    assert first not in r.text
    mine = r.json()["case_id"]
    # Another channel with the same key and body files its own case.
    other = await http.post(
        "/api/v1/cases", json=complaint_body(), headers={**auth("app"), "Idempotency-Key": key}
    )
    assert other.status_code == 201 and other.json()["case_id"] != first
    # The same customer again, so a repeat of the hotline's case; the app is not told of it.
    assert first not in other.text and other.json()["repeat_of"] is None
    # Its mismatched body is its own conflict, naming its own case, never the hotline's.
    clash = await http.post(
        "/api/v1/cases",
        json=complaint_body(severity="major"),
        headers={**auth("app"), "Idempotency-Key": key},
    )
    assert clash.status_code == 409 and first not in clash.text
    assert other.json()["case_id"] in clash.text

    # client_reference: two channels of the same kind (phone) no longer collide.
    ref = f"REF-{uuid.uuid4().hex[:8]}"
    a = await _file(http, "channel", complaint_body(client_reference=ref))
    b = await _file(http, "app", complaint_body(client_reference=ref))
    assert a != b

    # A replay by the filer is a read: checked, masked for the channel, and (staff) logged.
    outage = {"type": "outage", "channel": "internal", "area": "张江", "description": "cut"}
    headers = {**auth("network"), "Idempotency-Key": f"out-{key}"}
    r1 = await http.post("/api/v1/cases", json=outage, headers=headers)
    r2 = await http.post("/api/v1/cases", json=outage, headers=headers)
    assert (r1.status_code, r2.status_code) == (201, 200)
    out = r1.json()["case_id"]
    assert ("agent.network", "POST /api/v1/cases (replayed key)") in await _access_log(
        stack["engine"], out
    )
    await act(http, out, "restore_outage", "network", {"cause": "cut", "fix": "spliced"})
    for cid in (first, mine, other.json()["case_id"], a, b):
        await act(http, cid, "accept", "cs")
        await _archive(http, cid)


async def test_every_unmasked_read_is_in_the_access_log(http, stack):
    cid = await _file(http)
    await act(http, cid, "accept", "cs")
    await act(http, cid, "note", "cs", {"text": "checking"})
    assert (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("cs"))).status_code == 200
    history = await http.get(f"/api/v1/cases/{cid}/history", headers=auth("supervisor"))
    assert history.status_code == 200
    payload = history.json()["runs"][0]["history"]["events"][0][
        "workflowExecutionStartedEventAttributes"
    ]["input"]["payloads"][0]
    decoded = await http.post(
        "/codec/decode", json={"payloads": [payload]}, headers=auth("supervisor")
    )
    assert decoded.status_code == 200
    # The channel's masked reads are not access.
    await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("channel"))
    log = await _access_log(stack["engine"], cid)
    assert ("agent.cs", "POST /api/v1/cases/{id}/actions/accept") in log
    assert ("agent.cs", "POST /api/v1/cases/{id}/actions/note") in log
    assert ("agent.cs", "GET /api/v1/cases/{id}/timeline") in log
    assert ("supervisor", "GET /api/v1/cases/{id}/history") in log
    assert ("supervisor", "POST /codec/decode") in log
    assert all(user != "channel.hotline" for user, _ in log)
    await _archive(http, cid)


async def test_a_case_is_assigned_only_to_an_active_agent_of_its_department(http, stack):
    cid = await _file(http)  # customer_service
    inactive, _ = await new_user(stack["engine"], "agent", "customer_service")
    async with stack["engine"].begin() as conn:
        await conn.execute(text("UPDATE users SET active = false WHERE id = :u"), {"u": inactive})
    for assignee, department, words in (
        ("channel.hotline", None, "not an active agent"),
        ("supervisor", None, "not an active agent"),
        (inactive, None, "not an active agent"),
        ("agent.product", None, "not an agent of department 'customer_service'"),
        # Moving the case to product with customer service's agent would orphan it.
        ("agent.cs", "product", "not an agent of department 'product'"),
    ):
        body = {"assignee": assignee, **({"department": department} if department else {})}
        r = await http.post(
            f"/api/v1/cases/{cid}/actions/assign", json=body, headers=auth("supervisor")
        )
        assert r.status_code == 422 and words in r.json()["detail"], (assignee, r.text)
    case = await act(
        http, cid, "assign", "supervisor", {"assignee": "agent.product", "department": "product"}
    )
    assert (case["assignee"], case["department"]) == ("agent.product", "product")
    await act(http, cid, "accept", "product")
    await act(http, cid, "resolve", "product", {"result": "done", "process": "checked"})
    await act(http, cid, "feedback", "product", {"message": "done"})
    await act(http, cid, "callback", "product", {"satisfaction": "satisfied"})
