"""Administrators manage staff on the pages: a new user with a password signs in; a user is
deactivated only after each of their open cases went to someone else through its `assign`
action, and their sessions end with it."""

from __future__ import annotations

import uuid

import httpx
import pytest
import pytest_asyncio

from tests.integration.conftest import act, auth, complaint_body
from tests.integration.pages_kit import (
    csrf_of,
    forget_sign_in_failures,
    http_sign_in,
    signed_in_client,
)

pytestmark = pytest.mark.integration


@pytest_asyncio.fixture(autouse=True)
async def _no_earlier_failures(stack):
    await forget_sign_in_failures(stack["engine"])
    yield


async def _post(client: httpx.AsyncClient, page: str, url: str, base: str, **form):
    token = csrf_of((await client.get(page)).text)
    return await client.post(url, data={**form, "csrf_token": token}, headers={"Origin": base})


async def test_an_admin_creates_a_staff_user_who_signs_in_with_the_password(stack):
    base, user_id = stack["base"], f"agent.{uuid.uuid4().hex[:6]}"
    async with signed_in_client(base, "admin") as admin:
        # Not an agent without a department, not a weak password, not an intake channel.
        for form, problem in (
            ({"role": "agent", "password": "long-enough-1"}, "agent_department"),
            (
                {"role": "agent", "department": "product", "password": "short"},
                "weak_password",
            ),
            ({"role": "channel", "password": "long-enough-1"}, "bad_role"),
        ):
            r = await _post(
                admin, "/admin/users", "/admin/users", base, user_id=user_id, name="王芳", **form
            )
            assert r.status_code == 422 and f'data-code="{problem}"' in r.text
        r = await _post(
            admin,
            "/admin/users",
            "/admin/users",
            base,
            user_id=user_id,
            name="王芳",
            role="agent",
            department="product",
            ladder_role="team_lead",
            email="wang.fang@example.cn",
            password="wang-fang-2026",
        )
        assert (
            r.status_code == 303 and r.headers["location"] == f"/admin/users/{user_id}?done=created"
        )
        listing = await admin.get("/admin/users")
        assert f'data-user="{user_id}"' in listing.text and "班组长" in listing.text
    async with httpx.AsyncClient(base_url=base) as newcomer:
        assert (await http_sign_in(newcomer, user_id, "wang-fang-2026")).status_code == 303
        assert "王芳" in (await newcomer.get("/")).text


async def test_only_admins_manage_users(stack):
    async with signed_in_client(stack["base"], "supervisor") as supervisor:
        assert (await supervisor.get("/admin/users")).status_code == 403


async def test_deactivation_hands_every_open_case_over_through_assign(stack, http):
    base, user_id = stack["base"], f"agent.{uuid.uuid4().hex[:6]}"
    async with signed_in_client(base, "admin") as admin:
        r = await _post(
            admin,
            "/admin/users",
            "/admin/users",
            base,
            user_id=user_id,
            name="Leaving Agent",
            role="agent",
            department="customer_service",
            password="leaving-agent-1",
        )
        assert r.status_code == 303
        cases = []
        for _ in range(2):
            cid = (
                await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
            ).json()["case_id"]
            await act(http, cid, "assign", "supervisor", {"assignee": user_id})
            cases.append(cid)
        async with httpx.AsyncClient(base_url=base) as leaving:
            assert (await http_sign_in(leaving, user_id, "leaving-agent-1")).status_code == 303
            page = f"/admin/users/{user_id}"
            assert f'data-testid="open-count">{len(cases)}<' in (await admin.get(page)).text
            # Whom to hand the cases to must be said.
            r = await _post(admin, page, f"{page}/deactivate", base)
            assert r.status_code == 422 and 'data-code="reassign_needed"' in r.text
            r = await _post(admin, page, f"{page}/deactivate", base, reassign_to="agent.cs")
            assert r.status_code == 303 and r.headers["location"] == f"{page}?done=deactivated"
            # Each case went through its assign action: recorded on its timeline.
            for cid in cases:
                case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
                assert case["assignee"] == "agent.cs"
                events = (
                    await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))
                ).json()
                assert [e["actor_id"] for e in events if e["kind"] == "assigned"][-1] == "admin"
            # The user's session ended, and the password opens nothing any more.
            assert (await leaving.get("/", follow_redirects=False)).status_code == 303
            assert (await http_sign_in(leaving, user_id, "leaving-agent-1")).status_code == 401
        assert "已停用" in (await admin.get(page)).text
