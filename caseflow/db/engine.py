"""Async engine and sessions (asyncpg)."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession


def make_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    # hide_parameters: a failed statement's error names the statement, never its values. A
    # snapshot's parameters hold the customer's name and phone, and an error's text travels:
    # into the worker's log, an activity failure, a history.
    engine = create_async_engine(
        url, pool_size=pool_size, max_overflow=20, pool_pre_ping=True, hide_parameters=True
    )
    engine.sync_engine.dialect.do_ping = _ping  # this engine's dialect instance only
    return engine


def _ping(dbapi_connection) -> bool:  # noqa: ANN001 - SQLAlchemy's adapted asyncpg connection
    """Pre-ping in one round trip. SQLAlchemy's asyncpg ping wraps its `;` in BEGIN and
    ROLLBACK for PgBouncer's transaction mode: three round trips on every pool checkout, a
    visible share of an intake's CPU. caseflow talks to PostgreSQL (or a session-mode pooler),
    so the ping runs outside a transaction. Errors still go through the adapter, so a dead
    connection is recognised as a disconnect and replaced."""
    autocommit = dbapi_connection.autocommit
    dbapi_connection.autocommit = True
    try:
        dbapi_connection.ping()
    finally:
        dbapi_connection.autocommit = autocommit
    return True


def make_sessionmaker(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)
