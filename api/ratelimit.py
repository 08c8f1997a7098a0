"""Rate limits shared by every API replica: fixed-window counters in PostgreSQL.

Why PostgreSQL and not each process's memory: with N replicas behind a load balancer, a
per-process limit lets a caller through N times over, and a caller that floods a case or
guesses tokens would simply spread its requests. The counters live in the database every
replica already uses, windows are cut on the database's clock (replicas' clocks may differ),
and one counter is one row updated in place, so a hit costs one short statement. The libraries
on PyPI that do rate limiting (limits, slowapi) keep counters in memory, Redis, Memcached or
MongoDB; caseflow runs none of those, so this small counter is its own.

A fixed window lets a caller spend up to twice its limit across a window boundary; it stays
bounded, which is what protects a case's history and the token store.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from fastapi import HTTPException, status
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger("caseflow.api.ratelimit")

_WINDOW = "to_timestamp(floor(extract(epoch from clock_timestamp()) / :w) * :w)"
_RETRY = (
    "greatest(1, ceil(extract(epoch from window_start + make_interval(secs => :w) "
    "- clock_timestamp())))::int"
)
_HIT = text(
    f"INSERT INTO rate_limits (key, window_start, hits) VALUES (:key, {_WINDOW}, 1) "
    "ON CONFLICT (key, window_start) DO UPDATE SET hits = rate_limits.hits + 1 "
    f"RETURNING hits, {_RETRY} AS retry_after"
)
_PEEK = text(
    f"SELECT hits, {_RETRY} AS retry_after FROM rate_limits "
    f"WHERE key = :key AND window_start = {_WINDOW}"
)
_PURGE = text("DELETE FROM rate_limits WHERE window_start < clock_timestamp() - interval '1 day'")
PURGE_EVERY_S = 300.0


@dataclass(frozen=True)
class Limit:
    """At most `hits` per `window_s` seconds; hits = 0 turns the limit off."""

    hits: int
    window_s: int

    @property
    def on(self) -> bool:
        return self.hits > 0


class RateLimiter:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._purged_at = time.monotonic()

    async def hit(self, key: str, limit: Limit) -> int | None:
        """Count one hit on `key`; the seconds to wait when it is over the limit, else None."""
        if not limit.on:
            return None
        async with self.engine.begin() as conn:
            row = (await conn.execute(_HIT, {"key": key, "w": limit.window_s})).one()
            if time.monotonic() - self._purged_at > PURGE_EVERY_S:
                self._purged_at = time.monotonic()
                await conn.execute(_PURGE)  # old windows: one day is longer than any window
        return row.retry_after if row.hits > limit.hits else None

    async def charge(self, key: str, limit: Limit, what: str) -> None:
        """Count one of `what` (e.g. "actions") from the caller behind `key`; 429 with
        Retry-After once the caller is over `limit`."""
        wait = await self.hit(key, limit)
        if wait is not None:
            raise too_many(
                f"more than {limit.hits} {what} in {limit.window_s} s from this caller; "
                f"retry after {wait} s",
                wait,
            )

    async def over(self, key: str, limit: Limit) -> int | None:
        """Without counting: the seconds to wait when `key` is already over the limit."""
        if not limit.on:
            return None
        async with self.engine.connect() as conn:
            row = (await conn.execute(_PEEK, {"key": key, "w": limit.window_s})).first()
        return row.retry_after if row is not None and row.hits >= limit.hits else None


def too_many(detail: str, retry_after: int) -> HTTPException:
    return HTTPException(
        status.HTTP_429_TOO_MANY_REQUESTS, detail, headers={"Retry-After": str(retry_after)}
    )


def token_prefix_key(token: str, length: int = 8) -> str:
    """The counter of failed tokens sharing a prefix, named by a hash: no part of a credential
    is stored."""
    return "auth-prefix:" + hashlib.sha256(token[:length].encode()).hexdigest()[:32]
