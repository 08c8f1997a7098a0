"""Page sessions over real HTTP: password sign-in, the session cookie and what is stored of it,
CSRF tokens and the Origin check on form posts, sign-out that revokes, expiry, the sign-in
limits, intake channels refused, and the headers every page carries."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import pytest_asyncio
from sqlalchemy import text

from caseflow.passwords import hash_password
from tests.integration.conftest import auth, complaint_body
from tests.integration.pages_kit import (
    PASSWORDS,
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
    await forget_sign_in_failures(stack["engine"])


@pytest_asyncio.fixture
async def browserless(stack):
    async with httpx.AsyncClient(base_url=stack["base"], timeout=60) as client:
        yield client


async def test_password_sign_in_sets_an_httponly_lax_session_cookie_stored_as_a_hash(
    browserless, stack
):
    r = await http_sign_in(browserless, "agent.cs")
    assert r.status_code == 303 and r.headers["location"] == "/"
    cookie = next(c for c in r.headers.get_list("set-cookie") if c.startswith("caseflow_session="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie
    session_id = browserless.cookies["caseflow_session"]
    assert len(session_id) >= 40  # 256 random bits
    async with stack["engine"].connect() as conn:
        stored = (
            await conn.execute(
                text("SELECT id_hash, user_id, via FROM web_sessions WHERE id_hash = :h"),
                {"h": hashlib.sha256(session_id.encode()).hexdigest()},
            )
        ).one()
        raw = (
            await conn.execute(
                text("SELECT count(*) FROM web_sessions WHERE id_hash = :s"), {"s": session_id}
            )
        ).scalar_one()
    assert stored.user_id == "agent.cs" and stored.via == "password" and raw == 0
    page = await browserless.get("/")
    assert page.status_code == 200 and "我的工作台" in page.text  # an agent lands on the workbench


async def test_wrong_password_and_unknown_user_are_refused_alike(browserless):
    wrong = await http_sign_in(browserless, "agent.cs", "not-the-password")
    unknown = await http_sign_in(browserless, "nobody.here", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert "caseflow_session" not in browserless.cookies
    assert "用户名或密码错误" in wrong.text


async def test_intake_channels_cannot_sign_in_even_with_a_password(browserless, stack):
    # A channel never gets a password through caseflow; even one written into the database
    # directly does not open the pages.
    async with stack["engine"].begin() as conn:
        await conn.execute(
            text("UPDATE users SET password_hash = :h WHERE id = 'channel.app'"),
            {"h": hash_password("channel-app-pw")},
        )
    try:
        r = await http_sign_in(browserless, "channel.app", "channel-app-pw")
        assert r.status_code == 401 and "caseflow_session" not in browserless.cookies
    finally:
        async with stack["engine"].begin() as conn:
            await conn.execute(
                text("UPDATE users SET password_hash = NULL WHERE id = 'channel.app'")
            )


async def test_bearer_tokens_open_the_api_but_not_the_pages(browserless):
    assert (await browserless.get("/api/v1/me", headers=auth("cs"))).status_code == 200
    r = await browserless.get("/", headers=auth("cs"), follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    browserless.cookies.set("caseflow_session", "demo-agent-cs")
    assert (await browserless.get("/", follow_redirects=False)).status_code == 303


async def test_every_form_post_needs_its_csrf_token_and_the_pages_own_origin(stack, http):
    cid = (await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))).json()[
        "case_id"
    ]
    async with signed_in_client(stack["base"], "supervisor") as pages:
        token = csrf_of((await pages.get(f"/cases/{cid}")).text)
        origin = stack["base"]
        url = f"/cases/{cid}/actions/note"
        note = {"text": "called the customer", "csrf_token": token}
        # No token, a wrong one, another origin, or no Origin and no Referer: refused, 403.
        for data, headers, code in (
            ({"text": "x"}, {"Origin": origin}, "csrf"),
            ({**note, "csrf_token": "forged"}, {"Origin": origin}, "csrf"),
            (note, {"Origin": "http://127.0.0.1:1"}, "cross_origin"),
            (note, {"Origin": "null"}, "cross_origin"),
            (note, {"Referer": "http://evil.example/form"}, "cross_origin"),
            (note, {}, "cross_origin"),
        ):
            r = await pages.post(url, data=data, headers=headers)
            assert r.status_code == 403, (data, headers, r.status_code)
            assert f'data-code="{code}"' in r.text
        timeline = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))
        assert not any(e["kind"] == "note" for e in timeline.json()), "a refused post acted"
        # The Referer stands in for a missing Origin; with both right, the note is taken.
        r = await pages.post(url, data=note, headers={"Referer": f"{origin}/cases/{cid}"})
        assert r.status_code == 303 and r.headers["location"] == f"/cases/{cid}?done=note"
        # The sign-in form is protected the same way (double-submit token + Origin).
        anonymous = httpx.AsyncClient(base_url=origin)
        async with anonymous:
            r = await anonymous.post(
                "/login",
                data={"username": "agent.cs", "password": PASSWORDS["agent.cs"]},
                headers={"Origin": origin},
            )
            assert r.status_code == 403


async def test_sign_out_is_a_post_and_revokes_the_session(stack):
    async with signed_in_client(stack["base"], "agent.cs") as pages:
        stolen = pages.cookies["caseflow_session"]
        home = await pages.get("/")
        assert (await pages.get("/logout")).status_code == 405  # no sign-out by a mere link
        r = await pages.post(
            "/logout", data={"csrf_token": csrf_of(home.text)}, headers={"Origin": stack["base"]}
        )
        assert r.status_code == 303 and r.headers["location"] == "/login"
    async with httpx.AsyncClient(base_url=stack["base"]) as other:
        other.cookies.set("caseflow_session", stolen)
        r = await other.get("/", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"


async def test_an_expired_or_idle_session_no_longer_works(stack):
    async with signed_in_client(stack["base"], "agent.cs") as pages:
        id_hash = hashlib.sha256(pages.cookies["caseflow_session"].encode()).hexdigest()
        assert (await pages.get("/", follow_redirects=False)).status_code == 200
        long_ago = datetime.now(UTC) - timedelta(days=1)
        async with stack["engine"].begin() as conn:
            await conn.execute(
                text("UPDATE web_sessions SET last_seen_at = :t WHERE id_hash = :h"),
                {"t": long_ago, "h": id_hash},
            )
        assert (await pages.get("/", follow_redirects=False)).status_code == 303  # idle
        async with stack["engine"].begin() as conn:
            await conn.execute(
                text(
                    "UPDATE web_sessions SET last_seen_at = now(), expires_at = :t "
                    "WHERE id_hash = :h"
                ),
                {"t": long_ago, "h": id_hash},
            )
        assert (await pages.get("/", follow_redirects=False)).status_code == 303  # expired


async def test_failed_sign_ins_are_limited_per_user_name_with_retry_after(browserless, stack):
    settings = stack["settings"]
    for _ in range(settings.sign_in_max_failures):
        r = await http_sign_in(browserless, "agent.product", "wrong-password")
        assert r.status_code == 401
    # Blocked now, even with the right password, and told for how long.
    r = await http_sign_in(browserless, "agent.product")
    assert r.status_code == 429
    wait = int(r.headers["Retry-After"])
    assert 0 < wait <= settings.sign_in_backoff_seconds
    assert f"请 {wait} 秒后再试" in r.text
    # The limit is on that user name (and this address's count is still under its own limit):
    # another user signs in from the same address.
    assert (await http_sign_in(browserless, "agent.network")).status_code == 303
    # Kept in PostgreSQL, where every replica reads it; the names are stored hashed.
    async with stack["engine"].connect() as conn:
        rows = (await conn.execute(text("SELECT key_hash, failures FROM sign_in_failures"))).all()
    assert any(f == settings.sign_in_max_failures for _, f in rows)
    assert not any("agent.product" in k for k, _ in rows)


async def test_failed_sign_ins_are_limited_per_client_address(browserless, stack):
    settings = stack["settings"]
    for i in range(settings.sign_in_max_failures_per_address):
        r = await http_sign_in(browserless, f"someone.{i}", "wrong-password")
        assert r.status_code == 401
    r = await http_sign_in(browserless, "agent.cs")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0


async def test_pages_carry_security_headers_and_the_api_no_page_policy(stack, http):
    async with signed_in_client(stack["base"], "supervisor") as pages:
        for path in ("/", "/floor", "/reports", "/login"):
            r = await pages.get(path)
            assert r.status_code == 200, path
            csp = r.headers["content-security-policy"]
            assert "script-src 'self'" in csp and "unsafe-inline" not in csp, path
            assert "frame-ancestors 'none'" in csp
            assert r.headers["x-frame-options"] == "DENY"
            assert r.headers["x-content-type-options"] == "nosniff"
            assert r.headers["cache-control"] == "no-store"
            assert r.headers["referrer-policy"] == "same-origin"
            assert "<script>" not in r.text  # scripts only from files
        static = await pages.get("/static/caseflow.js")
        assert static.headers["x-content-type-options"] == "nosniff"
    api = await http.get("/api/v1/me", headers=auth("cs"))
    assert "content-security-policy" not in api.headers
