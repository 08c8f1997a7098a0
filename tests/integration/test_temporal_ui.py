"""The Temporal UI decodes out of the box with `caseflow dev`, as a supervisor would try it: signed
in to caseflow's pages, "open in Temporal UI" on a case leads to the UI served by the API at
/temporal/, whose codec calls carry the supervisor's session, so an update's arguments read in
clear there ("Codec Server could not connect" nowhere). Without a staff session /codec still
answers 401; an agent is refused the UI; the UI changes no case through caseflow."""

from __future__ import annotations

import base64
import json
import uuid

import httpx
import pytest

from caseflow.devstack import free_port
from tests.integration.conftest import complaint_body
from tests.integration.pages_kit import browser, browser_sign_in, http_sign_in
from tests.integration.test_devstack import START_TIMEOUT, Dev, stop

pytestmark = pytest.mark.integration
CODEC_ERROR = "Codec Server could not connect"


def _act(base: str, case_id: str, action: str, token: str, body: dict | None = None) -> None:
    r = httpx.post(
        f"{base}/api/v1/cases/{case_id}/actions/{action}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    assert r.status_code == 200, r.text


async def _checks_over_http(base: str, case_id: str) -> None:
    ui = f"/temporal/namespaces/default/workflows/{case_id}"
    async with httpx.AsyncClient(base_url=base, timeout=30) as anonymous:
        r = await anonymous.get(ui)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        r = await anonymous.get("/temporal/api/v1/settings")
        assert r.status_code == 401
        r = await anonymous.post("/codec/decode", json={"payloads": []}, headers={"Origin": base})
        assert r.status_code == 401
    async with httpx.AsyncClient(base_url=base, timeout=30) as agent:
        assert (await http_sign_in(agent, "agent.cs")).status_code == 303
        assert (await agent.get(ui)).status_code == 403
    async with httpx.AsyncClient(base_url=base, timeout=30) as supervisor:
        assert (await http_sign_in(supervisor, "supervisor")).status_code == 303
        settings = (await supervisor.get("/temporal/api/v1/settings")).json()
        assert settings["Codec"]["Endpoint"] == f"{base}/codec"
        assert settings["DisableWriteActions"] is True
        terminate = f"/temporal/api/v1/namespaces/default/workflows/{case_id}/terminate"
        r = await supervisor.post(terminate, json={"reason": "trying"})
        assert r.status_code == 405 and "read-only" in r.json()["detail"]
        case = await supervisor.get(f"/cases/{case_id}")
        assert case.status_code == 200 and f'href="{ui}"' in case.text


def _payload_texts(answer: dict) -> str:
    """What the codec gave the UI, as text: each payload's data is base64 of its JSON (with
    non-ASCII escaped, so it is parsed and written again)."""
    return "\n".join(
        json.dumps(json.loads(base64.b64decode(p["data"])), ensure_ascii=False)
        for p in answer["payloads"]
        if p.get("data")
    )


async def _decoded_in_the_ui(base: str, case_id: str, note: str) -> None:
    async with browser() as chromium:
        page = await chromium.new_page(viewport={"width": 1400, "height": 1000})
        await browser_sign_in(page, base, "supervisor")
        decoded: list[str] = []  # what caseflow's codec answered the UI, as text

        async def keep(response) -> None:
            if response.url.startswith(f"{base}/codec/decode") and response.ok:
                decoded.append(_payload_texts(await response.json()))

        page.on("response", keep)
        await page.goto(f"{base}/cases/{case_id}")
        await page.click("[data-testid=temporal-ui]")
        # The UI moves on to the case's latest run (its timeline); then its event history.
        await page.wait_for_url(f"**/workflows/{case_id}/*/timeline", timeout=60_000)
        assert page.url.startswith(f"{base}/temporal/")  # caseflow's origin: one session
        await page.goto(page.url.removesuffix("/timeline") + "/history")
        # The latest update first (descending): the note. Its arguments, decoded by caseflow's
        # codec with the supervisor's session, open under its row.
        accepted = page.get_by_text("Workflow Execution Update Accepted").first
        await accepted.wait_for(timeout=60_000)
        await accepted.click()
        # The row opens on the decoded arguments: the actor in clear (the editor renders only
        # the lines in view, so the note's own line is checked in what the codec answered).
        await page.get_by_text('"user_id": "agent.cs"').first.wait_for(timeout=30_000)
        assert any(note in text for text in decoded)
        body = await page.inner_text("body")
        assert CODEC_ERROR not in body
        assert "binary/encrypted" not in body  # nothing left undecoded on the page


async def test_the_temporal_ui_decodes_for_a_signed_in_supervisor(tmp_path):
    api_port, temporal_port, ui_port = free_port(), free_port(), free_port()
    base = f"http://127.0.0.1:{api_port}"
    dev = Dev(tmp_path / "data", api_port, temporal_port, ui_port=ui_port)
    try:
        banner = dev.read_until("press Ctrl-C to stop", START_TIMEOUT)
        assert f"{base}/temporal/" in banner
        created = httpx.post(
            f"{base}/api/v1/cases",
            headers={"Authorization": "Bearer demo-channel-hotline"},
            json=complaint_body(),
            timeout=60,
        )
        assert created.status_code == 201, created.text
        case_id = created.json()["case_id"]
        _act(base, case_id, "accept", "demo-agent-cs")
        note = f"客户来电核对账单 {uuid.uuid4().hex[:6]}"
        _act(base, case_id, "note", "demo-agent-cs", {"text": note})

        await _checks_over_http(base, case_id)
        await _decoded_in_the_ui(base, case_id, note)
        # The refused terminate changed nothing: the case is still open and acts.
        _act(base, case_id, "note", "demo-agent-cs", {"text": "still here"})
        stop(dev)
    finally:
        dev.kill()
