"""The WeCom and DingTalk group-robot adapters against a local server standing in for the
webhooks: the documented JSON, DingTalk's signature, mentions, and errcode handling."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import pytest

from caseflow.notify.adapters.dingtalk import DingTalkRobotAdapter
from caseflow.notify.adapters.wecom import WeComRobotAdapter
from caseflow.notify.port import (
    Address,
    Message,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from caseflow.notify.templates import render

CASE = "CMP-20261122-000001"
SECRET = "SEC0123456789abcdef"
OK = (200, {"errcode": 0, "errmsg": "ok"})


def _message(notification_id: int = 5) -> Message:
    params = {"case_id": CASE, "level": "2", "level_name": "L2 team lead", "reason": "breached"}
    rendered = render("escalation", "internal", "zh", params, "Asia/Shanghai")
    return Message(notification_id, CASE, "escalation", "zh", rendered.subject, rendered.body)


def _wecom(gateway, mentions=()) -> Address:
    url = f"{gateway.url}/cgi-bin/webhook/send?key=robot-key-1"
    return Address("wecom", "internal", "robot:cs", to=(url,), mentions=mentions)


def _dingtalk(gateway, secret=SECRET, mentions=()) -> Address:
    url = f"{gateway.url}/robot/send?access_token=token-1"
    return Address("dingtalk", "internal", "robot:cs", to=(url,), mentions=mentions, secret=secret)


async def test_wecom_markdown_carries_the_text_and_the_idempotency_key(gateway):
    gateway.script("/cgi-bin/webhook/send", OK)
    message = _message(5)
    provider_id = await WeComRobotAdapter(timeout=2).send(message, _wecom(gateway))
    assert provider_id == "caseflow-notification-5"

    (request,) = gateway.requests
    assert request.query == {"key": "robot-key-1"}
    assert request.headers["Content-Type"].startswith("application/json")
    sent = request.json()
    assert set(sent) == {"msgtype", "markdown"} and sent["msgtype"] == "markdown"
    content = sent["markdown"]["content"]
    assert content.startswith(f"**{message.subject}**\n{message.body}")
    assert content.endswith(f"> {CASE} · caseflow-notification-5")


async def test_wecom_mentions_on_duty_staff_by_phone_in_a_text_message(gateway):
    gateway.script("/cgi-bin/webhook/send", OK)
    await WeComRobotAdapter(timeout=2).send(_message(), _wecom(gateway, ("13900000001",)))
    sent = gateway.requests[0].json()
    assert sent["msgtype"] == "text"
    assert sent["text"]["mentioned_mobile_list"] == ["13900000001"]
    assert "caseflow-notification-5" in sent["text"]["content"]


async def test_wecom_text_is_cut_to_the_documented_byte_limit_keeping_the_key(gateway):
    gateway.script("/cgi-bin/webhook/send", OK)
    long = Message(6, CASE, "note", "zh", "长", "处理" * 3000)  # 18 000 bytes of UTF-8
    await WeComRobotAdapter(timeout=2).send(long, _wecom(gateway))
    content = gateway.requests[0].json()["markdown"]["content"]
    assert len(content.encode()) <= 4096
    assert content.endswith("caseflow-notification-6")


async def test_dingtalk_markdown_is_signed_and_the_signature_verifies(gateway):
    gateway.script("/robot/send", OK)
    message = _message(9)
    before = time.time() * 1000
    provider_id = await DingTalkRobotAdapter(timeout=2).send(
        message, _dingtalk(gateway, mentions=("13900000002",))
    )
    assert provider_id == "caseflow-notification-9"

    (request,) = gateway.requests
    query = request.query
    assert query["access_token"] == "token-1"
    timestamp = int(query["timestamp"])
    assert before - 1000 <= timestamp <= time.time() * 1000  # milliseconds, now
    # What DingTalk checks: base64(HMAC-SHA256(secret, "timestamp\nsecret")).
    expected = hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256)
    assert query["sign"] == base64.b64encode(expected.digest()).decode()

    sent = request.json()
    assert sent["msgtype"] == "markdown"
    assert sent["markdown"]["title"] == message.subject
    text = sent["markdown"]["text"]
    assert text.startswith(f"#### {message.subject}\n\n")
    assert "@13900000002" in text and text.endswith(f"> {CASE} · caseflow-notification-9")
    assert sent["at"] == {"atMobiles": ["13900000002"], "isAtAll": False}


async def test_dingtalk_without_a_secret_sends_no_signature(gateway):
    gateway.script("/robot/send", OK)
    await DingTalkRobotAdapter(timeout=2).send(_message(), _dingtalk(gateway, secret=None))
    assert gateway.requests[0].query == {"access_token": "token-1"}


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("wecom", (200, {"errcode": 45009, "errmsg": "api freq out of limit"})),
        ("wecom", (200, {"errcode": -1, "errmsg": "system busy"})),
        ("dingtalk", (200, {"errcode": 130101, "errmsg": "send too fast"})),
        ("dingtalk", (502, "<html>bad gateway</html>")),
        ("dingtalk", (200, "<html>proxy login</html>")),
        ("wecom", (429, {})),
    ],
)
async def test_rate_limits_and_server_errors_are_retryable(gateway, kind, answer):
    gateway.script("/cgi-bin/webhook/send", answer)
    gateway.script("/robot/send", answer)
    adapter = WeComRobotAdapter(2) if kind == "wecom" else DingTalkRobotAdapter(2)
    address = _wecom(gateway) if kind == "wecom" else _dingtalk(gateway)
    with pytest.raises(RetryableDeliveryError):
        await adapter.send(_message(), address)


@pytest.mark.parametrize(
    ("kind", "answer"),
    [
        ("wecom", (200, {"errcode": 93000, "errmsg": "invalid webhook url"})),
        ("dingtalk", (200, {"errcode": 310000, "errmsg": "sign not match"})),
        ("dingtalk", (200, {"errcode": 300001, "errmsg": "token is not exist"})),
        ("wecom", (404, {})),
    ],
)
async def test_a_rejected_robot_is_permanent_and_the_error_says_why(gateway, kind, answer):
    gateway.script("/cgi-bin/webhook/send", answer)
    gateway.script("/robot/send", answer)
    adapter = WeComRobotAdapter(2) if kind == "wecom" else DingTalkRobotAdapter(2)
    address = _wecom(gateway) if kind == "wecom" else _dingtalk(gateway)
    with pytest.raises(PermanentDeliveryError) as caught:
        await adapter.send(_message(), address)
    text = str(caught.value)
    assert kind in text and "robot-key-1" not in text and "token-1" not in text
    if "errcode" in answer[1]:
        assert str(answer[1]["errcode"]) in text


async def test_a_robot_that_does_not_answer_in_time_is_retryable(gateway):
    gateway.script("/robot/send", (*OK, 2.0))
    with pytest.raises(RetryableDeliveryError, match="timed out"):
        await DingTalkRobotAdapter(timeout=0.3).send(_message(), _dingtalk(gateway))
