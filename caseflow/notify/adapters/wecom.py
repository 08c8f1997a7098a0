"""企业微信 (WeCom) group robot: staff alerts posted to a department's group chat.

Documented webhook: POST https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=KEY with
`{"msgtype": "markdown", "markdown": {"content": ...}}`. Markdown cannot @-mention by phone, so
an alert that names on-duty staff goes as `text` with `mentioned_mobile_list` instead.
"""

from __future__ import annotations

from caseflow.notify.adapters.robot_http import post_json, with_footer
from caseflow.notify.port import Address, Message

MARKDOWN_LIMIT = 4096  # bytes, the documented maximum of markdown.content
TEXT_LIMIT = 2048  # bytes, the documented maximum of text.content
# -1 system busy; 45009 the robot's 20-messages-a-minute limit; 45033 too many concurrent calls
RETRYABLE_ERRCODES = frozenset({-1, 45009, 45033})


class WeComRobotAdapter:
    name = "wecom"

    def __init__(self, timeout: float = 10.0) -> None:
        self.timeout = timeout

    async def send(self, message: Message, address: Address) -> str:
        (url,) = address.to
        await post_json(
            self.name,
            url,
            payload(message, address.mentions),
            timeout=self.timeout,
            retryable_errcodes=RETRYABLE_ERRCODES,
        )
        return message.idempotency_key


def payload(message: Message, mentions: tuple[str, ...] = ()) -> dict:
    # The idempotency key goes last in the text: the group sees which notice a repeat is.
    footer = f"{message.case_id} · {message.idempotency_key}"
    if mentions:
        content = f"{message.subject or ''}\n{message.body}"
        return {
            "msgtype": "text",
            "text": {
                "content": with_footer(content, TEXT_LIMIT, f"\n{footer}"),
                "mentioned_mobile_list": list(mentions),
            },
        }
    content = f"**{message.subject}**\n{message.body}" if message.subject else message.body
    return {
        "msgtype": "markdown",
        "markdown": {"content": with_footer(content, MARKDOWN_LIMIT, f"\n> {footer}")},
    }
