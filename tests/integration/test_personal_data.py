"""Customer data: encrypted in Temporal, decodable only by supervisors through the codec
endpoint, masked for roles that do not need it, absent from logs, and every unmasked read
audited."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import text

from tests.integration.conftest import auth, complaint_body

pytestmark = pytest.mark.integration
PHONE = "13712345678"


async def test_payloads_are_encrypted_and_only_supervisors_decode_them(http, stack, caplog):
    caplog.set_level(logging.DEBUG)
    body = complaint_body(customer={"name": "秘密客户", "phone": PHONE, "customer_id": "ID-42"})
    case = (await http.post("/api/v1/cases", json=body, headers=auth("channel"))).json()
    cid = case["case_id"]
    await http.post(f"/api/v1/cases/{cid}/actions/accept", headers=auth("cs"))

    history = (await http.get(f"/api/v1/cases/{cid}/history", headers=auth("supervisor"))).json()
    raw = str(history)
    assert PHONE not in raw and "秘密客户" not in raw
    started = history["runs"][0]["history"]["events"][0]["workflowExecutionStartedEventAttributes"]
    payload = started["input"]["payloads"][0]
    assert payload["metadata"]["encoding"] == "YmluYXJ5L2VuY3J5cHRlZA=="  # binary/encrypted

    decoded = await http.post(
        "/codec/decode", json={"payloads": [payload]}, headers=auth("supervisor")
    )
    assert decoded.status_code == 200
    import base64

    plain = base64.b64decode(decoded.json()["payloads"][0]["data"]).decode()
    assert PHONE in plain
    refused = await http.post("/codec/decode", json={"payloads": [payload]}, headers=auth("cs"))
    assert refused.status_code == 403

    masked = (await http.get(f"/api/v1/cases/{cid}", headers=auth("channel"))).json()
    assert masked["customer"]["phone"] == "137****5678"
    full = (await http.get(f"/api/v1/cases/{cid}", headers=auth("supervisor"))).json()
    assert full["customer"]["phone"] == PHONE
    async with stack["engine"].connect() as conn:
        audit = (
            await conn.execute(
                text("SELECT user_id, what FROM personal_data_access WHERE case_id = :c"),
                {"c": cid},
            )
        ).all()
    assert ("supervisor", "GET /api/v1/cases/{id}") in audit
    assert all(user != "channel.hotline" for user, _ in audit)  # masked reads are not access
    assert PHONE not in caplog.text and "秘密客户" not in caplog.text
