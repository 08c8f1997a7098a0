"""No case can be killed by traffic: a flood of actions from one caller is answered 429 with
Retry-After and leaves the case alive with its timers; a case takes a capped number of notes;
Temporal's 10 updates in flight per workflow answer 429, not 5xx; actions racing a case into
its archive get 409; bearer-token guessing is cut off per address and per token prefix."""

from __future__ import annotations

import asyncio
import time
import uuid

import httpx
import pytest

from tests.integration.conftest import (
    STRICT_LIMITS,
    act,
    auth,
    complaint_body,
    new_user,
    serve_api,
)

pytestmark = pytest.mark.integration


async def _file(http) -> str:
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def _close(http, cid: str) -> dict:
    await act(http, cid, "resolve", "cs", {"result": "done", "process": "checked"})
    await act(http, cid, "feedback", "cs", {"message": "done"})
    return await act(http, cid, "callback", "cs", {"satisfaction": "satisfied"})


async def test_a_flood_from_one_caller_gets_429_and_the_case_lives_on(http, strict_api):
    cid = await _file(http)
    await act(http, cid, "accept", "cs")
    _, token = await new_user(strict_api["engine"], "agent", "customer_service")
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(base_url=strict_api["base"], timeout=60) as strict:
        answers = await asyncio.gather(
            *(
                strict.post(
                    f"/api/v1/cases/{cid}/actions/reclassify",
                    json={"reason": f"flood {i}", "tier": "vip" if i % 2 else "standard"},
                    headers=headers,
                )
                for i in range(60)
            )
        )
    codes = [r.status_code for r in answers]
    assert all(c in (200, 409, 422, 429) for c in codes), codes
    limited = [r for r in answers if r.status_code == 429]
    assert len(limited) >= 60 - STRICT_LIMITS["rate_limit_actions"], codes
    assert all(int(r.headers["retry-after"]) >= 1 for r in limited)
    assert "actions in 60 s from this caller" in limited[0].json()["detail"]
    # Other callers are not held back by the flooder, and the case is alive with its clock.
    case = (await http.get(f"/api/v1/cases/{cid}", headers=auth("cs"))).json()
    assert case["phase"] == "in_progress" and case["windows"]["handling"]["state"] == "running"
    described = await strict_api["encrypted_client"].get_workflow_handle(cid).describe()
    assert described.status.name == "RUNNING"
    assert (await _close(http, cid))["phase"] == "archived"


async def test_a_case_takes_a_capped_number_of_notes(strict_api, http):
    cid = await _file(http)
    await act(http, cid, "accept", "cs")
    _, token = await new_user(strict_api["engine"], "agent", "customer_service")
    cap = STRICT_LIMITS["max_notes_per_case"]
    async with httpx.AsyncClient(base_url=strict_api["base"], timeout=60) as strict:
        for i in range(cap):
            await act(strict, cid, "note", token, {"text": f"note {i}"})
        r = await strict.post(
            f"/api/v1/cases/{cid}/actions/note",
            json={"text": "one more"},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert r.status_code == 409
    assert r.json()["detail"].startswith(f"case {cid} already holds {cap} notes")
    assert (await _close(http, cid))["phase"] == "archived"


async def test_updates_beyond_temporals_ten_in_flight_answer_429(http, stack):
    cid = await _file(http)
    await act(http, cid, "accept", "cs")
    answers = await asyncio.gather(
        *(
            http.post(
                f"/api/v1/cases/{cid}/actions/note",
                json={"text": f"burst {i}"},
                headers=auth("cs"),
            )
            for i in range(150)
        )
    )
    codes = sorted({r.status_code for r in answers})
    assert set(codes) <= {200, 429}, [r.text for r in answers if r.status_code not in (200, 429)]
    busy = [r for r in answers if r.status_code == 429]
    assert busy, "150 concurrent updates should pass Temporal's 10 in flight"
    assert busy[0].headers["retry-after"] == "1" and "is busy" in busy[0].json()["detail"]
    described = await stack["encrypted_client"].get_workflow_handle(cid).describe()
    assert described.status.name == "RUNNING"
    assert (await _close(http, cid))["phase"] == "archived"


async def test_concurrent_callbacks_one_archives_the_others_get_409(http):
    cid = await _file(http)
    await act(http, cid, "accept", "cs")
    await act(http, cid, "resolve", "cs", {"result": "done", "process": "checked"})
    await act(http, cid, "feedback", "cs", {"message": "done"})
    answers = await asyncio.gather(
        *(
            http.post(
                f"/api/v1/cases/{cid}/actions/callback",
                json={"satisfaction": "satisfied"},
                headers=auth("cs"),
            )
            for _ in range(20)
        )
    )
    codes = [r.status_code for r in answers]
    assert codes.count(200) == 1 and codes.count(409) == 19, [r.text for r in answers]


async def _guesses(base: str, address: str, tokens: list[str]) -> list[httpx.Response]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(base_url=base, transport=transport, timeout=60) as client:
        return [
            await client.get("/api/v1/me", headers={"Authorization": f"Bearer {t}"}) for t in tokens
        ]


async def _fresh_window() -> None:
    """Wait for the start of a counting window (cut on the epoch, on this machine's clock as
    on the database's), so a test's burst falls within one window."""
    window = STRICT_LIMITS["rate_limit_auth_window"]
    await asyncio.sleep(window - time.time() % window + 0.05)


async def test_token_guessing_is_cut_off_per_address_and_per_prefix(strict_api):
    limit = STRICT_LIMITS["rate_limit_auth_failures"]
    _, token = await new_user(strict_api["engine"], "supervisor")
    # One address guessing 300 tokens: 401 up to the limit, then 429 with Retry-After.
    await _fresh_window()
    answers = await _guesses(
        strict_api["base"], "127.0.0.21", [f"g{uuid.uuid4().hex}" for _ in range(300)]
    )
    codes = [r.status_code for r in answers]
    assert codes[:limit] == [401] * limit and 429 in codes, codes
    first = answers[codes.index(429)]
    assert int(first.headers["retry-after"]) >= 1
    assert "too many failed sign-ins" in first.json()["detail"]
    # While blocked, even a right token from that address is refused: no guess is tested.
    await _fresh_window()
    await _guesses(strict_api["base"], "127.0.0.21", [f"g{uuid.uuid4().hex}"] * limit)
    blocked = (await _guesses(strict_api["base"], "127.0.0.21", [token]))[0]
    assert blocked.status_code == 429, blocked.text
    # Once the window has passed, the right token works again.
    await asyncio.sleep(int(blocked.headers["retry-after"]) + 0.2)
    assert (await _guesses(strict_api["base"], "127.0.0.21", [token]))[0].status_code == 200

    # Many addresses guessing tokens that share a prefix: that prefix is cut off too.
    prefix = f"p{uuid.uuid4().hex[:7]}"
    await _fresh_window()
    codes = []
    for n in range(limit + 3):
        answer = await _guesses(
            strict_api["base"], f"127.0.1.{n + 1}", [f"{prefix}{uuid.uuid4().hex}"]
        )
        codes.append(answer[0].status_code)
    assert codes[:limit] == [401] * limit and codes[-1] == 429, codes
    # The guessed prefix blocks no one else.
    _, other = await new_user(strict_api["engine"], "supervisor")
    assert (await _guesses(strict_api["base"], "127.0.0.22", [other]))[0].status_code == 200


async def test_actions_across_continue_as_new_all_apply_once(http, stack):
    """A case whose runs end after 5 actions (the limit travels in its input): every action
    sent one after another applies exactly once, the first of each new run too (it once ran
    before the run's signed start was checked and changed the carried state under the check,
    failing the run), and the case ends in run 3 with every note in order."""
    settings = stack["settings"].model_copy(update={"history_max_updates": 5})
    async with serve_api(settings) as base:
        r = await http.post(f"{base}/api/v1/cases", json=complaint_body(), headers=auth("channel"))
        assert r.status_code == 201, r.text
        cid = r.json()["case_id"]
        await act(http, cid, "accept", "cs")
        notes = [f"note {i}" for i in range(11)]
        for note in notes:
            await act(http, cid, "note", "cs", {"text": note})
    r = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("supervisor"))
    events = r.json()
    written = [e["summary"] for e in events if e["kind"] == "note"]
    assert written == notes, [e for e in events if e["kind"] == "note"][:1]
    state = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert state["run"] == 3 and state["phase"] == "in_progress"
