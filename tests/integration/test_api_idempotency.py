"""Idempotent intake over HTTP: one Idempotency-Key (or channel + client_reference) is one case
number, one workflow and one read-model row, however often or concurrently it is sent."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import text

from tests.integration.conftest import act, auth, complaint_body, until, workflow_runs

pytestmark = pytest.mark.integration


def keyed(key: str, who: str = "channel") -> dict[str, str]:
    return {**auth(who), "Idempotency-Key": key}


async def _one_of_everything(stack, cid: str) -> None:
    """Exactly one workflow run, one cases row and one intake event for `cid`."""
    runs = await until(lambda: workflow_runs(stack["client"], cid), timeout=10)
    assert len(runs) == 1, runs
    async with stack["engine"].connect() as conn:
        rows = (
            await conn.execute(text("SELECT count(*) FROM cases WHERE case_id = :c"), {"c": cid})
        ).scalar_one()
        intakes = (
            await conn.execute(
                text("SELECT count(*) FROM case_events WHERE case_id = :c AND kind = 'intake'"),
                {"c": cid},
            )
        ).scalar_one()
    assert (rows, intakes) == (1, 1)


async def test_api_idempotency_same_key_twice(http, stack):
    key = f"key-{uuid.uuid4().hex}"
    first = await http.post("/api/v1/cases", json=complaint_body(), headers=keyed(key))
    again = await http.post("/api/v1/cases", json=complaint_body(), headers=keyed(key))
    assert (first.status_code, again.status_code) == (201, 200), again.text
    cid = first.json()["case_id"]
    assert again.json()["case_id"] == cid
    assert again.headers["location"] == first.headers["location"] == f"/api/v1/cases/{cid}"
    assert again.json()["windows"]["response"] == {
        **first.json()["windows"]["response"],
        "remaining_seconds": again.json()["windows"]["response"]["remaining_seconds"],
    }  # the same recorded case, not a second intake
    await _one_of_everything(stack, cid)


async def test_api_idempotency_concurrent_posts_make_one_case(http, stack):
    key = f"key-{uuid.uuid4().hex}"
    responses = await asyncio.gather(
        *[http.post("/api/v1/cases", json=complaint_body(), headers=keyed(key)) for _ in range(20)]
    )
    codes = [r.status_code for r in responses]
    assert sorted(codes) == [200] * 19 + [201], [r.text for r in responses if r.status_code >= 300]
    ids = {r.json()["case_id"] for r in responses}
    assert len(ids) == 1
    await _one_of_everything(stack, ids.pop())


async def test_api_idempotency_key_reused_with_another_body(http, stack):
    key = f"key-{uuid.uuid4().hex}"
    first = await http.post("/api/v1/cases", json=complaint_body(), headers=keyed(key))
    assert first.status_code == 201
    changed = await http.post(
        "/api/v1/cases", json=complaint_body(severity="major"), headers=keyed(key)
    )
    assert changed.status_code == 409
    detail = changed.json()["detail"]
    assert "Idempotency-Key reused with a different request" in detail
    assert first.json()["case_id"] in detail
    await _one_of_everything(stack, first.json()["case_id"])


async def test_api_idempotency_client_reference_without_header(http, stack):
    ref = f"IVR-{uuid.uuid4().hex[:8]}"
    a = await http.post(
        "/api/v1/cases", json=complaint_body(client_reference=ref), headers=auth("channel")
    )
    b = await http.post(
        "/api/v1/cases", json=complaint_body(client_reference=ref), headers=auth("channel")
    )
    assert (a.status_code, b.status_code) == (201, 200)
    cid = a.json()["case_id"]
    assert b.json()["case_id"] == cid and b.json()["client_reference"] == ref
    await _one_of_everything(stack, cid)

    # The reference is the channel's own: another channel with the same one is another case.
    c = await http.post(
        "/api/v1/cases",
        json=complaint_body(client_reference=ref, channel="app"),
        headers=auth("app"),
    )
    assert c.status_code == 201 and c.json()["case_id"] != cid
    # And the same reference with a different body is refused, naming what was reused.
    d = await http.post(
        "/api/v1/cases",
        json=complaint_body(client_reference=ref, description="other"),
        headers=auth("channel"),
    )
    assert d.status_code == 409 and "client_reference" in d.json()["detail"]

    # Without a key or a reference every POST is a new case.
    e = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    f = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    assert (e.status_code, f.status_code) == (201, 201)
    assert e.json()["case_id"] != f.json()["case_id"]


async def test_api_idempotency_replay_after_the_case_is_archived(http, stack):
    """The workflow has completed, so Temporal rejects reusing its id: the replay answers with
    the recorded case instead of starting it again."""
    key = f"key-{uuid.uuid4().hex}"
    body = {
        "type": "inquiry",
        "customer": {"name": "李四", "phone": "13900139000"},
        "channel": "web",
        "description": "What is my plan?",
    }
    first = await http.post("/api/v1/cases", json=body, headers=keyed(key))
    assert first.status_code == 201, first.text
    cid = first.json()["case_id"]
    await act(http, cid, "resolve_at_intake", "cs", {"answer": "Plan A"})
    closed = await act(http, cid, "close", "cs", {"reason": "answered"})
    assert closed["phase"] == "archived"
    await stack["encrypted_client"].get_workflow_handle(cid).result()  # completed

    again = await http.post("/api/v1/cases", json=body, headers=keyed(key))
    assert again.status_code == 200, again.text
    assert again.json()["case_id"] == cid and again.json()["phase"] == "archived"
    await _one_of_everything(stack, cid)
