"""Over HTTP against the real stack: evidence files on cases, repeat complaints, staff's phone
search, personal-data requests (export, erasure) and the reports API."""

from __future__ import annotations

import io
import json
import uuid
import zipfile

import pytest
from openpyxl import load_workbook
from sqlalchemy import text

from tests.conftest import fetch_events
from tests.db.rows import PNG_MAGIC, tables_holding
from tests.integration.conftest import act, auth, complaint_body, until

pytestmark = pytest.mark.integration


def customer() -> tuple[str, str]:
    """A name and phone no other test uses."""
    return f"证据{uuid.uuid4().hex[:6]}", f"139{uuid.uuid4().int % 10**8:08d}"


async def file_complaint(http, name: str, phone: str, who="channel", **overrides) -> str:
    body = complaint_body(customer={"name": name, "phone": phone}, **overrides)
    r = await http.post("/api/v1/cases", json=body, headers=auth(who))
    assert r.status_code == 201, r.text
    return r.json()["case_id"]


async def upload(http, case_id: str, who: str, content: bytes, name="evidence.png", expect=201):
    r = await http.post(
        f"/api/v1/cases/{case_id}/attachments",
        files={"file": (name, content, "image/png")},
        headers=auth(who),
    )
    assert r.status_code == expect, r.text
    return r.json()


async def test_evidence_is_checked_by_content_scoped_and_referenced_by_id(http, stack):
    name, phone = customer()
    case_id = await file_complaint(http, name, phone)
    photo = PNG_MAGIC + b"screenshot bytes" * 100
    mine = await upload(http, case_id, "channel", photo, "账单截图.png")
    assert mine["content_type"] == "image/png" and mine["size"] == len(photo)
    assert mine["filename"] == "账单截图.png" and mine["uploaded_by"] == "channel.hotline"
    # Named .png, but an executable by its bytes: refused.
    r = await upload(http, case_id, "channel", b"MZ\x90\x00" + b"\x00" * 200, "x.png", 415)
    assert "not accepted" in r["detail"]
    # Another intake channel did not file this case: to it, the case does not exist.
    await upload(http, case_id, "app", photo, expect=404)
    # Over the cap (10 MiB by default): refused before it is stored.
    await upload(http, case_id, "channel", PNG_MAGIC + b"\x00" * (10 * 1024 * 1024), expect=413)

    await act(http, case_id, "accept", "cs")
    staff = await upload(http, case_id, "cs", b"%PDF-1.7\n" + b"x" * 100, "report.pdf")
    assert staff["content_type"] == "application/pdf"

    # Staff see both; the channel sees only what it gave, and cannot fetch the other.
    listed = await http.get(f"/api/v1/cases/{case_id}/attachments", headers=auth("cs"))
    assert [a["id"] for a in listed.json()] == [mine["id"], staff["id"]]
    listed = await http.get(f"/api/v1/cases/{case_id}/attachments", headers=auth("channel"))
    assert [a["id"] for a in listed.json()] == [mine["id"]]
    other = f"/api/v1/cases/{case_id}/attachments/{staff['id']}"
    assert (await http.get(other, headers=auth("channel"))).status_code == 404
    got = await http.get(f"/api/v1/cases/{case_id}/attachments/{mine['id']}", headers=auth("cs"))
    assert got.status_code == 200 and got.content == photo
    assert got.headers["content-type"] == "image/png"
    # Agents of another department read neither the case nor its files.
    assert (await http.get(other, headers=auth("product"))).status_code == 403

    # Actions name files by id: the audit trail keeps the ids.
    await act(http, case_id, "note", "cs", {"text": "photo received", "attachments": [mine["id"]]})
    await act(
        http,
        case_id,
        "resolve",
        "cs",
        {"result": "refunded", "process": "billing", "attachments": [staff["id"]]},
    )
    events = {e["kind"]: e for e in await fetch_events(stack["engine"], case_id)}
    assert events["note"]["data"]["attachments"] == mine["id"]
    assert events["resolved"]["data"]["attachments"] == staff["id"]
    # Unknown ids, and another case's files, are refused before the workflow sees them.
    other_case = await file_complaint(http, name, phone)
    foreign = await upload(http, other_case, "channel", photo)
    for bad in (["ATT-nope"], [foreign["id"]]):
        r = await act(http, case_id, "feedback", "cs", {"message": "done", "attachments": bad}, 422)
        assert bad[0] in r["detail"]
    async with stack["engine"].connect() as conn:
        audit = (
            (
                await conn.execute(
                    text("SELECT what FROM personal_data_access WHERE case_id = :c"), {"c": case_id}
                )
            )
            .scalars()
            .all()
        )
    assert "attachment download" in audit


async def test_a_repeat_complaint_is_linked_flagged_and_searchable_by_phone(http, stack):
    name, phone = customer()
    first = await file_complaint(http, name, phone)
    repeat = await http.post(
        "/api/v1/cases",
        json=complaint_body(customer={"name": name, "phone": phone}),
        headers=auth("channel"),
    )
    # The link is for staff: the channel is not told (the earlier case may be another's).
    assert repeat.json()["repeat_of"] is None and "repeat_of" not in repeat.json()["links"]
    repeat_id = repeat.json()["case_id"]
    seen = (await http.get(f"/api/v1/cases/{repeat_id}", headers=auth("supervisor"))).json()
    assert seen["repeat_of"] == first and seen["links"]["repeat_of"] == first
    other = await http.post(
        "/api/v1/cases",
        json=complaint_body(customer={"name": name, "phone": phone}, category="product"),
        headers=auth("channel"),
    )
    other_id = other.json()["case_id"]
    seen = (await http.get(f"/api/v1/cases/{other_id}", headers=auth("supervisor"))).json()
    assert seen["repeat_of"] is None  # another category is another matter

    # Staff search by phone (in the body: never in a URL, so never in an access log).
    found = await http.post("/api/v1/cases/search", json={"phone": phone}, headers=auth("cs"))
    assert found.status_code == 200
    by_id = {c["case_id"]: c for c in found.json()}
    assert set(by_id) == {first, repeat.json()["case_id"]}  # product's case is not cs's
    assert by_id[repeat.json()["case_id"]]["repeat_of"] == first
    everything = await http.post(
        "/api/v1/cases/search", json={"phone": phone}, headers=auth("supervisor")
    )
    assert len(everything.json()) == 3
    refused = await http.post(
        "/api/v1/cases/search", json={"phone": phone}, headers=auth("channel")
    )
    assert refused.status_code == 403
    async with stack["engine"].connect() as conn:
        logged = (
            await conn.execute(
                text(
                    "SELECT user_id, case_id FROM personal_data_access WHERE what = 'phone search' "
                    "AND case_id IN (:a, :b)"
                ),
                {"a": first, "b": repeat.json()["case_id"]},
            )
        ).all()
    assert sorted(u for u, _ in logged) == ["agent.cs", "agent.cs", "supervisor", "supervisor"]


async def test_personal_data_export_and_erasure(http, stack):
    name, phone = customer()
    email, openid = f"pipl{phone[-6:]}@example.com", f"oWX{phone}"
    body = complaint_body(
        customer={"name": name, "phone": phone, "email": email, "openid": openid},
        channel="wechat",
        description=f"{name} at {phone} was charged twice",
    )
    r = await http.post("/api/v1/cases", json=body, headers=auth("channel"))
    assert r.status_code == 201, r.text
    case_id = r.json()["case_id"]
    # The channel reads the addresses masked; staff read them as they are.
    masked = r.json()["customer"]
    assert masked["email"] == f"p***{email.split('@')[0][-1]}@example.com"
    assert masked["openid"] != openid and openid not in r.text
    seen = (await http.get(f"/api/v1/cases/{case_id}", headers=auth("supervisor"))).json()
    assert (seen["customer"]["email"], seen["customer"]["openid"]) == (email, openid)
    photo = PNG_MAGIC + f"{name} {phone}".encode()
    await upload(http, case_id, "channel", photo)
    request = {"phone": phone, "request_ref": "PIPL-2026-0042"}

    refused = await http.post(
        "/api/v1/personal-data/export", json=request, headers=auth("supervisor")
    )
    assert refused.status_code == 403
    r = await http.post("/api/v1/personal-data/export", json=request, headers=auth("admin"))
    assert r.status_code == 200 and r.headers["content-type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(r.content))
    exported = json.loads(archive.read("customer.json"))
    assert [c["case"]["case_id"] for c in exported["cases"]] == [case_id]
    assert exported["cases"][0]["case"]["state"]["customer"]["name"] == name
    assert exported["cases"][0]["events"][0]["kind"] == "intake"
    files = [n for n in archive.namelist() if n.startswith("attachments/")]
    assert len(files) == 1 and archive.read(files[0]) == photo

    # Open: its workflow still holds the data, so nothing is erased.
    basis = {**request, "legal_basis": "PIPL art. 47: consent withdrawn"}
    r = await http.post("/api/v1/personal-data/erase", json=basis, headers=auth("admin"))
    assert r.status_code == 409 and case_id in r.json()["detail"]
    await act(http, case_id, "accept", "cs")
    await act(http, case_id, "note", "cs", {"text": f"called {name} on {phone}"})
    await act(http, case_id, "resolve", "cs", {"result": f"refunded {name}", "process": "billing"})
    await act(http, case_id, "feedback", "cs", {"message": f"Dear {name}, refunded"})
    await act(http, case_id, "callback", "cs", {"satisfaction": "satisfied", "comment": name})
    # The archived run's readable history is stored by the worker's archiver (the barrier: its
    # row), decoded: the customer is in it too, and the export carries it.
    await until(lambda: _history_runs(stack["engine"], case_id), timeout=30)
    assert set(await tables_holding(stack["engine"], [name, phone, email, openid])) >= {
        "cases",
        "attachment_blobs",
        "case_history_runs",
    }
    r = await http.post("/api/v1/personal-data/export", json=request, headers=auth("admin"))
    runs = json.loads(zipfile.ZipFile(io.BytesIO(r.content)).read("customer.json"))["cases"][0][
        "history_runs"
    ]
    assert len(runs) == 1 and runs[0]["status"] == "completed"
    assert any(
        (e.get("args") or {}).get("text") == f"called {name} on {phone}" for e in runs[0]["events"]
    )

    r = await http.post("/api/v1/personal-data/erase", json=basis, headers=auth("admin"))
    assert r.status_code == 200 and r.json()["erased"] == [case_id]
    # Not a trace left in any table, attachment bytes included; the erasure is on the record.
    assert await tables_holding(stack["engine"], [name, phone, email, openid]) == {}
    events = await fetch_events(stack["engine"], case_id)
    assert events[-1]["kind"] == "erased" and events[-1]["actor_id"] == "admin"
    assert events[-1]["data"] == {"request": "PIPL-2026-0042", "basis": basis["legal_basis"]}
    assert [e["kind"] for e in events][:2] == ["intake", "accepted"]  # who did what stays
    view = (await http.get(f"/api/v1/cases/{case_id}", headers=auth("supervisor"))).json()
    assert view["customer"]["name"] == "(anonymised)" and view["satisfaction"]["satisfaction"]
    again = await http.post("/api/v1/personal-data/erase", json=basis, headers=auth("admin"))
    assert again.status_code == 404  # nothing holds the phone any more


async def _history_runs(engine, case_id: str) -> list:
    async with engine.connect() as conn:
        return (
            await conn.execute(
                text("SELECT run_id FROM case_history_runs WHERE case_id = :c"), {"c": case_id}
            )
        ).all()


async def test_reports_api_json_and_xlsx(http, stack):
    period = "2031-Q4"  # far from every other test's cases: an empty quarter
    r = await http.get("/api/v1/reports", params={"period": period}, headers=auth("supervisor"))
    assert r.status_code == 200
    figures = {f["key"]: f for f in r.json()["figures"]}
    assert figures["cases"]["value"] == 0 and figures["resolution_rate"]["value"] is None
    assert figures["callback_coverage"]["target"] == {
        "comparison": ">=",
        "threshold": 0.8,
        "source": "000 §4.2",
        "reading": figures["callback_coverage"]["target"]["reading"],
        "met": None,
    }
    assert (
        await http.get("/api/v1/reports", params={"period": period}, headers=auth("cs"))
    ).status_code == 403
    bad = await http.get("/api/v1/reports", params={"period": "2031-13"}, headers=auth("admin"))
    assert bad.status_code == 422
    x = await http.get("/api/v1/reports.xlsx", params={"period": "2031-11"}, headers=auth("admin"))
    assert x.status_code == 200 and x.headers["content-type"].startswith("application/vnd.openxml")
    book = load_workbook(io.BytesIO(x.content))
    assert book["概要"]["A1"].value == "指标"
    c = await http.get("/api/v1/reports.csv", params={"period": "2031-11"}, headers=auth("admin"))
    assert c.status_code == 200 and c.text.startswith("period,2031-11")
