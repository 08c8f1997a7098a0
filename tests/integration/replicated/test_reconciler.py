"""Nothing diverges silently, on the two-of-everything stack (real dev server, two workers, two
API processes): cases whose workflows an operator terminates with the Temporal CLI are found by
the reconciler Schedule, flagged in the API, on /metrics and on the floor page, and alert the
supervisors; an administrator revives them (one through the API, one through the floor's form)
and each keeps its original deadlines and escalation chain."""

from __future__ import annotations

import asyncio
import re
import subprocess
import time
from datetime import timedelta

import httpx
import pytest
from sqlalchemy import text

from caseflow import devstack
from tests.integration.conftest import auth, complaint_body, ts
from tests.integration.pages_kit import csrf_of, signed_in_client
from tests.integration.replicated.stack import ReplicatedStack
from workflows.schedules import RECONCILE_ID

pytestmark = pytest.mark.integration


def temporal_cli(stack: ReplicatedStack, *args: str) -> str:
    done = subprocess.run(
        [devstack.temporal_binary(), *args, "--address", stack.address],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


async def until(probe, what: str, timeout: float = 90):
    deadline = time.monotonic() + timeout
    while True:
        value = await probe()
        if value:
            return value
        assert time.monotonic() < deadline, f"{what}: not within {timeout} s"
        await asyncio.sleep(0.3)


async def lost_metric(http: httpx.AsyncClient, base: str) -> float:
    body = (await http.get(f"{base}/metrics")).text
    return float(re.search(r"^caseflow_cases_lost (\S+)$", body, re.MULTILINE).group(1))


async def test_terminated_cases_are_flagged_and_revived_with_their_deadlines(
    replicated: ReplicatedStack,
):
    stack = replicated
    api1, api2 = stack.bases
    async with httpx.AsyncClient(timeout=60) as http:

        async def get(case_id: str, base: str = api1) -> dict:
            r = await http.get(f"{base}/api/v1/cases/{case_id}", headers=auth("supervisor"))
            assert r.status_code == 200, r.text
            return r.json()

        # An escalated case (WeChat: 4 s to respond) and one whose 12 s deadline is ahead.
        escalated = (
            await http.post(
                f"{api2}/api/v1/cases",
                json=complaint_body(channel="wechat"),
                headers=auth("channel"),
            )
        ).json()["case_id"]
        ahead = await http.post(
            f"{api1}/api/v1/cases", json=complaint_body(channel="web"), headers=auth("channel")
        )
        assert ahead.status_code == 201, ahead.text
        ahead, due = ahead.json()["case_id"], ahead.json()["windows"]["response"]["due_at"]
        before_e = await until(
            lambda: _level(get(escalated), 2), "the WeChat case's escalation", 120
        )
        before_a = await get(ahead)
        assert before_a["windows"]["response"]["due_at"] == due

        # An operator terminates both workflows with the Temporal CLI.
        runs = {}
        for case_id in (escalated, ahead):
            runs[case_id] = (await stack.client.get_workflow_handle(case_id).describe()).run_id
            temporal_cli(
                stack, "workflow", "terminate", "-w", case_id, "--reason", "maintenance script"
            )
        assert await lost_metric(http, api1) == 0
        # The reconciler Schedule's next pass (triggered now rather than in 5 minutes).
        temporal_cli(stack, "schedule", "trigger", "-s", RECONCILE_ID)
        for case_id in (escalated, ahead):
            view = await until(lambda c=case_id: _lost(get(c, api2)), f"{case_id} flagged")
            assert view["lost"]["status"] == "terminated"
            assert view["lost"]["run_id"] == runs[case_id]
        listed = await http.get(
            f"{api1}/api/v1/cases", params={"lost": "true", "limit": 500}, headers=auth("admin")
        )
        assert {escalated, ahead} <= {c["case_id"] for c in listed.json()["items"]}
        assert all(c["lost"] for c in listed.json()["items"])
        assert await lost_metric(http, api2) == 2  # identical on every replica
        timeline = (
            await http.get(f"{api1}/api/v1/cases/{ahead}/timeline", headers=auth("supervisor"))
        ).json()
        assert [e["kind"] for e in timeline] == ["intake", "lost"]
        # The supervisors' alert goes out through the outbox like any notification.
        async with stack.engine.connect() as conn:
            alerts = (
                await conn.execute(
                    text(
                        "SELECT case_id, id FROM notifications WHERE template = 'case_lost' "
                        "AND recipient = 'supervisor' AND case_id IN (:a, :b)"
                    ),
                    {"a": escalated, "b": ahead},
                )
            ).all()
        assert sorted(c for c, _ in alerts) == sorted([escalated, ahead])
        await until(
            lambda: _true(all(i in stack.gateways.by_id() for _, i in alerts)), "alerts sent"
        )

        # The floor shows them first; only an administrator gets the revive form.
        async with signed_in_client(api2, "supervisor") as page:
            floor = (await page.get("/floor")).text
            assert 'data-testid="lost-cases"' in floor and f'data-lost="{escalated}"' in floor
            assert f'data-revive="{escalated}"' not in floor
        # Revived through the API by an administrator (only): same deadlines, and the
        # breach comes at the original one, or at once if it passed while the case was lost.
        refused = await http.post(
            f"{api1}/api/v1/cases/{ahead}/revive", json={"reason": "x"}, headers=auth("supervisor")
        )
        assert refused.status_code == 403
        revived = await http.post(
            f"{api1}/api/v1/cases/{ahead}/revive",
            json={"reason": "terminated by a maintenance script"},
            headers=auth("admin"),
        )
        assert revived.status_code == 200, revived.text
        view = revived.json()
        assert view["lost"] is None and view["run"] == before_a["run"] + 1
        assert planned(view) == planned(before_a)
        breach = await until(lambda: _event(http, api2, ahead, "breach"), "the breach", 120)
        assert breach["deadline"] == due and breach["window"] == "response"
        after = await get(ahead, api2)
        assert after["escalation"]["level"] == 2
        assert ts(after["escalation"]["next_at"]) == ts(due) + timedelta(hours=4)  # from the due
        again = await http.post(
            f"{api2}/api/v1/cases/{ahead}/revive", json={"reason": "x"}, headers=auth("admin")
        )
        assert again.status_code == 409

        # Revived from the floor's form by an administrator: the chain as it was.
        async with signed_in_client(api2, "admin") as page:
            floor = (await page.get("/floor")).text
            assert f'data-revive="{escalated}"' in floor
            posted = await page.post(
                f"/cases/{escalated}/revive",
                data={"reason": "restore after maintenance", "csrf_token": csrf_of(floor)},
                headers={"Origin": api2},
            )
            assert posted.status_code == 303, posted.text[:500]
            assert posted.headers["location"] == f"/cases/{escalated}?revived=1"
        after_e = await until(lambda: _not_lost(get(escalated, api1)), "the revived case")
        assert after_e["escalation"] == before_e["escalation"]  # level 2, same next climb
        assert planned(after_e) == planned(before_e)
        assert after_e["windows"]["response"]["state"] == "breached"
        kinds = [e["kind"] for e in await _timeline(http, api1, escalated)]
        assert kinds == ["intake", "warning", "breach", "escalated", "lost", "revived"]
        assert await lost_metric(http, api1) == 0
        # It is a live case again: an agent takes it.
        taken = await http.post(
            f"{api2}/api/v1/cases/{escalated}/actions/accept", headers=auth("cs")
        )
        assert taken.status_code == 200 and taken.json()["phase"] == "in_progress"


def planned(view: dict) -> dict:
    """Each window's planned instants: what a revival must keep exactly."""
    return {
        name: (w["target"], w["opened_at"], w["due_at"], w["warn_at"])
        for name, w in view["windows"].items()
    }


async def _level(view, level: int):
    v = await view
    return v if v["escalation"]["level"] == level else None


async def _lost(view):
    v = await view
    return v if v.get("lost") else None


async def _not_lost(view):
    v = await view
    return v if v.get("lost") is None else None


async def _true(value: bool) -> bool:
    return value


async def _timeline(http: httpx.AsyncClient, base: str, case_id: str) -> list[dict]:
    r = await http.get(f"{base}/api/v1/cases/{case_id}/timeline", headers=auth("supervisor"))
    return r.json()


async def _event(http: httpx.AsyncClient, base: str, case_id: str, kind: str):
    return next((e for e in await _timeline(http, base, case_id) if e["kind"] == kind), None)
