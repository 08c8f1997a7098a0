"""Annotated dependencies: settings, database, Temporal client, the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from api.ratelimit import Limit, RateLimiter, token_prefix_key, too_many
from caseflow.case_numbers import CaseNumberBlock
from caseflow.db.models import User
from caseflow.domain import Actor, Role
from caseflow.policy import PolicyBook
from caseflow.readmodel.maintenance import StatisticsReports
from caseflow.security import TokenCache, hash_token
from caseflow.settings import Settings

bearer_scheme = HTTPBearer(auto_error=False, description="A user's access token")

# Dependencies are `async def` even when they do not await: FastAPI runs plain `def`
# dependencies in a thread pool, a thread hand-off per dependency per request.


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


async def get_engine(request: Request) -> AsyncEngine:
    return request.app.state.engine


async def get_temporal(request: Request) -> Client:
    return request.app.state.temporal


async def get_book(request: Request) -> PolicyBook:
    return request.app.state.book


async def get_case_numbers(request: Request) -> CaseNumberBlock:
    return request.app.state.case_numbers


async def get_limiter(request: Request) -> RateLimiter:
    return request.app.state.limiter


async def get_statistics(request: Request) -> StatisticsReports:
    """The figures as the monthly Schedule builds them: the policy's zone, the customer base."""
    settings: Settings = request.app.state.settings
    return StatisticsReports(
        request.app.state.engine,
        request.app.state.book.active.timezone,
        settings.customer_base,
        settings.customer_base_months,
    )


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
BookDep = Annotated[PolicyBook, Depends(get_book)]
CaseNumbersDep = Annotated[CaseNumberBlock, Depends(get_case_numbers)]
LimiterDep = Annotated[RateLimiter, Depends(get_limiter)]
StatisticsDep = Annotated[StatisticsReports, Depends(get_statistics)]


class NotSignedIn(Exception):
    """Raised by page dependencies; the app turns it into a redirect to /login."""


async def user_for_token(request: Request, token: str) -> User | None:
    """The active user a bearer token belongs to, or None (API clients and intake channels;
    the pages sign in with sessions instead: api/page_auth.py). Cached, so a deactivation
    reaches the API within `auth_cache_seconds`."""
    token_hash = hash_token(token)
    cache: TokenCache[User] = request.app.state.token_cache
    user = cache.get(token_hash)
    if user is not None:
        return user
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(select(User).where(User.token_hash == token_hash))).first()
    if row is None or not row.active:
        return None
    user = User.model_validate(row._mapping)
    cache.put(token_hash, user)
    return user


async def current_user(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    token = credentials.credentials
    cache: TokenCache[User] = request.app.state.token_cache
    user = cache.get(hash_token(token))
    if user is not None:
        return user  # known and valid a moment ago: no guess to count
    limiter: RateLimiter = request.app.state.limiter
    settings: Settings = request.app.state.settings
    limit = Limit(settings.rate_limit_auth_failures, settings.rate_limit_auth_window)
    keys = (f"auth-address:{_client_address(request)}", token_prefix_key(token))
    # Once an address or a token prefix has failed too often, even a right token is refused
    # until the window ends: that is what bounds the guessing rate.
    for key in keys:
        wait = await limiter.over(key, limit)
        if wait is not None:
            raise too_many(f"too many failed sign-ins; retry after {wait} s", wait)
    user = await user_for_token(request, token)
    if user is None:
        for key in keys:
            await limiter.hit(key, limit)
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or inactive token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


def _client_address(request: Request) -> str:
    # The peer address as uvicorn gives it (behind a proxy, run it with --forwarded-allow-ips
    # so that this is the client's, not the proxy's).
    return request.client.host if request.client else "unknown"


UserDep = Annotated[User, Depends(current_user)]


def actor_of(user: User) -> Actor:
    return Actor(user_id=user.id, role=Role(user.role), name=user.name, department=user.department)


def require_role(user: User, roles: frozenset[Role], what: str) -> None:
    if Role(user.role) not in roles:
        allowed = ", ".join(sorted(r.value for r in roles))
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, f"role '{user.role}' may not {what} (allowed: {allowed})"
        )


# Who may read Temporal's own record of a case (its event history).
HISTORY_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
