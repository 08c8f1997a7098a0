"""钉钉 (DingTalk) group robot: staff alerts posted to a department's group chat.

Documented webhook: POST https://oapi.dingtalk.com/robot/send?access_token=TOKEN with
`{"msgtype": "markdown", "markdown": {"title": ..., "text": ...}, "at": {...}}`. A robot with
the "加签" security setting needs `timestamp` (ms) and `sign` query parameters:
base64(HMAC-SHA256(key=secret, msg=f"{timestamp}\\n{secret}")), valid for an hour.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

import httpx

from caseflow.notify.adapters.robot_http import post_json, with_footer
from caseflow.notify.port import Address, Message

TEXT_LIMIT = 18000  # bytes; DingTalk documents about 20 000 for a message
# -1 system busy; 130101 the robot's 20-messages-a-minute limit; 410100 rate limited
RETRYABLE_ERRCODES = frozenset({-1, 130101, 410100})


class DingTalkRobotAdapter:
    name = "dingtalk"

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    async def send(self, message: Message, address: Address) -> str:
        (url,) = address.to
        if address.secret:
            url = signed_url(url, address.secret)
        await post_json(
            self.name,
            url,
            payload(message, address.mentions),
            timeout=self.timeout,
            retryable_errcodes=RETRYABLE_ERRCODES,
        )
        return message.idempotency_key


def sign(secret: str, timestamp_ms: int) -> str:
    digest = hmac.new(
        secret.encode(), f"{timestamp_ms}\n{secret}".encode(), hashlib.sha256
    ).digest()
    return base64.b64encode(digest).decode()


def signed_url(url: str, secret: str, now: float | None = None) -> httpx.URL:
    """The webhook URL with `timestamp` and `sign` added to its own query (access_token)."""
    timestamp = int((time.time() if now is None else now) * 1000)
    return httpx.URL(url).copy_merge_params(
        {"timestamp": str(timestamp), "sign": sign(secret, timestamp)}
    )


def payload(message: Message, mentions: tuple[str, ...] = ()) -> dict:
    title = message.subject or message.case_id
    # DingTalk markdown joins single line breaks: paragraphs need a blank line between them.
    body = message.body.replace("\n", "\n\n")
    # A mention shows only when "@<phone>" is in the text too.
    tags = " ".join(f"@{m}" for m in mentions)
    footer = f"> {message.case_id} · {message.idempotency_key}"
    tail = f"\n\n{tags}\n\n{footer}" if tags else f"\n\n{footer}"
    text = with_footer(f"#### {title}\n\n{body}", TEXT_LIMIT, tail)
    return {
        "msgtype": "markdown",
        "markdown": {"title": title, "text": text},
        "at": {"atMobiles": list(mentions), "isAtAll": False},
    }
