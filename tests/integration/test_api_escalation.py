"""Escalations fired by the workflows' own timers, watched over HTTP in real time: the test
policy gives WeChat complaints a 4-second response window (tests/integration/conftest.py)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from tests.integration.conftest import (
    FAST_LADDER_VERSION,
    act,
    auth,
    complaint_body,
    ts,
    until,
)

pytestmark = pytest.mark.integration


async def _file_fast_complaint(http: httpx.AsyncClient) -> dict:
    r = await http.post(
        "/api/v1/cases", json=complaint_body(channel="wechat"), headers=auth("channel")
    )
    assert r.status_code == 201, r.text
    case = r.json()
    assert case["windows"]["response"]["target"] == "4s"
    return case


async def _level(http: httpx.AsyncClient, cid: str, level: int):
    async def reached():
        case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
        return case if case["escalation"]["level"] >= level else None

    return await until(reached, timeout=20)


async def _notifications(engine, cid: str) -> list[tuple]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT recipient, template, params->>'level' FROM notifications "
                "WHERE case_id = :c ORDER BY seq, idx"
            ),
            {"c": cid},
        )
        return [tuple(r) for r in rows]


async def test_api_escalation(http, stack):
    case = await _file_fast_complaint(http)
    cid, due = case["case_id"], ts(case["windows"]["response"]["due_at"])

    case = await _level(http, cid, 2)
    assert case["escalation"]["level"] == 2
    assert case["escalation"]["level_name"] == "L2 team lead / service engineer"
    assert case["escalation"]["window"] == "response"
    # The next climb is anchored on the deadline (level 2 has 4 h), so the ladder never drifts.
    assert ts(case["escalation"]["next_at"]) == due + timedelta(hours=4)
    assert case["breached"] and case["phase"] == "new"
    response = case["windows"]["response"]
    assert response["state"] == "breached" and ts(response["breached_at"]) >= due
    assert response["remaining_seconds"] < 0  # overdue

    timeline = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    assert [e["kind"] for e in timeline] == ["intake", "warning", "breach", "escalated"]
    for event in timeline[1:]:
        assert event["window"] == "response"
        assert ts(event["deadline"]) == due  # each names the deadline it concerned
    warning, breach, escalated = timeline[1:]
    assert ts(warning["at"]) <= ts(breach["at"])
    assert due <= ts(breach["at"]) < due + timedelta(seconds=3)  # on time, not on a poll
    assert escalated["data"]["level"] == "2"
    notes = await _notifications(stack["engine"], cid)
    assert ("agent", "warning", None) in notes
    assert ("team_lead", "escalation", "2") in notes

    listed = (
        await http.get(
            "/api/v1/cases", params={"overdue": "true", "limit": 500}, headers=auth("supervisor")
        )
    ).json()
    assert cid in [c["case_id"] for c in listed["items"]]
    assert listed["items"][0]["breached"]  # breached cases sort first
    high = (
        await http.get(
            "/api/v1/cases",
            params={"escalation_level_min": 2, "limit": 500},
            headers=auth("supervisor"),
        )
    ).json()
    assert cid in [c["case_id"] for c in high["items"]]

    r = await http.post(
        f"/api/v1/cases/{cid}/actions/acknowledge", headers=auth("cs"), json={"comment": "mine"}
    )
    assert r.status_code == 403 and "role 'agent'" in r.json()["detail"]
    case = await act(http, cid, "acknowledge", "supervisor", {"comment": "I have it"})
    assert case["escalation"]["next_at"] is None
    assert case["escalation"]["acknowledged_by"] == "supervisor"
    assert case["escalation"]["level"] == 2  # acknowledging stops the climb, keeps the level
    r = await http.post(f"/api/v1/cases/{cid}/actions/acknowledge", headers=auth("supervisor"))
    assert r.status_code == 409 and "no running escalation" in r.json()["detail"]

    # Accepting late closes the window as met late; the breach stays on record.
    case = await act(http, cid, "accept", "cs")
    assert case["windows"]["response"]["state"] == "met_late"
    assert case["breached"] is False and case["phase"] == "in_progress"
    timeline = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    assert [e["kind"] for e in timeline][4:] == ["escalation_acknowledged", "accepted"]


@pytest_asyncio.fixture
async def ladder_http(ladder_stack):
    """The API whose policy gives level 2 only 3 seconds before level 3 is called in."""
    async with httpx.AsyncClient(base_url=ladder_stack["base"], timeout=60) as client:
        yield client, ladder_stack


async def test_api_escalation_ladder_climbs_on_time_until_acknowledged(ladder_http):
    http, stack = ladder_http
    case = await _file_fast_complaint(http)
    cid, due = case["case_id"], ts(case["windows"]["response"]["due_at"])
    assert case["policy_version"] == FAST_LADDER_VERSION

    case = await _level(http, cid, 3)
    assert case["escalation"]["level"] == 3
    assert case["escalation"]["level_name"] == "L3 complaint specialist / supervisor"
    # Level 3 was due 3 s after the breach and has 8 h: both anchored, no drift.
    assert ts(case["escalation"]["next_at"]) == due + timedelta(seconds=3, hours=8)
    timeline = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    assert [e["kind"] for e in timeline] == [
        "intake",
        "warning",
        "breach",
        "escalated",
        "escalated",
    ]
    second = timeline[-1]
    assert second["data"]["level"] == "3"
    assert ts(second["deadline"]) == due + timedelta(seconds=3)
    assert timedelta(0) <= ts(second["at"]) - (due + timedelta(seconds=3)) < timedelta(seconds=3)
    notes = await _notifications(stack["engine"], cid)
    assert ("team_lead", "escalation", "2") in notes
    assert ("supervisor", "escalation", "3") in notes

    case = await act(http, cid, "acknowledge", "supervisor", {"comment": "taking it"})
    assert case["escalation"]["next_at"] is None and case["escalation"]["level"] == 3
    await asyncio.sleep(1)
    after = (await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))).json()
    assert [e["kind"] for e in after][5:] == ["escalation_acknowledged"]  # nothing climbs on
