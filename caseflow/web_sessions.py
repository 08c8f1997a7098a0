"""Server-side sessions for the pages, in PostgreSQL (so every API replica knows them).

The browser holds a random session id (256 bits) in an HttpOnly cookie; the table holds only
its SHA-256. A session ends at its absolute expiry, after `idle` without a request, when it is
revoked (sign-out, deactivation), or when its user is deactivated. The CSRF token of a session
is derived from its id (an HMAC), so it needs no storage and no other replica state.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import User, WebSession

# A session's last_seen_at is written at most this often: not one write per page view.
TOUCH_EVERY = timedelta(minutes=1)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("utf-8")).hexdigest()


def csrf_token(session_id: str) -> str:
    """The token every form of this session carries. Only who can read the HttpOnly cookie (the
    server) can compute it; another site can neither read nor guess it."""
    return hmac.new(session_id.encode("utf-8"), b"caseflow csrf", hashlib.sha256).hexdigest()


def csrf_matches(session_id: str, token: str | None) -> bool:
    return bool(token) and hmac.compare_digest(csrf_token(session_id), token)


@dataclass(frozen=True)
class SignedIn:
    user: User
    session_id: str
    via: str
    expires_at: datetime


async def open_session(
    engine: AsyncEngine, user_id: str, via: str, lifetime: timedelta, now: datetime | None = None
) -> str:
    """A new session for `user_id`; returns the id for the cookie (shown nowhere else)."""
    now = now or datetime.now(UTC)
    session_id = secrets.token_urlsafe(32)
    async with engine.begin() as conn:
        await conn.execute(
            WebSession.__table__.insert().values(
                id_hash=_hash(session_id),
                user_id=user_id,
                via=via,
                created_at=now,
                last_seen_at=now,
                expires_at=now + lifetime,
            )
        )
        # Expired sessions of this user are of no further use: keep the table small.
        await conn.execute(
            delete(WebSession).where(WebSession.user_id == user_id, WebSession.expires_at < now)
        )
    return session_id


async def session_user(
    engine: AsyncEngine, session_id: str, idle: timedelta, now: datetime | None = None
) -> SignedIn | None:
    """Who this session belongs to, if it is still good (not expired, idle, revoked, and its
    user active)."""
    now = now or datetime.now(UTC)
    id_hash = _hash(session_id)
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(WebSession.id_hash == id_hash)
            )
        ).first()
    if row is None:
        return None
    m = row._mapping
    if (
        m["revoked_at"] is not None
        or m["expires_at"] <= now
        or m["last_seen_at"] + idle <= now
        or not m["active"]
    ):
        return None
    user = User.model_validate({c: m[c] for c in User.model_fields})
    if now - m["last_seen_at"] >= TOUCH_EVERY:
        async with engine.begin() as conn:
            await conn.execute(
                update(WebSession).where(WebSession.id_hash == id_hash).values(last_seen_at=now)
            )
    return SignedIn(user, session_id, m["via"], m["expires_at"])


async def revoke(engine: AsyncEngine, session_id: str, now: datetime | None = None) -> None:
    async with engine.begin() as conn:
        await conn.execute(
            update(WebSession)
            .where(WebSession.id_hash == _hash(session_id), WebSession.revoked_at.is_(None))
            .values(revoked_at=now or datetime.now(UTC))
        )


async def revoke_all(engine: AsyncEngine, user_id: str, now: datetime | None = None) -> int:
    """Sign a user out everywhere (deactivation, password change); the number revoked."""
    async with engine.begin() as conn:
        result = await conn.execute(
            update(WebSession)
            .where(WebSession.user_id == user_id, WebSession.revoked_at.is_(None))
            .values(revoked_at=now or datetime.now(UTC))
        )
    return result.rowcount
