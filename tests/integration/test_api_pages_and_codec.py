"""Bounded responses and plain errors: the timeline and Temporal's history come a page at a
time; the codec endpoint answers a tampered or malformed payload with a 4xx in plain words."""

from __future__ import annotations

import base64

import pytest

from tests.integration.conftest import act, auth, complaint_body

pytestmark = pytest.mark.integration


async def _busy_case(http, notes: int) -> str:
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    cid = r.json()["case_id"]
    await act(http, cid, "accept", "cs")
    for i in range(notes):
        await act(http, cid, "note", "cs", {"text": f"note {i}"})
    return cid


async def _close(http, cid: str) -> None:
    await act(http, cid, "resolve", "cs", {"result": "done", "process": "checked"})
    await act(http, cid, "feedback", "cs", {"message": "done"})
    await act(http, cid, "callback", "cs", {"satisfaction": "satisfied"})


async def test_the_timeline_comes_a_page_at_a_time(http):
    cid = await _busy_case(http, 12)  # intake, accepted, 12 notes: 14 events
    first = await http.get(f"/api/v1/cases/{cid}/timeline?limit=5", headers=auth("cs"))
    assert first.status_code == 200 and [e["seq"] for e in first.json()] == [1, 2, 3, 4, 5]
    assert first.headers["link"] == f'</api/v1/cases/{cid}/timeline?after=5&limit=5>; rel="next"'
    seqs, url = [], f"/api/v1/cases/{cid}/timeline?limit=5"
    while url:
        page = await http.get(url, headers=auth("cs"))
        seqs += [e["seq"] for e in page.json()]
        link = page.headers.get("link")
        url = link[1 : link.index(">")] if link else None
    assert seqs == list(range(1, 15))
    everything = await http.get(f"/api/v1/cases/{cid}/timeline", headers=auth("cs"))
    assert len(everything.json()) == 14 and "link" not in everything.headers  # default 100
    r = await http.get(f"/api/v1/cases/{cid}/timeline?limit=100000", headers=auth("cs"))
    assert r.status_code == 422 and "limit" in r.json()["detail"]
    await _close(http, cid)


async def test_the_history_comes_a_page_at_a_time(http):
    cid = await _busy_case(http, 3)
    await _close(http, cid)
    pages, cursor = [], None
    while True:
        params = {"limit": 4, **({"cursor": cursor} if cursor else {})}
        r = await http.get(
            f"/api/v1/cases/{cid}/history", params=params, headers=auth("supervisor")
        )
        assert r.status_code == 200, r.text
        body = r.json()
        assert len(body["runs"]) == 1 and len(body["runs"][0]["history"]["events"]) <= 4
        pages.append(body)
        cursor = body["next_cursor"]
        if cursor is None:
            break
    events = [e for p in pages for e in p["runs"][0]["history"]["events"]]
    assert [int(e["eventId"]) for e in events] == list(range(1, len(events) + 1))
    assert events[-1]["eventType"] == "EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED"
    assert len(pages) > 2
    r = await http.get(
        f"/api/v1/cases/{cid}/history", params={"cursor": "bm9wZQ"}, headers=auth("supervisor")
    )
    assert r.status_code == 422 and r.json()["detail"] == "invalid history cursor"
    r = await http.get(f"/api/v1/cases/{cid}/history?limit=100000", headers=auth("supervisor"))
    assert r.status_code == 422


async def test_the_codec_answers_bad_payloads_in_plain_words(http):
    r = await http.post("/api/v1/cases", json=complaint_body(), headers=auth("channel"))
    cid = r.json()["case_id"]
    history = await http.get(f"/api/v1/cases/{cid}/history", headers=auth("supervisor"))
    payload = history.json()["runs"][0]["history"]["events"][0][
        "workflowExecutionStartedEventAttributes"
    ]["input"]["payloads"][0]
    data = bytearray(base64.b64decode(payload["data"]))
    data[-1] ^= 0x01  # one bit of the tag flipped
    tampered = {**payload, "data": base64.b64encode(bytes(data)).decode()}
    r = await http.post("/codec/decode", json={"payloads": [tampered]}, headers=auth("supervisor"))
    assert r.status_code == 422, r.text
    assert r.json() == {
        "detail": "a payload does not decrypt: its ciphertext is tampered, truncated or not ours"
    }
    short = {**payload, "data": base64.b64encode(b"abc").decode()}
    r = await http.post("/codec/decode", json={"payloads": [short]}, headers=auth("supervisor"))
    assert r.status_code == 422 and "does not decrypt" in r.text
    other_key = {
        **payload,
        "metadata": {**payload["metadata"], "encryption-key-id": base64.b64encode(b"k9").decode()},
    }
    r = await http.post("/codec/decode", json={"payloads": [other_key]}, headers=auth("supervisor"))
    assert r.status_code == 422
    assert r.json()["detail"] == "a payload is encrypted with a key this service does not have"
    for body in ({"payloads": "nope"}, {"payloads": [{"data": "!!"}]}, [1, 2]):
        r = await http.post("/codec/decode", json=body, headers=auth("supervisor"))
        assert r.status_code == 422 and "Traceback" not in r.text, body
    r = await http.post(
        "/codec/decode",
        content=b"{not json",
        headers={**auth("supervisor"), "Content-Type": "application/json"},
    )
    assert r.status_code == 422 and "Expecting" not in r.json()["detail"]
    await act(http, cid, "accept", "cs")
    await _close(http, cid)
