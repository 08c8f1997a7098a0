"""The outbox delivery worker: claims due notifications, renders and sends them, marks them.

Notifications are claimed a few at a time (`claim` rows, default 20) in one short transaction
with FOR UPDATE SKIP LOCKED, so any number of workers (in one process or many) can run side by
side: a row being sent is locked, the others skip it, and a row marked sent is never selected
again. The claimed rows are sent concurrently, each under its own timeout, and marked in the
same transaction. Claiming in small batches instead of one row per transaction cuts the
database round trips per message several times over (every case sends at least two).

Delivery is at least once: if the process dies (or the database fails) between the gateway
accepting messages and the commit of their "sent" marks, the rows of that one claim go out
again. `not_before` holds a row back (business-hours alerts), and doubles as the retry backoff
after a failed send.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import Protocol

from sqlalchemy import Integer, all_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import NotificationRow
from caseflow.notify.templates import render

log = logging.getLogger(__name__)

_rows = NotificationRow.__table__
MAX_ERROR_CHARS = 500
MAX_RETRY_DELAY = 3600.0  # seconds: a long gateway outage retries hourly, not ever more slowly


class Sender(Protocol):
    """The port to the gateways (SMS, e-mail, app push, staff inbox). Raise to report a failed
    send: the row is retried later."""

    async def send(self, channel: str, recipient: str, subject: str | None, body: str) -> None: ...


class LogSender:
    """Stand-in for the real SMS / e-mail / push gateways: writes one structured log line per
    message. The body is left out (it may hold personal data); its length is logged."""

    async def send(self, channel: str, recipient: str, subject: str | None, body: str) -> None:
        log.info(
            "notification sent",
            extra={
                "channel": channel,
                "recipient": recipient,
                "subject": subject or "",
                "chars": len(body),
            },
        )


# Constant statements (the exclusion list is one array parameter), so each is prepared once.
_CLAIM = (
    select(
        _rows.c.id,
        _rows.c.case_id,
        _rows.c.recipient,
        _rows.c.channel,
        _rows.c.template,
        _rows.c.language,
        _rows.c.params,
        _rows.c.attempts,
    )
    .where(
        _rows.c.status == "pending",
        (_rows.c.not_before.is_(None)) | (_rows.c.not_before <= func.now()),
        _rows.c.id != all_(bindparam("failed", type_=ARRAY(Integer))),
    )
    .order_by(_rows.c.created_at, _rows.c.id)
    .limit(bindparam("limit"))
    .with_for_update(skip_locked=True)
)
_MARK_SENT = (
    update(_rows)
    .where(_rows.c.id == bindparam("row_id"))
    .values(
        status="sent",
        sent_at=func.now(),
        attempts=_rows.c.attempts + 1,
        subject=bindparam("sent_subject"),
        body=bindparam("sent_body"),
    )
)


class DeliveryWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: Sender | None = None,
        *,
        timezone: str,
        max_attempts: int = 5,
        retry_delay: float = 30.0,
        send_timeout: float = 30.0,
        claim: int = 20,
    ) -> None:
        self.engine = engine
        self.sender: Sender = sender or LogSender()
        self.timezone = timezone  # the policy's: times in texts are local to it
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay  # seconds before the 2nd attempt; doubles per failure
        self.send_timeout = send_timeout  # a hung gateway must not hold a row lock forever
        # Rows per transaction: more means fewer round trips, and more messages sent again
        # if the process dies before the commit.
        self.claim = claim

    async def run_once(self, batch: int = 100) -> int:
        """Try up to `batch` due notifications; returns how many were sent."""
        return (await self._pass(batch))[1]

    async def run(self, interval: float = 1.0, batch: int = 100) -> None:
        """Deliver forever: a full pass goes again at once, otherwise wait `interval`."""
        while True:
            try:
                while (await self._pass(batch))[0] >= batch:
                    pass
            except Exception:
                # e.g. PostgreSQL briefly away: the rows stay pending, the next pass gets them
                log.warning("notification delivery pass failed; retrying", exc_info=True)
            await asyncio.sleep(interval)

    async def _pass(self, batch: int) -> tuple[int, int]:
        """Claim and send until `batch` rows were tried or none is due; (tried, sent)."""
        failed: list[int] = []  # a row that just failed is not retried in the same pass
        tried = sent = 0
        while tried < batch:
            outcome = await self._deliver_claim(min(self.claim, batch - tried), failed)
            if outcome is None:
                break
            tried += outcome[0]
            sent += outcome[1]
        return tried, sent

    async def _deliver_claim(self, limit: int, failed: list[int]) -> tuple[int, int] | None:
        """Claim up to `limit` due rows, send them and mark them; None when none is due."""
        async with self.engine.begin() as conn:
            rows = (await conn.execute(_CLAIM, {"limit": limit, "failed": failed})).all()
            if not rows:
                return None
            outcomes = await asyncio.gather(*(self._send(row) for row in rows))
            done = []
            for row, outcome in zip(rows, outcomes, strict=True):
                if isinstance(outcome, Exception):
                    failed.append(row.id)
                    await conn.execute(self._failure(row, outcome))
                else:
                    done.append(
                        {"row_id": row.id, "sent_subject": outcome[0], "sent_body": outcome[1]}
                    )
            if done:
                await conn.execute(_MARK_SENT, done)
        for row, outcome in zip(rows, outcomes, strict=True):
            if not isinstance(outcome, Exception):
                log.debug(
                    "notification delivered",
                    extra={
                        "notification_id": row.id,
                        "case_id": row.case_id,
                        "template": row.template,
                        "channel": row.channel,
                    },
                )
        return len(rows), len(done)

    async def _send(self, row) -> tuple[str | None, str] | Exception:  # noqa: ANN001
        """Render and send one claimed row: (subject, body) as sent, or the error."""
        try:
            rendered = render(row.template, row.channel, row.language, row.params, self.timezone)
            async with asyncio.timeout(self.send_timeout):
                await self.sender.send(row.channel, row.recipient, rendered.subject, rendered.body)
        except Exception as exc:
            return exc
        return rendered.subject, rendered.body

    def _failure(self, row, exc: Exception):  # noqa: ANN001 - a claimed result row
        attempts = row.attempts + 1
        gave_up = attempts >= self.max_attempts
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        delay = min(self.retry_delay * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        extra = {
            "notification_id": row.id,
            "case_id": row.case_id,
            "template": row.template,
            "channel": row.channel,
            "attempts": attempts,
            "error": error,
        }
        if gave_up:
            log.error("notification failed for good", extra=extra)
        else:
            log.warning("notification send failed; will retry", extra={**extra, "delay": delay})
        return (
            update(_rows)
            .where(_rows.c.id == row.id)
            .values(
                attempts=attempts,
                last_error=error,
                status="failed" if gave_up else "pending",
                not_before=func.now() + timedelta(seconds=delay),
            )
        )


def start_delivery_task(
    engine: AsyncEngine,
    sender: Sender | None = None,
    *,
    interval: float = 1.0,
    **options,
) -> asyncio.Task:
    """Run a `DeliveryWorker` in the background (next to the Temporal worker); cancel the task
    to stop it. `options` go to `DeliveryWorker` (timezone, max_attempts, retry_delay,
    send_timeout)."""
    worker = DeliveryWorker(engine, sender, **options)
    return asyncio.create_task(worker.run(interval), name="notification-delivery")
