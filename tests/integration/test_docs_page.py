"""The API docs in a real headless Chromium with every host but 127.0.0.1 blocked, as on a
network without internet access: Swagger UI lists every operation and ReDoc renders them.

Only the API is served (uvicorn on a loopback port, no lifespan): the docs pages and the OpenAPI
document need neither Temporal nor PostgreSQL."""

from __future__ import annotations

import asyncio
import socket
from urllib.parse import urlsplit

import httpx
import pytest
import pytest_asyncio
import uvicorn

from api.main import create_app
from caseflow.settings import Settings
from tests.integration.pages_kit import BROWSER_ARGS, CHROMIUM


@pytest_asyncio.fixture
async def api_base():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(Settings(temporal_ui_url=None))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    task = asyncio.create_task(server.serve())
    try:
        async with asyncio.timeout(15):
            while not server.started:
                assert not task.done(), "the API failed to start"
                await asyncio.sleep(0.05)
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@pytest_asyncio.fixture
async def offline_page():
    """A page whose requests to any host but 127.0.0.1 are refused and written down."""
    if CHROMIUM is None:
        pytest.fail("Chromium is not installed: ./bootstrap installs Debian's chromium package")
    from playwright.async_api import async_playwright

    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=CHROMIUM, args=BROWSER_ARGS)
        context = await browser.new_context()
        blocked: list[str] = []

        async def only_loopback(route):
            if urlsplit(route.request.url).hostname == "127.0.0.1":
                await route.continue_()
            else:
                blocked.append(route.request.url)
                await route.abort("internetdisconnected")

        await context.route("**/*", only_loopback)
        page = await context.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda exc: errors.append(str(exc)))
        page.blocked, page.errors = blocked, errors
        yield page
        await browser.close()


async def _operations(api_base: str) -> dict[tuple[str, str], str]:
    """(method, path) -> operationId of every operation in the API's OpenAPI document."""
    async with httpx.AsyncClient(base_url=api_base) as http:
        schema = (await http.get("/openapi.json")).json()
    return {
        (method, path): op["operationId"]
        for path, ops in schema["paths"].items()
        for method, op in ops.items()
    }


async def test_swagger_ui_lists_every_operation_offline(api_base, offline_page):
    page = offline_page
    expected = await _operations(api_base)
    await page.goto(f"{api_base}/docs")
    await page.locator(".opblock").first.wait_for(timeout=15_000)
    shown = await page.locator(".opblock").evaluate_all(
        """blocks => blocks.map(b => [
            b.querySelector('.opblock-summary-method').textContent.toLowerCase(),
            b.querySelector('.opblock-summary-path').dataset.path,
        ])"""
    )
    assert {tuple(op) for op in shown} == set(expected)
    assert "caseflow" in await page.locator(".info .title").inner_text()
    assert page.blocked == [] and page.errors == []
    await page.screenshot(path="/tmp/caseflow-docs.png", full_page=False)


async def test_redoc_renders_the_operations_offline(api_base, offline_page):
    page = offline_page
    expected = await _operations(api_base)
    await page.goto(f"{api_base}/redoc")
    # Each operation's section: data-section-id="operation/<operationId>".
    operations = page.locator("[data-section-id^='operation/']")
    await operations.first.wait_for(timeout=15_000)
    shown = await operations.evaluate_all("els => els.map(e => e.dataset.sectionId)")
    assert sorted(shown) == sorted(f"operation/{op}" for op in expected.values())
    assert "caseflow" in await page.locator("h1").first.inner_text()
    assert page.blocked == [] and page.errors == []
