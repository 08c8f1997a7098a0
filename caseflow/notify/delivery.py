"""The outbox delivery worker: claims due notifications, resolves their recipients, renders
and sends them through the adapter for each address, and marks them.

Notifications are claimed a few at a time (`claim` rows, default 20) in one short transaction
with FOR UPDATE SKIP LOCKED, so any number of workers (in one process or many) can run side by
side: a row being sent is locked, the others skip it, and a row marked sent is never selected
again. The claimed rows are sent concurrently, each under its own timeout, and marked in the
same transaction. Claiming in small batches instead of one row per transaction cuts the
database round trips per message several times over (every case sends at least two).

Delivery is at least once: if the process dies (or the database fails) between the gateway
accepting messages and the commit of their "sent" marks, the rows of that one claim go out
again. `not_before` holds a row back (business-hours alerts), and doubles as the retry backoff
after a failed send. A permanent failure (an unresolvable recipient, an address the gateway
refuses) gives the row up at once; any other failure is retried until `max_attempts`.

The sender is a router (`caseflow.notify.routing`, built from the settings by default) that
resolves the claimed rows' recipients on the claim's own connection and names the adapter for
each address; a sent row records the adapter, the provider's message id and the route. A plain
`Sender` (channel, recipient label, subject, body) is still accepted and gets every row as it
is, unresolved.

Staff alerts (warnings, escalations) go out as digests: at most one message per recipient,
department, template, escalation level and minute, listing the cases (caseflow.notify.digests;
the claim's transaction takes the minute, so several workers need nothing more).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Integer, all_, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from caseflow.db.models import NotificationRow
from caseflow.notify import digests
from caseflow.notify.port import Adapter, Address, DeliveryError, Message
from caseflow.notify.routing import build_sender
from caseflow.notify.templates import render, render_digest
from caseflow.policy import get_policy_book
from caseflow.settings import get_settings

log = logging.getLogger(__name__)

_rows = NotificationRow.__table__
MAX_ERROR_CHARS = 500
PRUNE_EVERY = 3600.0  # seconds between prunings of old digest rows
MAX_RETRY_DELAY = 3600.0  # seconds: a long gateway outage retries hourly, not ever more slowly


class Sender(Protocol):
    """A plain sender that takes rows as they are (no recipient resolution). Raise to report a
    failed send: the row is retried later (never, for a `PermanentDeliveryError`)."""

    async def send(self, channel: str, recipient: str, subject: str | None, body: str) -> None: ...


@runtime_checkable
class Router(Protocol):
    """Resolves claimed rows to addresses and picks each address's adapter
    (`caseflow.notify.routing.RoutingSender`)."""

    async def resolve(
        self, conn: AsyncConnection, rows: list[Any]
    ) -> list[Address | DeliveryError]: ...

    def adapter(self, address: Address) -> Adapter: ...


class LogSender:
    """A plain sender that writes one structured log line per message. The body is left out
    (it may hold personal data); its length is logged."""

    name = "log"

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


class _Unrouted:
    """A plain `Sender` as a router: each row goes out on its own channel, to its recipient
    label, with nothing resolved."""

    def __init__(self, sender: Sender) -> None:
        self.sender = sender
        self.name = getattr(sender, "name", None)

    async def resolve(self, conn: AsyncConnection, rows: list[Any]) -> list[Address]:
        return [Address("unrouted", row.channel, row.recipient) for row in rows]

    def adapter(self, address: Address) -> _Unrouted:
        return self  # its own adapter: `name` (may be None) is recorded as the provider

    async def send(self, message: Message, address: Address) -> str | None:
        await self.sender.send(address.channel, address.route, message.subject, message.body)


@dataclass(frozen=True)
class _Sent:
    subject: str | None
    body: str
    provider: str | None
    provider_id: str | None
    route: str


@dataclass(frozen=True)
class _Failed:
    error: Exception
    provider: str | None = None
    route: str | None = None


# Constant statements (the exclusion list is one array parameter), so each is prepared once.
_COLUMNS = (
    _rows.c.id,
    _rows.c.case_id,
    _rows.c.recipient,
    _rows.c.channel,
    _rows.c.department,
    _rows.c.template,
    _rows.c.language,
    _rows.c.params,
    _rows.c.attempts,
)
_CLAIM = (
    select(*_COLUMNS)
    .where(
        _rows.c.status == "pending",
        (_rows.c.not_before.is_(None)) | (_rows.c.not_before <= bindparam("now")),
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
        sent_at=bindparam("sent_at"),
        attempts=_rows.c.attempts + 1,
        subject=bindparam("sent_subject"),
        body=bindparam("sent_body"),
        provider=bindparam("sent_provider"),
        provider_id=bindparam("sent_provider_id"),
        route=bindparam("sent_route"),
        digest_id=bindparam("sent_digest_id"),
    )
)


@dataclass(frozen=True)
class _Batch:
    """What one message carries: one row, or a staff digest's rows (oldest first)."""

    rows: list[Any]
    digest_id: int | None = None


class DeliveryWorker:
    def __init__(
        self,
        engine: AsyncEngine,
        sender: Router | Sender | None = None,
        *,
        timezone: str | None = None,
        max_attempts: int = 5,
        retry_delay: float = 30.0,
        send_timeout: float = 30.0,
        claim: int = 20,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.engine = engine
        self.clock = clock  # "now" for what is due and for the digests' minutes
        self.sender = sender if sender is not None else build_sender(get_settings())
        self.router: Router = self.sender if isinstance(self.sender, Router) else _Unrouted(sender)
        # Times in texts are local to the policy's zone (default: the active policy's).
        self.timezone = timezone or get_policy_book().active.timezone
        self.max_attempts = max_attempts
        self.retry_delay = retry_delay  # seconds before the 2nd attempt; doubles per failure
        self.send_timeout = send_timeout  # a hung gateway must not hold a row lock forever
        # Rows per transaction: more means fewer round trips, and more messages sent again
        # if the process dies before the commit.
        self.claim = claim

    async def run_once(self, batch: int = 100) -> int:
        """Try up to `batch` due notifications; returns how many were sent."""
        return (await self._pass(batch))[1]

    async def prune_digests(self) -> int:
        """Forget the digests of minutes more than `digests.KEEP_DIGESTS` ago; how many."""
        async with self.engine.begin() as conn:
            result = await conn.execute(digests.prune(self.clock() - digests.KEEP_DIGESTS))
        return result.rowcount

    async def run(self, interval: float = 1.0, batch: int = 100) -> None:
        """Deliver forever: a full pass goes again at once, otherwise wait `interval`."""
        pruned_at = 0.0
        while True:
            try:
                if time.monotonic() - pruned_at > PRUNE_EVERY:
                    await self.prune_digests()
                    pruned_at = time.monotonic()
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
        """Claim up to `limit` due rows, send them (staff alerts as digests) and mark them;
        (rows tried, rows sent), None when none is due."""
        now = self.clock()
        async with self.engine.begin() as conn:
            claimed = (
                await conn.execute(_CLAIM, {"limit": limit, "failed": failed, "now": now})
            ).all()
            if not claimed:
                return None
            batches = await self._batches(conn, claimed, now)
            # Deferred rows count as tried: they are not due again in this pass.
            tried = len({r.id for r in claimed} | {r.id for b in batches for r in b.rows})
            # Lookups first, on this connection: the sends below run concurrently. A digest's
            # rows share recipient and department, so its first row stands for all.
            addresses = await self.router.resolve(conn, [b.rows[0] for b in batches])
            outcomes = await asyncio.gather(
                *(self._send(b, a) for b, a in zip(batches, addresses, strict=True))
            )
            done = []
            for batch, outcome in zip(batches, outcomes, strict=True):
                if isinstance(outcome, _Failed):
                    for row in batch.rows:
                        failed.append(row.id)
                        await conn.execute(self._failure(row, outcome))
                    if batch.digest_id is not None:
                        await conn.execute(digests.give_back(batch.digest_id))
                    continue
                if batch.digest_id is not None:
                    await conn.execute(digests.record_rows(batch.digest_id, len(batch.rows)))
                done.extend(
                    {
                        "row_id": row.id,
                        "sent_at": now,
                        "sent_subject": outcome.subject,
                        "sent_body": outcome.body,
                        "sent_provider": outcome.provider,
                        "sent_provider_id": outcome.provider_id,
                        "sent_route": outcome.route,
                        "sent_digest_id": batch.digest_id,
                    }
                    for row in batch.rows
                )
            if done:
                await conn.execute(_MARK_SENT, done)
        for batch, outcome in zip(batches, outcomes, strict=True):
            if isinstance(outcome, _Sent):
                log.debug(
                    "notification delivered",
                    extra={
                        "notification_id": batch.rows[0].id,
                        "case_id": batch.rows[0].case_id,
                        "template": batch.rows[0].template,
                        "channel": batch.rows[0].channel,
                        "provider": outcome.provider,
                        "route": outcome.route,
                        "digest_id": batch.digest_id,
                        "rows": len(batch.rows),
                    },
                )
        return tried, len(done)

    async def _batches(self, conn: AsyncConnection, claimed: list[Any], now: datetime):
        """The claim as messages: each row on its own, except staff alerts, merged per digest
        key whose minute this transaction takes (with the key's other due rows); the rows of
        a key whose minute another message already took wait for the next minute."""
        single, keyed = digests.group(claimed)
        batches = [_Batch([row]) for row in single]
        minute = now.replace(second=0, microsecond=0)
        deferred: list[int] = []
        for key, rows in keyed.items():
            digest_id = (await conn.execute(digests.take_minute(key, minute))).scalar_one_or_none()
            if digest_id is None:
                deferred.extend(row.id for row in rows)
                continue
            ids = [row.id for row in rows]
            room = max(0, digests.MAX_ROWS - len(rows))
            more = (await conn.execute(digests.more_rows(key, _COLUMNS, ids, now, room))).all()
            batches.append(_Batch([*rows, *more], digest_id))
        if deferred:
            await conn.execute(digests.defer(deferred, minute + timedelta(minutes=1)))
        return batches

    async def _send(self, batch: _Batch, address: Address | DeliveryError) -> _Sent | _Failed:
        """Render one message for its address and send it: what was sent, or the error."""
        if not isinstance(address, Address):
            return _Failed(address)
        row = batch.rows[0]
        adapter = None
        try:
            adapter = self.router.adapter(address)
            # Rendered for the address's channel: an app reply sent as SMS reads as an SMS.
            if len(batch.rows) > 1:
                rendered = render_digest(
                    row.template,
                    address.channel,
                    row.language,
                    [r.params if isinstance(r.params, dict) else {} for r in batch.rows],
                    self.timezone,
                )
                params = {"case_ids": [r.case_id for r in batch.rows]}
            else:
                rendered = render(
                    row.template, address.channel, row.language, row.params, self.timezone
                )
                params = row.params if isinstance(row.params, dict) else {}
            message = Message(
                notification_id=row.id,
                case_id=row.case_id,
                template=row.template,
                language=row.language,
                subject=rendered.subject,
                body=rendered.body,
                params=params,
            )
            async with asyncio.timeout(self.send_timeout):
                provider_id = await adapter.send(message, address)
        except Exception as exc:
            return _Failed(exc, getattr(adapter, "name", None), address.route)
        return _Sent(
            rendered.subject,
            rendered.body,
            adapter.name,
            None if provider_id is None else str(provider_id)[:200],
            address.route,
        )

    def _failure(self, row, failure: _Failed):  # noqa: ANN001 - a claimed result row
        exc = failure.error
        attempts = row.attempts + 1
        # Retrying cannot help a permanent failure (no address, a number the gateway refuses).
        permanent = isinstance(exc, DeliveryError) and not exc.retryable
        gave_up = permanent or attempts >= self.max_attempts
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        delay = min(self.retry_delay * 2 ** (attempts - 1), MAX_RETRY_DELAY)
        extra = {
            "notification_id": row.id,
            "case_id": row.case_id,
            "template": row.template,
            "channel": row.channel,
            "attempts": attempts,
            "error": error,
            "provider": failure.provider,
            "route": failure.route,
        }
        if gave_up:
            log.error("notification failed for good", extra={**extra, "permanent": permanent})
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
                provider=failure.provider,
                route=failure.route,
            )
        )


def start_delivery_task(
    engine: AsyncEngine,
    sender: Router | Sender | None = None,
    *,
    interval: float = 1.0,
    **options,
) -> asyncio.Task:
    """Run a `DeliveryWorker` in the background (next to the Temporal worker); cancel the task
    to stop it. No sender: the one the settings configure (`build_sender`). `options` go to
    `DeliveryWorker` (timezone, max_attempts, retry_delay, send_timeout)."""
    worker = DeliveryWorker(engine, sender, **options)
    return asyncio.create_task(worker.run(interval), name="notification-delivery")
