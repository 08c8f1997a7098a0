"""A case's history for supervisors, over HTTP against the real stack (payload keys set, so
every payload in Temporal is encrypted): decoded and in words across all runs, refused to
everyone else, every read in the access log, kept in PostgreSQL once a run closes and read from
there when Temporal no longer has the run; the page with its filters, timeline jumps and
exports; and /codec decoding for a supervisor's session from caseflow's own origin only."""

from __future__ import annotations

import base64
import csv
import io
import uuid

import httpx
import pytest
from openpyxl import load_workbook
from sqlalchemy import text
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.workflowservice.v1 import DeleteWorkflowExecutionRequest
from temporalio.service import RPCError, RPCStatusCode

from tests.integration.conftest import (
    STRICT_LIMITS,
    act,
    auth,
    complaint_body,
    new_user,
    serve_api,
    until,
)
from tests.integration.pages_kit import signed_in_client

pytestmark = pytest.mark.integration
READABLE = "/api/v1/cases/{}/history/readable"


def customer() -> tuple[str, str]:
    return f"历史{uuid.uuid4().hex[:6]}", f"136{uuid.uuid4().int % 10**8:08d}"


async def file_case(http, name: str, phone: str, base: str | None = None) -> str:
    body = complaint_body(customer={"name": name, "phone": phone})
    r = await http.post(f"{base or ''}/api/v1/cases", json=body, headers=auth("channel"))
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def access_log(engine, case_id: str, what: str) -> list[str]:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT user_id FROM personal_data_access WHERE case_id = :c AND what = :w "
                "ORDER BY id"
            ),
            {"c": case_id, "w": what},
        )
        return [r.user_id for r in rows]


async def stored_runs(engine, case_id: str) -> list:
    async with engine.connect() as conn:
        rows = await conn.execute(
            text(
                "SELECT run, run_id, status FROM case_history_runs WHERE case_id = :c ORDER BY run"
            ),
            {"c": case_id},
        )
        return rows.all()


async def archive(http, case_id: str) -> None:
    await act(http, case_id, "resolve", "cs", {"result": "refunded 30 yuan", "process": "billing"})
    await act(http, case_id, "feedback", "cs", {"message": "We refunded the double charge"})
    await act(http, case_id, "callback", "cs", {"satisfaction": "satisfied"})


async def test_a_supervisor_reads_the_decoded_history_in_words(http, stack):
    name, phone = customer()
    case_id = await file_case(http, name, phone)
    await act(http, case_id, "accept", "cs")
    note = f"客户来电：已核对 {name} 的账单"
    await act(http, case_id, "note", "cs", {"text": note})

    # The raw form stays as Temporal keeps it: encrypted.
    raw = await http.get(f"/api/v1/cases/{case_id}/history", headers=auth("supervisor"))
    assert raw.status_code == 200 and note not in raw.text and name not in raw.text

    r = await http.get(READABLE.format(case_id), params={"lang": "en"}, headers=auth("supervisor"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert page["timezone"] == "Asia/Shanghai"
    assert [(run["run"], run["source"], run["status"]) for run in page["runs"]] == [
        (1, "temporal", "running")
    ]
    events = page["events"]
    filed = events[0]
    assert filed["kind"] == "filed" and filed["actor"] == "channel.hotline"
    assert filed["args"]["customer"] == {
        "name": name,
        "phone": phone,
        "customer_id": None,
        "tier": "standard",
        "email": None,
        "app_id": None,
        "openid": None,
    }
    assert filed["text"] == "channel.hotline filed the case: complaint"
    # The note: who wrote it, what they wrote, and the case after it.
    noted = next(e for e in events if e["kind"] == "update" and e["name"] == "note")
    assert noted["actor"] == "agent.cs" and noted["args"]["text"] == note
    assert noted["status"] == "completed" and noted["result"]["phase"] == "in_progress"
    assert noted["text"] == "agent.cs: Note (update note) → in progress"
    # Timers say what they guard, from the summary given where they were started.
    timers = [e for e in events if e["kind"] == "timer"]
    assert timers and all(t["window"] and t["purpose"] for t in timers)
    assert any(
        t["text"].startswith("warning timer for the handling window, fires ")
        and "(3 working days)" in t["text"]
        for t in timers
    )
    # Each record names the timeline rows it wrote; the timeline agrees.
    recorded = [r["seq"] for e in events for r in e["recorded"]]
    timeline = await http.get(f"/api/v1/cases/{case_id}/timeline", headers=auth("supervisor"))
    assert recorded == [e["seq"] for e in timeline.json()]

    zh = await http.get(READABLE.format(case_id), headers=auth("supervisor"))
    noted_zh = next(e for e in zh.json()["events"] if e["name"] == "note")
    assert noted_zh["text"] == "agent.cs：备注（更新 note） → 处理中"

    # Every decoded read is in the personal-data access log.
    assert await access_log(
        stack["engine"], case_id, "GET /api/v1/cases/{id}/history/readable"
    ) == ["supervisor", "supervisor"]


async def test_only_supervisors_and_admins_read_it(http, stack):
    name, phone = customer()
    case_id = await file_case(http, name, phone)
    await act(http, case_id, "accept", "cs")
    path = READABLE.format(case_id)
    r = await http.get(path, headers=auth("cs"))  # the case's own department's agent
    assert r.status_code == 403 and "role 'agent' may not" in r.json()["detail"]
    r = await http.get(path, headers=auth("app"))  # a channel that did not file it
    assert r.status_code == 404 and r.json()["detail"] == f"case {case_id} not found"
    r = await http.get(path, headers=auth("channel"))  # the channel that filed it
    assert r.status_code == 403
    r = await http.get(f"/api/v1/cases/{case_id}/history", headers=auth("app"))
    assert r.status_code == 404
    assert (await http.get(path, headers=auth("admin"))).status_code == 200
    missing = await http.get(READABLE.format("CMP-20990101-999999"), headers=auth("supervisor"))
    assert missing.status_code == 404
    # Refused reads saw nothing and are not in the log; the admin's is.
    assert await access_log(
        stack["engine"], case_id, "GET /api/v1/cases/{id}/history/readable"
    ) == ["admin"]
    async with signed_in_client(stack["base"], "agent.cs") as pages:
        assert (await pages.get(f"/cases/{case_id}/history")).status_code == 403
        assert (await pages.get(f"/cases/{case_id}/history.csv")).status_code == 403


async def test_history_reads_are_limited_per_caller_pages_and_exports_included(
    http, stack, strict_api
):
    """Each read fetches and decodes every run from Temporal: a caller in a loop gets 429
    (the JSON, the page and the exports count together), others read on."""
    limit = STRICT_LIMITS["rate_limit_history_reads"]
    case_id = await file_case(http, *customer())
    path = READABLE.format(case_id)
    _, token = await new_user(stack["engine"], "supervisor")
    _, other = await new_user(stack["engine"], "supervisor")
    async with httpx.AsyncClient(base_url=strict_api["base"], timeout=60) as strict:
        answers = [
            await strict.get(path, headers={"Authorization": f"Bearer {token}"})
            for _ in range(3 * limit)
        ]
        codes = [r.status_code for r in answers]
        # A fixed window lets at most twice the limit through across its boundary.
        assert set(codes) == {200, 429} and codes.count(429) >= limit, codes
        refused = answers[codes.index(429)]
        assert int(refused.headers["retry-after"]) >= 1
        assert f"more than {limit} history reads in" in refused.json()["detail"]
        r = await strict.get(path, headers={"Authorization": f"Bearer {other}"})
        assert r.status_code == 200 and r.json()["case_id"] == case_id
    async with signed_in_client(strict_api["base"], "supervisor") as pages:
        codes = [
            (await pages.get(f"/cases/{case_id}/{what}")).status_code
            for what in ("history", "history.csv", "history.xlsx") * limit
        ]
        assert set(codes) <= {200, 429} and codes.count(429) >= limit, codes


async def test_filters_pick_by_actor_window_kind_and_time(http, stack):
    name, phone = customer()
    case_id = await file_case(http, name, phone)
    await act(http, case_id, "accept", "cs")
    await act(http, case_id, "note", "cs", {"text": "one"})
    path = READABLE.format(case_id)

    async def get(**params) -> dict:
        r = await http.get(path, params=params, headers=auth("supervisor"))
        assert r.status_code == 200, r.text
        return r.json()

    everything = await get()
    assert {"agent.cs", "channel.hotline", "system"} <= set(everything["actors"])
    by_agent = await get(actor="agent.cs")
    assert by_agent["total"] < everything["total"]
    assert all(
        e["actor"] == "agent.cs" or any(r["actor_id"] == "agent.cs" for r in e["recorded"])
        for e in by_agent["events"]
    )
    assert {e["name"] for e in by_agent["events"] if e["kind"] == "update"} == {"accept", "note"}
    timers = await get(kind=["timer", "timer_fired"])
    assert timers["events"] and {e["kind"] for e in timers["events"]} <= {"timer", "timer_fired"}
    handling = await get(window="handling")
    assert handling["events"] and all(
        e["window"] == "handling" or any(r["window"] == "handling" for r in e["recorded"])
        for e in handling["events"]
    )
    last = everything["events"][-1]["at"]
    assert (await get(since=last))["total"] >= 1
    assert (await get(until="2000-01-01T00:00:00+08:00"))["total"] == 0
    one = await get(limit=1, offset=1)
    assert one["total"] == everything["total"] and one["events"] == everything["events"][1:2]
    bad = await http.get(path, params={"since": "2026-12-01T10:00"}, headers=auth("supervisor"))
    assert bad.status_code == 422  # an instant without its zone is ambiguous
    bad = await http.get(path, params={"until": "0.5"}, headers=auth("supervisor"))
    assert bad.status_code == 422 and "ISO 8601" in bad.text  # not seconds since 1970
    bad = await http.get(path, params={"kind": "nonsense"}, headers=auth("supervisor"))
    assert bad.status_code == 422


async def test_a_closed_run_is_stored_and_read_from_there_once_temporal_forgets_it(http, stack):
    name, phone = customer()
    case_id = await file_case(http, name, phone)
    await act(http, case_id, "accept", "cs")
    note = f"called {name} back"
    await act(http, case_id, "note", "cs", {"text": note})
    await archive(http, case_id)
    # The worker's archiver stores the run once it closed (the barrier: its row).
    stored = await until(lambda: stored_runs(stack["engine"], case_id), timeout=30)
    assert [(r.run, r.status) for r in stored] == [(1, "completed")]
    async with stack["engine"].connect() as conn:
        events = (
            await conn.execute(
                text("SELECT events FROM case_history_runs WHERE case_id = :c"), {"c": case_id}
            )
        ).scalar_one()
    assert any((e.get("args") or {}).get("text") == note for e in events)  # decoded

    # Temporal forgets the run (as after its namespace retention; deleting takes the dev
    # server half a minute, so the page and the exports are read meanwhile: they read the
    # stored copy of a closed run whether or not Temporal still has it).
    temporal = stack["client"]
    await temporal.workflow_service.delete_workflow_execution(
        DeleteWorkflowExecutionRequest(
            namespace=temporal.namespace,
            workflow_execution=WorkflowExecution(workflow_id=case_id, run_id=stored[0].run_id),
        )
    )
    async with signed_in_client(stack["base"], "supervisor") as pages:
        html = (await pages.get(f"/cases/{case_id}/history?lang=en")).text
        assert note in html and "caseflow's stored copy" in html
        zh_csv = await pages.get(f"/cases/{case_id}/history.csv?lang=zh-CN")
        assert zh_csv.status_code == 200 and zh_csv.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(zh_csv.content.decode("utf-8-sig"))))
        assert rows[0][:4] == ["运行", "事件编号", "时间", "类别"]
        assert any(note in cell for row in rows for cell in row)
        en_xlsx = await pages.get(f"/cases/{case_id}/history.xlsx?lang=en")
        assert en_xlsx.status_code == 200
        book = load_workbook(io.BytesIO(en_xlsx.content))
        sheet = book["history"]
        assert [c.value for c in sheet[1]][:4] == ["run", "event id", "time", "kind"]
        assert any(note in str(c.value) for row in sheet.iter_rows() for c in row)
        about = [
            [c for c in row if c is not None] for row in book["about"].iter_rows(values_only=True)
        ]
        assert ["case", case_id] in about
        assert any(row[:2] == [1, stored[0].run_id] and "stored copy" in row[-1] for row in about)
    for what in ("history page", "history export (CSV)", "history export (XLSX)"):
        assert await access_log(stack["engine"], case_id, what) == ["supervisor"], what

    async def forgotten() -> bool:
        try:
            await temporal.get_workflow_handle(case_id).describe()
        except RPCError as err:
            listed = [w async for w in temporal.list_workflows(f"WorkflowId = '{case_id}'")]
            return err.status == RPCStatusCode.NOT_FOUND and not listed
        return False

    await until(forgotten, timeout=120, every=1)
    r = await http.get(READABLE.format(case_id), params={"lang": "en"}, headers=auth("supervisor"))
    assert r.status_code == 200, r.text
    page = r.json()
    assert [(run["run"], run["source"]) for run in page["runs"]] == [(1, "stored")]
    noted = next(e for e in page["events"] if e["name"] == "note")
    assert noted["args"]["text"] == note and noted["actor"] == "agent.cs"
    assert page["events"][-1]["text"] == "run completed: the case is archived"
    # The raw form is Temporal's only: nothing left of this case there.
    raw = await http.get(f"/api/v1/cases/{case_id}/history", headers=auth("supervisor"))
    assert raw.json()["run_ids"] == []


async def test_a_case_that_continues_as_new_reads_as_one_history_across_runs(http, stack):
    # An API replica whose cases continue as new after 5 actions (the limit travels in the
    # case's input), in front of the same worker and archiver.
    settings = stack["settings"].model_copy(update={"history_max_updates": 5})
    async with serve_api(settings) as base:
        name, phone = customer()
        case_id = await file_case(http, name, phone, base=base)
        await act(http, case_id, "accept", "cs")
        notes = [f"note {i} for {name}" for i in range(6)]
        for note in notes:
            await act(http, case_id, "note", "cs", {"text": note})
        first = await until(lambda: stored_runs(stack["engine"], case_id), timeout=30)
        assert [(r.run, r.status) for r in first] == [(1, "continued_as_new")]
        r = await http.get(
            READABLE.format(case_id), params={"lang": "en"}, headers=auth("supervisor")
        )
    assert r.status_code == 200, r.text
    page = r.json()
    assert [(run["run"], run["source"]) for run in page["runs"]] == [
        (1, "stored"),
        (2, "temporal"),
    ]
    texts = [e["text"] for e in page["events"]]
    assert "continued as new (run 2)" in texts
    assert "run 2 started, carrying the case on from run 1" in texts
    written = [e["args"]["text"] for e in page["events"] if e["name"] == "note"]
    assert written == notes  # every note, from both runs, in order
    assert [e["run"] for e in page["events"] if e["name"] == "note"][-1] == 2


async def test_the_page_jumps_to_the_timeline_and_back(http, stack):
    name, phone = customer()
    case_id = await file_case(http, name, phone)
    await act(http, case_id, "accept", "cs")
    await act(http, case_id, "note", "cs", {"text": "jump"})
    async with signed_in_client(stack["base"], "supervisor") as pages:
        case_page = (await pages.get(f"/cases/{case_id}")).text
        history = await pages.get(f"/cases/{case_id}/history")
        filtered = await pages.get(f"/cases/{case_id}/history?kind=update&actor=agent.cs")
    assert history.status_code == 200
    # Timeline row 3 (the note) links to the history where it was recorded, and back.
    assert '<tr id="ev-3"' in case_page
    assert f'href="/cases/{case_id}/history#seq-3"' in case_page
    assert 'id="seq-3"' in history.text
    assert f'href="/cases/{case_id}#ev-3"' in history.text
    assert history.text.count('data-kind="') > filtered.text.count('data-kind="') >= 2
    assert 'data-kind="timer"' not in filtered.text
    assert f"/cases/{case_id}/history.csv?kind=update&amp;actor=agent.cs" in filtered.text


async def test_the_codec_takes_a_supervisor_session_from_caseflows_own_origin_only(http, stack):
    name, phone = customer()
    case_id = await file_case(http, name, phone)
    raw = await http.get(f"/api/v1/cases/{case_id}/history", headers=auth("supervisor"))
    started = raw.json()["runs"][0]["history"]["events"][0]
    payload = started["workflowExecutionStartedEventAttributes"]["input"]["payloads"][0]
    body = {"payloads": [payload]}
    base = stack["base"]
    async with signed_in_client(base, "supervisor") as pages:
        r = await pages.post("/codec/decode", json=body, headers={"Origin": base})
        assert r.status_code == 200, r.text
        assert phone in base64.b64decode(r.json()["payloads"][0]["data"]).decode()
        r = await pages.post("/codec/decode", json=body, headers={"Origin": "https://evil.test"})
        assert r.status_code == 403
        r = await pages.post("/codec/decode", json=body)  # no Origin: not from a page
        assert r.status_code == 403
    async with signed_in_client(base, "agent.cs") as pages:
        r = await pages.post("/codec/decode", json=body, headers={"Origin": base})
        assert r.status_code == 403
    async with httpx.AsyncClient(base_url=base) as anonymous:
        r = await anonymous.post("/codec/decode", json=body, headers={"Origin": base})
        assert r.status_code == 401
        anonymous.cookies.set("caseflow_session", "not-a-session")
        r = await anonymous.post("/codec/decode", json=body, headers={"Origin": base})
        assert r.status_code == 401
