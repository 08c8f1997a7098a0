"""Limits on failed sign-ins, per client address and per user name, kept in PostgreSQL so that
every API replica counts the same failures.

After `max_failures` failures in a row (failures older than `forget_after` are forgotten) a key
is blocked for `base`, then twice as long after each further failure, up to `longest`. A
blocked key is refused before any password is checked. A success clears the user name's count
(not the address's: one good account must not reset an attacker's address).
Keys are stored hashed: a user name typed by mistake may be somebody's password.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, or_, select, text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import SignInFailure


@dataclass(frozen=True)
class Limit:
    max_failures: int
    base: timedelta
    longest: timedelta
    forget_after: timedelta

    def block_for(self, failures: int) -> timedelta | None:
        if failures < self.max_failures:
            return None
        steps = min(failures - self.max_failures, 30)  # 2**30 * base is past any cap
        return min(self.base * (2**steps), self.longest)


def address_key(address: str) -> str:
    return _hash(f"address:{address}")


def user_key(user_name: str) -> str:
    return _hash(f"user:{user_name.strip().lower()}")


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


async def retry_after(engine: AsyncEngine, keys: list[str], now: datetime | None = None) -> int:
    """Seconds until every key may try again (0: none is blocked)."""
    now = now or datetime.now(UTC)
    async with engine.connect() as conn:
        until = (
            await conn.execute(
                select(SignInFailure.blocked_until).where(
                    SignInFailure.key_hash.in_(keys), SignInFailure.blocked_until > now
                )
            )
        ).scalars()
        latest = max(until, default=None)
    return 0 if latest is None else max(1, math.ceil((latest - now).total_seconds()))


_RECORD = text(
    """
    INSERT INTO sign_in_failures (key_hash, failures, last_failure_at, blocked_until)
    VALUES (:key, 1, :now, NULL)
    ON CONFLICT (key_hash) DO UPDATE SET
        failures = CASE WHEN sign_in_failures.last_failure_at < :forget_before THEN 1
                        ELSE sign_in_failures.failures + 1 END,
        last_failure_at = :now
    RETURNING failures
    """
)


async def record_failure(
    engine: AsyncEngine, limits: dict[str, Limit], now: datetime | None = None
) -> None:
    """Count one failure for each key (key -> its limit); block those past their limit."""
    now = now or datetime.now(UTC)
    longest_memory = max(lim.forget_after for lim in limits.values())
    async with engine.begin() as conn:
        # Forgotten, unblocked keys go, so the table stays the size of the recent failures.
        await conn.execute(
            delete(SignInFailure).where(
                SignInFailure.last_failure_at < now - longest_memory,
                or_(SignInFailure.blocked_until.is_(None), SignInFailure.blocked_until < now),
            )
        )
        for key, limit in limits.items():
            failures = (
                await conn.execute(
                    _RECORD, {"key": key, "now": now, "forget_before": now - limit.forget_after}
                )
            ).scalar_one()
            block = limit.block_for(failures)
            if block is not None:
                await conn.execute(
                    SignInFailure.__table__.update()
                    .where(SignInFailure.key_hash == key)
                    .values(blocked_until=now + block)
                )


async def clear(engine: AsyncEngine, key: str) -> None:
    async with engine.begin() as conn:
        await conn.execute(delete(SignInFailure).where(SignInFailure.key_hash == key))
