"""The outbox delivery worker: claims pending notifications, renders and sends them, marks them.

Rows are claimed with FOR UPDATE SKIP LOCKED, so any number of workers can run side by side
and no notification is sent twice. `not_before` holds a row back (e.g. business-hours alerts).
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.notify.templates import render

log = logging.getLogger(__name__)


class Sender(Protocol):
    async def send(self, channel: str, recipient: str, subject: str | None, body: str) -> None:
        ...


class LogSender:
    """Stands in for the SMS / e-mail / app-push gateways: writes one structured log line
    (without the body, which may carry personal data)."""

    async def send(self, channel: str, recipient: str, subject: str | None, body: str) -> None:
        log.info("notification sent", extra={"channel": channel, "recipient": recipient,
                                             "subject": subject or "", "chars": len(body)})


class DeliveryWorker:
    def __init__(self, engine: AsyncEngine, sender: Sender | None = None,
                 max_attempts: int = 5) -> None:
        self.engine = engine
        self.sender = sender or LogSender()
        self.max_attempts = max_attempts

    async def run_once(self, batch: int = 100) -> int:
        """Deliver up to `batch` due notifications; returns how many were sent."""
        sent = 0
        async with self.engine.begin() as conn:
            rows = (await conn.execute(
                text("""
                    SELECT id, recipient, channel, template, language, params, attempts
                    FROM notifications
                    WHERE status = 'pending' AND (not_before IS NULL OR not_before <= now())
                    ORDER BY created_at, id
                    LIMIT :batch FOR UPDATE SKIP LOCKED
                """),
                {"batch": batch},
            )).all()
            for row in rows:
                rendered = render(row.template, row.channel, row.language, row.params or {})
                try:
                    await self.sender.send(row.channel, row.recipient, rendered.subject,
                                           rendered.body)
                except Exception as exc:  # noqa: BLE001 - any gateway failure is retried
                    attempts = row.attempts + 1
                    await conn.execute(
                        text("UPDATE notifications SET attempts = :a, last_error = :e, "
                             "status = :status WHERE id = :id"),
                        {"a": attempts, "e": str(exc)[:500], "id": row.id,
                         "status": "failed" if attempts >= self.max_attempts else "pending"},
                    )
                    log.warning("notification failed", extra={"id": row.id,
                                                              "attempts": attempts})
                    continue
                await conn.execute(
                    text("UPDATE notifications SET status = 'sent', sent_at = :now, "
                         "attempts = attempts + 1, subject = :s, body = :b WHERE id = :id"),
                    {"now": datetime.now(UTC), "s": rendered.subject, "b": rendered.body,
                     "id": row.id},
                )
                sent += 1
        return sent

    async def run(self, interval: float = 1.0) -> None:
        while True:
            try:
                while await self.run_once() > 0:
                    pass
            except Exception:  # noqa: BLE001 - e.g. the database is briefly away: keep going
                log.warning("delivery pass failed; retrying", exc_info=True)
            await asyncio.sleep(interval)


def start_delivery_task(engine: AsyncEngine, sender: Sender | None = None,
                        interval: float = 1.0) -> asyncio.Task:
    return asyncio.create_task(DeliveryWorker(engine, sender).run(interval),
                               name="notification-delivery")
