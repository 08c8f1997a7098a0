"""A complaint's whole life over HTTP against the real dev server, worker and PostgreSQL: filed
by a channel, accepted, transferred, paused for the customer, resolved, delivered, confirmed,
called back and archived; then read back through the timeline, the list and Temporal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from caseflow import search_attributes as sa
from tests.integration.conftest import (
    FAST_LADDER_VERSION,
    TEST_VERSION,
    act,
    auth,
    complaint_body,
    ts,
    until,
)

pytestmark = pytest.mark.integration
SHANGHAI = ZoneInfo("Asia/Shanghai")

STEPS = [
    "intake",
    "accepted",
    "note",
    "transferred",
    "accepted",
    "paused",
    "resumed",
    "resolved",
    "feedback_delivered",
    "customer_confirmed",
    "callback",
    "archived",
]


def shanghai_date() -> str:
    return datetime.now(UTC).astimezone(SHANGHAI).strftime("%Y%m%d")


async def test_api_happy_path(http, stack):
    before = shanghai_date()
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    assert r.status_code == 201, r.text
    case = r.json()
    cid = case["case_id"]
    assert r.headers["location"] == f"/api/v1/cases/{cid}"
    prefix, day, counter = cid.split("-")
    assert prefix == "CMP" and day in {before, shanghai_date()}
    assert len(counter) == 6 and counter.isdigit()
    assert case["phase"] == "new" and case["type"] == "complaint"
    assert case["department"] == "customer_service"  # category service is routed there
    assert case["escalation"]["level"] == 1 and case["escalation"]["next_at"] is None
    assert case["escalation"]["level_name"] == "L1 agent"
    assert case["policy_version"] == TEST_VERSION
    response = case["windows"]["response"]
    assert response["target"] == "24h" and response["state"] == "running"
    # Findable in Temporal from its start, routing and first deadline included.
    query = (
        f'WorkflowId = "{cid}" AND Phase = "new" AND Department = "customer_service" '
        'AND CaseType = "complaint"'
    )

    async def findable():
        return [w async for w in stack["client"].list_workflows(query)]

    [found] = await until(findable)
    # The first thing due is the 30-minute decision (policy 2026.3, 000 §2.4's 受理 step).
    decision = case["windows"]["decision"]
    assert decision["target"] == "30m" and ts(decision["due_at"]) < ts(response["due_at"])
    assert found.typed_search_attributes.get(sa.NEXT_DEADLINE) == ts(decision["due_at"])
    assert ts(response["due_at"]) - ts(response["opened_at"]) == timedelta(hours=24)
    assert ts(response["opened_at"]) == ts(case["opened_at"])
    assert 23 * 3600 < response["remaining_seconds"] <= 24 * 3600
    assert case["next_deadline"] == decision["due_at"] and case["next_window"] == "decision"
    assert case["customer"]["phone"] == "138****8000"  # the channel sees it masked

    case = await act(http, cid, "accept", "cs")
    assert case["phase"] == "in_progress" and case["assignee"] == "agent.cs"
    assert case["windows"]["response"]["state"] == "met"
    assert case["windows"]["response"]["remaining_seconds"] is None  # closed
    handling = case["windows"]["handling"]
    assert handling["target"] == "3wd" and handling["state"] == "running"
    assert ts(handling["due_at"]) - ts(handling["opened_at"]) >= timedelta(days=3)

    case = await act(http, cid, "note", "cs", {"text": "called the customer back"})
    assert case["phase"] == "in_progress"
    case = await act(
        http, cid, "transfer", "cs", {"department": "product", "reason": "a billing rule question"}
    )
    assert case["phase"] == "transferred" and case["department"] == "product"
    assert case["assignee"] is None
    transfer = case["windows"]["transfer"]
    assert transfer["target"] == "1h"
    assert ts(transfer["due_at"]) - ts(transfer["opened_at"]) == timedelta(hours=1)

    case = await act(http, cid, "accept", "product")
    assert case["phase"] == "in_progress" and case["assignee"] == "agent.product"
    assert case["windows"]["transfer"]["state"] == "met"

    case = await act(http, cid, "request_info", "product", {"question": "Which month?"})
    assert case["phase"] == "waiting_customer"
    paused = case["windows"]["handling"]
    assert paused["state"] == "paused" and paused["due_at"] is None
    assert paused["remaining_seconds"] is None and paused["pause_reason"]
    case = await act(http, cid, "customer_reply", "channel", {"text": "October"})
    assert case["phase"] == "in_progress"
    assert case["windows"]["handling"]["state"] == "running"
    assert case["windows"]["handling"]["due_at"] is not None

    case = await act(
        http,
        cid,
        "resolve",
        "product",
        {"result": "refunded 30 yuan", "process": "billing checked"},
    )
    assert case["phase"] == "resolved" and case["windows"]["handling"]["state"] == "met"
    assert case["resolution"]["result"] == "refunded 30 yuan"
    assert case["windows"]["feedback"]["target"] == "24h"
    case = await act(http, cid, "feedback", "product", {"message": "We refunded 30 yuan"})
    assert case["phase"] == "feedback_given"
    assert case["feedback"]["department"] == "product"
    assert case["feedback"]["channel"] == "phone"  # replies go back on the channel used
    case = await act(http, cid, "confirm", "channel", {"comment": "ok"})
    assert case["customer_confirmed"] is True
    case = await act(http, cid, "callback", "product", {"satisfaction": "satisfied"})
    assert case["phase"] == "archived" and case["outcome"] == "resolved"
    assert case["satisfaction"]["satisfaction"] == "satisfied"
    assert case["closed_at"] is not None and case["next_deadline"] is None
    assert all(w["state"] in ("met", "met_late", "cancelled") for w in case["windows"].values())

    # The read model holds the final state; people who handle the case see it unmasked.
    detail = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert detail["phase"] == "archived" and detail["customer"]["phone"] == "13800138000"
    assert detail["updated_at"] == case["updated_at"]

    r = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))
    assert r.status_code == 200
    timeline = r.json()
    assert [e["kind"] for e in timeline] == STEPS
    assert [e["seq"] for e in timeline] == list(range(1, len(STEPS) + 1))  # unique, in order
    assert [e["actor_id"] for e in timeline][:4] == [
        "channel.hotline",
        "agent.cs",
        "agent.cs",
        "agent.cs",
    ]
    moved = next(e for e in timeline if e["kind"] == "transferred")
    assert moved["data"] == {"from_department": "customer_service", "to_department": "product"}
    times = [ts(e["at"]) for e in timeline]
    assert times == sorted(times)

    for params in (
        {"phase": "archived"},
        {"department": "product"},
        {"type": "complaint"},
        {
            "phase": ["new", "archived"],
            "type": "complaint",
            "department": "product",
            "assignee": "agent.product",
            "overdue": "false",
        },
    ):
        listed = await http.get(
            "/api/v1/cases", params={**params, "limit": 500}, headers=auth("supervisor")
        )
        assert listed.status_code == 200, listed.text
        assert cid in [c["case_id"] for c in listed.json()["items"]], params
    for params in (
        {"phase": "new"},
        {"department": "customer_service"},
        {"type": "inquiry"},
        {"overdue": "true"},
        {"escalation_level_min": 2},
    ):
        listed = await http.get(
            "/api/v1/cases", params={**params, "limit": 500}, headers=auth("supervisor")
        )
        assert cid not in [c["case_id"] for c in listed.json()["items"]], params

    # Page by page (a page holds one run's events); one run: the case never neared a limit.
    types, cursor = [], None
    while True:
        params = {"cursor": cursor} if cursor else {}
        history = await http.get(
            f"/api/v1/cases/{cid}/history", params=params, headers=auth("supervisor")
        )
        assert history.status_code == 200, history.text
        page = history.json()
        [run] = page["runs"]
        assert page["run_ids"] == [run["run_id"]] and run["status"] == "COMPLETED"
        types += [e["eventType"] for e in run["history"]["events"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert types[0] == "EVENT_TYPE_WORKFLOW_EXECUTION_STARTED"
    assert types[-1] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    # One update per agent action above; the intake was a plain start carrying its plan.
    assert types.count("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED") == 10
    r = await http.get(f"/api/v1/cases/{cid}/history", headers=auth("cs"))
    assert r.status_code == 403 and "role 'agent'" in r.json()["detail"]

    # Search attributes make the case findable in the Temporal UI and CLI too.
    found = [
        w.id
        async for w in stack["client"].list_workflows(
            f'WorkflowId = "{cid}" AND Phase = "archived" AND Department = "product"'
        )
    ]
    assert found == [cid]


async def test_list_is_sorted_paged_and_scoped(http):
    for _ in range(3):
        r = await http.post(
            "/api/v1/cases", json=complaint_body(category="network"), headers=auth("channel")
        )
        assert r.status_code == 201
    listed = (
        await http.get("/api/v1/cases", params={"limit": 500}, headers=auth("supervisor"))
    ).json()
    items = listed["items"]
    assert listed["total"] >= 3 and len(items) == min(listed["total"], 500)
    # Breached first, then the nearest deadline, cases without one last.
    never = datetime.max.replace(tzinfo=UTC)
    keys = [
        (not c["breached"], ts(c["next_deadline"]) if c["next_deadline"] else never) for c in items
    ]
    assert keys == sorted(keys)

    # Pages are slices of the same order (one department: no other test's timers move it).
    query = {"department": "network_ops", "phase": "new"}
    whole = (
        await http.get("/api/v1/cases", params={**query, "limit": 500}, headers=auth("supervisor"))
    ).json()
    page = (
        await http.get(
            "/api/v1/cases", params={**query, "limit": 2, "offset": 1}, headers=auth("supervisor")
        )
    ).json()
    assert [c["case_id"] for c in page["items"]] == [c["case_id"] for c in whole["items"][1:3]]
    assert page["limit"] == 2 and page["offset"] == 1 and page["total"] == whole["total"] >= 3

    # Agents see their own department only, whatever they ask for.
    mine = (await http.get("/api/v1/cases", params={"limit": 500}, headers=auth("network"))).json()
    assert mine["items"] and {c["department"] for c in mine["items"]} == {"network_ops"}
    r = await http.get("/api/v1/cases", params={"department": "product"}, headers=auth("network"))
    assert r.status_code == 403 and "own department" in r.json()["detail"]
    r = await http.get("/api/v1/cases", params={"limit": 501}, headers=auth("supervisor"))
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    r = await http.get("/api/v1/cases", params={"phase": "sleeping"}, headers=auth("supervisor"))
    assert r.status_code == 422 and "phase" in r.json()["detail"]


async def test_me_policy_and_health(http):
    me = await http.get("/api/v1/me", headers=auth("cs"))
    assert me.status_code == 200
    assert me.json() == {
        "id": "agent.cs",
        "name": "Li Na (customer service agent)",
        "role": "agent",
        "department": "customer_service",
    }

    r = await http.get("/api/v1/policy", headers=auth("channel"))
    assert r.status_code == 200
    policy = r.json()
    assert policy["version"] == TEST_VERSION and policy["timezone"] == "Asia/Shanghai"
    assert policy["warn_ratio"] == 0.8
    assert policy["business_hours"] == {"start": "09:00:00", "end": "18:00:00"}
    assert policy["routing"]["product"] == "product"
    assert [step["level"] for step in policy["ladder"]] == [1, 2, 3, 4]
    assert any(
        row["id"] == "complaint-default" and row["response"] == "24h" for row in policy["windows"]
    )
    assert {"2026.1", TEST_VERSION, FAST_LADDER_VERSION} <= set(policy["known_versions"])
    assert (await http.get("/api/v1/policy")).status_code == 401

    health = await http.get("/healthz")
    assert health.status_code == 200
    assert health.json() == {"status": "ok", "database": "ok", "temporal": "ok"}

    docs = await http.get("/openapi.json")
    paths = docs.json()["paths"]
    assert "/api/v1/cases/{case_id}/actions/accept" in paths
    assert paths["/api/v1/cases"]["post"]["summary"] == "File a case"
