"""Helpers for the page tests: signing in (in a browser or over HTTP), the demo passwords,
the CSRF token of a page, and a Chromium that Playwright drives."""

from __future__ import annotations

import re
import shutil
from contextlib import asynccontextmanager

import httpx
import pytest
from sqlalchemy import text

from caseflow.seed import DEMO_USERS

PASSWORDS = {u.id: u.password for u in DEMO_USERS if u.password}
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "the page has no form with a CSRF token"
    return match.group(1)


async def http_sign_in(http: httpx.AsyncClient, user: str, password: str | None = None):
    """Sign `http` in as `user` (its cookie jar keeps the session); the answer to the post."""
    form = await http.get("/login")
    return await http.post(
        "/login",
        data={
            "username": user,
            "password": password or PASSWORDS[user],
            "csrf_token": csrf_of(form.text),
        },
        headers={"Origin": str(http.base_url).rstrip("/")},
    )


@asynccontextmanager
async def signed_in_client(base: str, user: str):
    async with httpx.AsyncClient(base_url=base, timeout=60) as http:
        r = await http_sign_in(http, user)
        assert r.status_code == 303, (r.status_code, r.text[:500])
        yield http


@asynccontextmanager
async def browser(viewport: dict | None = None):
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: .ci/run installs Debian's chromium package")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        chromium = await p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        try:
            yield chromium
        finally:
            await chromium.close()


async def browser_sign_in(page, base: str, user: str, password: str | None = None) -> None:
    await page.goto(f"{base}/login")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", password or PASSWORDS[user])
    await page.click("form[action='/login'] button[type=submit]")
    await page.wait_for_url(f"{base}/")


async def forget_sign_in_failures(engine) -> None:
    """Failed sign-ins of one test must not block the next (they share 127.0.0.1)."""
    async with engine.begin() as conn:
        await conn.execute(text("DELETE FROM sign_in_failures"))
