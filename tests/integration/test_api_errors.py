"""Every refusal over HTTP is a 4xx whose `detail` says what is wrong, and changes nothing:
401 who are you, 403 not you, 404 no such case, 409 not now, 413 too big, 422 not valid."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import insert, text, update

from caseflow.db.models import User
from caseflow.security import hash_token, new_token
from tests.integration.conftest import act, auth, complaint_body, workflow_runs

pytestmark = pytest.mark.integration


async def _file(http, **overrides) -> str:
    r = await http.post("/api/v1/cases", json=complaint_body(**overrides), headers=auth("channel"))
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def _count_cases(engine) -> int:
    async with engine.connect() as conn:
        return (await conn.execute(text("SELECT count(*) FROM cases"))).scalar_one()


async def _kinds(http, cid: str) -> list[str]:
    r = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))
    return [e["kind"] for e in r.json()]


async def test_api_errors_401_without_a_valid_token(http):
    r = await http.post("/api/v1/cases", json=complaint_body())
    assert r.status_code == 401 and "missing bearer token" in r.json()["detail"]
    assert r.headers["www-authenticate"] == "Bearer"
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("wrong-token"))
    assert r.status_code == 401 and "unknown or inactive token" in r.json()["detail"]
    r = await http.get("/api/v1/me", headers={"Authorization": "Basic YWRtaW46YWRtaW4="})
    assert r.status_code == 401
    for path in ("/api/v1/cases", "/api/v1/policy", "/api/v1/me", "/api/v1/cases/CMP-x"):
        assert (await http.get(path)).status_code == 401, path


async def test_api_errors_401_once_a_user_is_deactivated(http, stack):
    token = new_token()
    user_id = f"temp-{uuid.uuid4().hex[:8]}"
    async with stack["engine"].begin() as conn:
        await conn.execute(
            insert(User).values(
                id=user_id, name="Temp", role="supervisor", token_hash=hash_token(token)
            )
        )
    headers = {"Authorization": f"Bearer {token}"}
    assert (await http.get("/api/v1/me", headers=headers)).status_code == 200
    async with stack["engine"].begin() as conn:
        await conn.execute(update(User).where(User.id == user_id).values(active=False))
    # The API remembers a token for auth_cache_seconds (1 s in this stack), no longer.
    await asyncio.sleep(1.2)
    r = await http.get("/api/v1/me", headers=headers)
    assert r.status_code == 401 and "unknown or inactive token" in r.json()["detail"]


async def test_api_errors_403_role_and_department(http):
    cid = await _file(http)  # category service -> customer_service
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("product"))
    assert r.status_code == 403
    assert r.json()["detail"] == (
        f"case {cid} belongs to department 'customer_service'; agents of 'product' cannot accept it"
    )
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("channel"))
    assert r.status_code == 403 and "role 'channel' may not accept cases" in r.json()["detail"]
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/assign", headers=auth("cs"), json={"assignee": "agent.cs"}
    )
    assert r.status_code == 403 and "role 'agent' may not assign" in r.json()["detail"]
    for path in (f"/api/v1/cases/{cid}", f"/api/v1/cases/{cid}/timeline"):
        r = await http.get(path, headers=auth("product"))
        assert r.status_code == 403 and "customer_service" in r.json()["detail"], path
    r = await http.get(f"/api/v1/cases/{cid}/history", headers=auth("channel"))
    assert r.status_code == 403
    # Refusals record nothing.
    assert await _kinds(http, cid) == ["intake"]
    case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("cs"))).json()
    assert case["phase"] == "new" and case["assignee"] is None


async def test_api_errors_404_unknown_case(http, stack):
    missing = f"CMP-20990101-{uuid.uuid4().int % 10**6:06d}"
    for path in (
        f"/api/v1/cases/{missing}",
        f"/api/v1/cases/{missing}/timeline",
        f"/api/v1/cases/{missing}/history",
    ):
        r = await http.get(path, headers=auth("supervisor"))
        assert r.status_code == 404 and r.json() == {"detail": f"case {missing} not found"}, path
    r = await http.post(f"/api/v1/cases/{missing}/actions/accept", headers=auth("cs"))
    assert r.status_code == 404 and r.json()["detail"] == f"case {missing} not found"
    r = await http.post(
        f"/api/v1/cases/{missing}/actions/note", headers=auth("cs"), json={"text": "hello?"}
    )
    assert r.status_code == 404
    assert await workflow_runs(stack["client"], missing) == []  # nothing was started for it
    r = await http.post("/api/v1/cases/x/actions/teleport", headers=auth("cs"))
    assert r.status_code == 404


async def test_api_errors_409_not_in_this_phase(http):
    cid = await _file(http)
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/resolve",
        headers=auth("cs"),
        json={"result": "x", "process": "y"},
    )
    assert r.status_code == 409
    assert r.json()["detail"] == (
        f"cannot resolve case {cid} in phase 'new' (allowed in: in_progress)"
    )
    assert r.json()["reason"] == "InvalidState"
    await act(http, cid, "accept", "cs")
    r = await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("cs"))
    assert r.status_code == 409 and "in phase 'in_progress'" in r.json()["detail"]
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/customer_reply",
        headers=auth("channel"),
        json={"text": "unprompted"},
    )
    assert r.status_code == 409 and "waiting_customer" in r.json()["detail"]
    r = await http.post(f"/api/v1/cases/{cid}/actions/consent", headers=auth("channel"))
    assert r.status_code == 409
    assert "'consent' does not apply to complaint cases" in r.json()["detail"]
    assert await _kinds(http, cid) == ["intake", "accepted"]


async def test_api_errors_409_archived(http, stack):
    cid = await _file(http)
    await act(http, cid, "accept", "cs")
    await act(http, cid, "resolve", "cs", {"result": "fixed", "process": "checked"})
    await act(http, cid, "feedback", "cs", {"message": "It is fixed"})
    case = await act(http, cid, "callback", "cs", {"satisfaction": "basically_satisfied"})
    assert case["phase"] == "archived"
    for action, body in (
        ("note", {"text": "late"}),
        ("accept", None),
        ("dispute", {"comment": "no"}),
    ):
        r = await http.post(f"/api/v1/cases/{cid}/actions/{action}", json=body, headers=auth("cs"))
        assert r.status_code == 409 and r.json()["detail"] == (
            f"case {cid} is archived; no action applies"
        ), action

    # A workflow closed behind the read model's back (an operator terminated it): Temporal
    # refuses the update and the API still answers 409, not 404 or 500.
    other = await _file(http)
    await stack["encrypted_client"].get_workflow_handle(other).terminate(reason="test")
    r = await http.post(f"/api/v1/cases/{other}/actions/accept", headers=auth("cs"))
    assert r.status_code == 409
    assert r.json()["detail"].startswith(f"case {other} is archived")


async def test_api_errors_422_invalid_input(http, stack):
    before = await _count_cases(stack["engine"])
    bad = complaint_body()
    del bad["severity"]
    r = await http.post("/api/v1/cases", json=bad, headers=auth("channel"))
    assert r.status_code == 422 and "a complaint needs severity" in r.json()["detail"]
    assert "13800138000" not in r.text  # personal data is not echoed back
    bad = complaint_body()
    del bad["category"], bad["severity"]
    r = await http.post("/api/v1/cases", json=bad, headers=auth("channel"))
    assert r.status_code == 422 and "needs category and severity" in r.json()["detail"]

    r = await http.post(
        "/api/v1/cases", json=complaint_body(channel="pigeon"), headers=auth("channel")
    )
    assert r.status_code == 422 and r.json()["detail"].startswith("invalid request: channel:")
    assert r.json()["errors"][0]["loc"] == ["body", "channel"]
    r = await http.post(
        "/api/v1/cases", json=complaint_body(severity="apocalyptic"), headers=auth("channel")
    )
    assert r.status_code == 422 and "severity" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases", json=complaint_body(description="x" * 5000), headers=auth("channel")
    )
    assert r.status_code == 422
    assert "description: String should have at most 4000 characters" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases", json=complaint_body(type="refund"), headers=auth("channel")
    )
    assert r.status_code == 422
    assert "type: Input should be 'complaint', 'inquiry'" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases",
        headers=auth("channel"),
        json=complaint_body(customer={"name": "张三", "phone": "call me maybe"}),
    )
    assert r.status_code == 422 and "customer.phone" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases", json=complaint_body(priority="high"), headers=auth("channel")
    )
    assert (
        r.status_code == 422 and "priority: Extra inputs are not permitted" in (r.json()["detail"])
    )
    r = await http.post(
        "/api/v1/cases",
        content=b"{not json",
        headers={**auth("channel"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "JSON" in r.json()["detail"]
    assert await _count_cases(stack["engine"]) == before  # nothing was filed

    cid = await _file(http)
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/transfer",
        headers=auth("cs"),
        json={"department": "atlantis", "reason": "x"},
    )
    assert r.status_code == 422 and r.json()["detail"] == "unknown department 'atlantis'"
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/transfer",
        headers=auth("cs"),
        json={"department": "customer_service", "reason": "x"},
    )
    assert r.status_code == 422 and "already in department" in r.json()["detail"]
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/reclassify", headers=auth("cs"), json={"reason": "no idea"}
    )
    assert (
        r.status_code == 422
        and "needs a new severity, urgency, tier or category" in r.json()["detail"]
    )
    r = await http.post(f"/api/v1/cases/{cid}/actions/note", headers=auth("cs"), json={})
    assert r.status_code == 422 and "text: Field required" in r.json()["detail"]
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/callback",
        headers=auth("cs"),
        json={"satisfaction": "ecstatic"},
    )
    assert r.status_code == 422 and "satisfaction" in r.json()["detail"]
    assert await _kinds(http, cid) == ["intake"]


async def test_api_errors_413_oversize_body(http, stack):
    limit = stack["settings"].max_body_bytes
    before = await _count_cases(stack["engine"])
    r = await http.post(
        "/api/v1/cases",
        content=b"{" + b" " * (limit + 10) + b"}",
        headers={**auth("channel"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert r.json() == {"detail": f"request body larger than {limit} bytes"}

    async def chunks():  # no Content-Length: the streamed size is what counts
        yield b'{"type": "complaint", "description": "'
        for _ in range(limit // 1024 + 2):
            yield b"x" * 1024
        yield b'"}'

    r = await http.post(
        "/api/v1/cases",
        content=chunks(),
        headers={**auth("channel"), "Content-Type": "application/json"},
    )
    assert r.status_code == 413
    assert await _count_cases(stack["engine"]) == before
