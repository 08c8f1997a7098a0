"""Annotated dependencies: settings, database, Temporal client, the signed-in user."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request, status
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client

from caseflow.case_numbers import CaseNumberBlock
from caseflow.db.models import User
from caseflow.domain import Actor, Role
from caseflow.policy import PolicyBook
from caseflow.security import TokenCache, hash_token
from caseflow.settings import Settings

_bearer = HTTPBearer(auto_error=False, description="A user's access token")

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


SettingsDep = Annotated[Settings, Depends(get_settings)]
EngineDep = Annotated[AsyncEngine, Depends(get_engine)]
TemporalDep = Annotated[Client, Depends(get_temporal)]
BookDep = Annotated[PolicyBook, Depends(get_book)]
CaseNumbersDep = Annotated[CaseNumberBlock, Depends(get_case_numbers)]


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
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> User:
    if credentials is None or credentials.scheme.lower() != "bearer":
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "missing bearer token: send 'Authorization: Bearer <token>'",
            headers={"WWW-Authenticate": "Bearer"},
        )
    user = await user_for_token(request, credentials.credentials)
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "unknown or inactive token",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return user


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
