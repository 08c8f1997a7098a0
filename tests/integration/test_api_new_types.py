"""Fault repair, outages and service requests over HTTP against the real dev server, worker and
PostgreSQL; a policy version that does not cover a case type refuses it at intake (422) while
its worker runs; a case with thousands of maximum-size notes stays alive with its timers."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from tests.integration.conftest import act, auth, serve_stack, ts, until

FAULT = {
    "type": "fault",
    "customer": {"name": "李四", "phone": "13900139000"},
    "channel": "phone",
    "kind": "broadband",
    "service_number": "021-55501234",
    "location": "上海市浦东新区张江路 100 号",
    "description": "No internet since this morning",
}
OUTAGE = {
    "type": "outage",
    "channel": "internal",
    "area": "浦东张江",
    "description": "Fibre cut at the Zhangjiang cabinet",
}


async def file(http: httpx.AsyncClient, body: dict, who: str = "channel", expect: int = 201):
    r = await http.post("/api/v1/cases", json=body, headers=auth(who))
    assert r.status_code == expect, r.text
    return r.json()


async def test_a_fault_over_http_from_report_to_callback(http):
    case = await file(http, FAULT)
    cid = case["case_id"]
    assert cid.startswith("FLT-") and case["department"] == "network_ops"
    assert case["windows"]["restoration"]["target"] == "2h"
    assert case["fault"]["service_number"] == "021*****1234"  # masked for the channel
    assert case["urgency"] == "normal" and case["kind"] == "broadband"

    await act(http, cid, "accept", "network")
    case = await act(
        http,
        cid,
        "dispatch",
        "network",
        {"engineer": "Zhang Min", "appointment_at": "2030-01-01T14:00:00+08:00"},
    )
    assert case["phase"] == "dispatched" and case["fault"]["engineer"] == "Zhang Min"
    await act(http, cid, "progress", "network", {"text": "on the way"})
    case = await act(http, cid, "restored", "network", {"cause": "fibre", "fix": "spliced"})
    assert case["phase"] == "resolved" and case["windows"]["restoration"]["state"] == "met"
    case = await act(http, cid, "confirm", "channel", {"comment": "works"})
    assert case["phase"] == "feedback_given"
    # A repeated confirmation is refused without a trace.
    r = await http.post(f"/api/v1/cases/{cid}/actions/confirm", json={}, headers=auth("channel"))
    assert r.status_code == 409 and r.json()["code"] == "phase"
    case = await act(http, cid, "callback", "network", {"satisfaction": "satisfied"})
    assert case["phase"] == "archived" and case["outcome"] == "resolved"
    timeline: list[dict] = []
    while True:  # a page at a time: the whole timeline is tens of megabytes
        page = await http.get(
            f"/api/v1/cases/{cid}/timeline",
            params={"after": timeline[-1]["seq"] if timeline else 0, "limit": 500},
            headers=auth("supervisor"),
        )
        timeline += page.json()
        if "link" not in page.headers:
            break
    assert [e["kind"] for e in timeline] == [
        "intake",
        "accepted",
        "dispatched",
        "progress",
        "restored",
        "customer_confirmed",
        "callback",
        "archived",
    ]


async def test_fault_intake_refuses_what_does_not_fit(http):
    r = await http.post(
        "/api/v1/cases", json={**FAULT, "kind": "leaky_roof"}, headers=auth("channel")
    )
    assert r.status_code == 422 and "unknown fault kind 'leaky_roof'" in r.json()["detail"]
    body = {k: v for k, v in FAULT.items() if k != "location"}
    r = await http.post("/api/v1/cases", json=body, headers=auth("channel"))
    assert r.status_code == 422 and "a fault needs location" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases", json={**FAULT, "severity": "major"}, headers=auth("channel")
    )
    assert r.status_code == 422 and "severity do not apply to fault" in r.json()["detail"]
    r = await http.post(
        "/api/v1/cases", json={**FAULT, "outage_id": "OUT-19990101-000001"}, headers=auth("channel")
    )
    assert r.status_code == 422 and "unknown outage" in r.json()["detail"]
    # Dispatch times must say their zone.
    case = await file(http, FAULT)
    await act(http, case["case_id"], "accept", "network")
    r = await http.post(
        f"/api/v1/cases/{case['case_id']}/actions/dispatch",
        json={"engineer": "Zhang", "appointment_at": "2030-01-01T14:00:00"},
        headers=auth("network"),
    )
    assert r.status_code == 422 and "appointment_at" in r.json()["detail"]


async def test_an_outage_restores_its_linked_faults_over_http(http):
    # Only staff open outages: an intake channel may not.
    r = await http.post("/api/v1/cases", json=OUTAGE, headers=auth("channel"))
    assert r.status_code == 403
    outage = await file(http, OUTAGE, who="network")
    oid = outage["case_id"]
    assert oid.startswith("OUT-") and outage["customer"]["name"] == ""
    linked_at_intake = await file(http, {**FAULT, "outage_id": oid})
    later = await file(http, FAULT)
    await act(http, later["case_id"], "link_outage", "network", {"outage_id": oid})
    r = await http.post(
        f"/api/v1/cases/{later['case_id']}/actions/link_outage",
        json={"outage_id": "OUT-19990101-000001"},
        headers=auth("network"),
    )
    assert r.status_code == 422 and "unknown outage" in r.json()["detail"]

    async def linked():
        case = (await http.get(f"/api/v1/cases/{oid}", headers=auth("supervisor"))).json()
        return len(case["outage"]["linked"]) == 2

    await until(linked)
    case = await act(http, oid, "restore_outage", "network", {"cause": "cut", "fix": "spliced"})
    assert case["phase"] == "archived" and case["outcome"] == "restored"

    for fault in (linked_at_intake, later):

        async def restored(cid=fault["case_id"]):
            case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
            return case if case["phase"] == "resolved" else None

        case = await until(restored)
        assert case["fault"]["restored_by"] == oid and case["fault"]["cause"] == "cut"


async def test_a_service_request_over_http(http):
    body = {
        "type": "service_request",
        "customer": {"name": "王五", "phone": "13700137000"},
        "channel": "app",
        "kind": "application",
        "description": "Apply for a fixed IP address",
    }
    case = await file(http, body)
    cid = case["case_id"]
    assert cid.startswith("SRV-") and case["windows"]["handling"]["target"] == "7wd"
    assert ts(case["windows"]["handling"]["opened_at"]) == ts(case["opened_at"])
    await act(http, cid, "accept", "cs")
    case = await act(http, cid, "fulfil", "cs", {"result": "Fixed IP assigned"})
    assert case["phase"] == "feedback_given" and case["fulfilment"]["result"] == "Fixed IP assigned"
    r = await http.post(
        f"/api/v1/cases/{cid}/actions/resolve",
        json={"result": "x", "process": "y"},
        headers=auth("cs"),
    )
    assert r.status_code == 409 and "does not apply to service_request" in r.json()["detail"]
    case = await act(http, cid, "callback", "cs", {"satisfaction": "satisfied"})
    assert case["phase"] == "archived"


async def test_a_policy_version_that_does_not_cover_a_type_refuses_it(
    temporal_env, db_engine, pg_url, policy_dir
):
    """2026.1 predates fault repair: its worker runs, complaints go through, faults get 422."""
    async with (
        serve_stack(temporal_env, pg_url, db_engine, policy_dir, "2026.1") as old,
        httpx.AsyncClient(base_url=old["base"], timeout=60) as client,
    ):
        r = await client.post("/api/v1/cases", json=FAULT, headers=auth("channel"))
        assert r.status_code == 422
        assert "policy version 2026.1 does not cover fault cases" in r.json()["detail"]
        complaint = {
            "type": "complaint",
            "customer": {"name": "张三", "phone": "13800138000"},
            "channel": "phone",
            "category": "service",
            "severity": "general",
            "description": "still served by 2026.1",
        }
        r = await client.post("/api/v1/cases", json=complaint, headers=auth("channel"))
        assert r.status_code == 201 and r.json()["policy_version"] == "2026.1"
        cid = r.json()["case_id"]
        case = await act(client, cid, "accept", "cs")  # the worker takes it: it started
        assert case["phase"] == "in_progress"
        # Closed before its worker stops: no case is left on a queue nobody polls (later
        # tests, the fuzzer among them, act on whatever cases they find).
        await act(client, cid, "resolve", "cs", {"result": "done", "process": "checked"})
        await act(client, cid, "feedback", "cs", {"message": "done"})
        case = await act(client, cid, "callback", "cs", {"satisfaction": "satisfied"})
        assert case["phase"] == "archived"


@pytest.mark.parametrize("notes", [3000])
async def test_thousands_of_maximum_size_notes_leave_the_case_alive(http, stack, notes):
    """Each note is as large as the API allows; the case continues as new as often as it must,
    its timers still run and every note is on the timeline, in order."""
    case = await file(http, {**FAULT})
    cid = case["case_id"]
    await act(http, cid, "accept", "network")
    text = "注" * stack["settings"].max_text_chars
    sem = asyncio.Semaphore(8)

    async def note(i: int) -> None:
        async with sem:
            await act(http, cid, "note", "network", {"text": f"{i:05d}{text[5:]}"})

    await asyncio.gather(*(note(i) for i in range(notes)))
    case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert case["phase"] == "in_progress" and case["run"] > 1
    assert case["windows"]["restoration"]["state"] == "running"
    runs = await stack["client"].get_workflow_handle(cid).describe()
    assert runs.status.name == "RUNNING"
    timeline: list[dict] = []
    while True:  # a page at a time: the whole timeline is tens of megabytes
        page = await http.get(
            f"/api/v1/cases/{cid}/timeline",
            params={"after": timeline[-1]["seq"] if timeline else 0, "limit": 500},
            headers=auth("supervisor"),
        )
        timeline += page.json()
        if "link" not in page.headers:
            break
    assert [e["seq"] for e in timeline] == list(range(1, len(timeline) + 1))
    assert sorted(int(e["summary"][:5]) for e in timeline if e["kind"] == "note") == list(
        range(notes)
    )
    # Still acted on: the timers and actions belong to the newest run.
    case = await act(http, cid, "restored", "network", {"cause": "x", "fix": "y"})
    assert case["phase"] == "resolved"
