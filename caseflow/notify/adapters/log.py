"""The stand-in gateway of a development stack: one structured log line per message."""

from __future__ import annotations

import logging

from caseflow.notify.port import Address, Message

log = logging.getLogger(__name__)


class LogAdapter:
    """Takes every kind of address when no gateway is configured (`caseflow dev`). It logs the
    route and the text's length, never the address or the body, and answers with the
    notification's idempotency key as the "provider" id."""

    name = "log"

    async def send(self, message: Message, address: Address) -> str:
        log.info(
            "notification sent",
            extra={
                "notification_id": message.notification_id,
                "case_id": message.case_id,
                "kind": address.kind,
                "channel": address.channel,
                "route": address.route,
                "chars": len(message.body),
            },
        )
        return message.idempotency_key
