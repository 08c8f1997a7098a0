"""Signing in to the pages and out again.

Staff sign in with their user name (their user id) and password, or through the organisation's
OpenID Connect provider when one is configured. Either way the browser gets a server-side
session (caseflow.web_sessions) and never a bearer token: tokens are for API clients and
intake channels, and intake channels cannot sign in to the pages at all.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import delete, select, update

from api.oidc import OidcError
from api.oidc import finish as oidc_finish
from api.oidc import start as oidc_start
from api.page_auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    PostingSession,
    check_login_form,
    expected_origin,
    is_staff,
    secure_cookies,
)
from api.page_render import render
from caseflow import sign_in_limits
from caseflow.db.models import OidcLogin, User
from caseflow.passwords import hash_password, needs_rehash, verify_password
from caseflow.sign_in_limits import Limit
from caseflow.web_sessions import open_session, revoke

log = logging.getLogger(__name__)
router = APIRouter(include_in_schema=False)
OIDC_STATE_COOKIE = "caseflow_oidc_state"
OIDC_MAX_AGE = timedelta(minutes=10)  # a sign-in at the provider takes at most this long


def _login_page(request: Request, status_code: int = 200, error: str | None = None, **ctx):
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        status_code=status_code,
        csrf_token=token,
        error=error,
        oidc=request.app.state.settings.oidc_enabled,
        **ctx,
    )
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        httponly=True,
        samesite="strict",
        secure=secure_cookies(request),
        max_age=3600,
    )
    return response


@router.get("/login", response_class=HTMLResponse)
async def login_form(request: Request, error: str | None = None) -> HTMLResponse:
    known = {"oidc", "oidc_unknown_user", "oidc_unavailable"}
    return _login_page(request, error=error if error in known else None)


def _limits(request: Request, user_name: str) -> tuple[dict[str, Limit], str]:
    s = request.app.state.settings

    def limit(max_failures: int) -> Limit:
        return Limit(
            max_failures=max_failures,
            base=timedelta(seconds=s.sign_in_backoff_seconds),
            longest=timedelta(seconds=s.sign_in_backoff_max_seconds),
            forget_after=timedelta(seconds=s.sign_in_forget_seconds),
        )

    address = request.client.host if request.client else "unknown"
    user_key = sign_in_limits.user_key(user_name)
    return {
        sign_in_limits.address_key(address): limit(s.sign_in_max_failures_per_address),
        user_key: limit(s.sign_in_max_failures),
    }, user_key


async def _start_session(request: Request, user: User, via: str) -> Response:
    settings = request.app.state.settings
    session_id = await open_session(
        request.app.state.engine, user.id, via, timedelta(hours=settings.session_hours)
    )
    log.info("signed in", extra={"user": user.id, "via": via})
    response = RedirectResponse("/", status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        httponly=True,
        samesite="lax",  # sent on the top-level navigation back from the identity provider
        secure=secure_cookies(request),
        max_age=int(settings.session_hours * 3600),
    )
    response.delete_cookie(LOGIN_CSRF_COOKIE)
    return response


@router.post("/login")
async def login(
    request: Request,
    username: Annotated[str, Form(max_length=64)],
    password: Annotated[str, Form(max_length=1024)],
) -> Response:
    await check_login_form(request)
    engine = request.app.state.engine
    limits, user_key = _limits(request, username)
    wait = await sign_in_limits.retry_after(engine, list(limits))
    if wait:
        response = _login_page(request, 429, error="throttled", retry_after=wait)
        response.headers["Retry-After"] = str(wait)
        return response
    async with engine.connect() as conn:
        row = (await conn.execute(select(User).where(User.id == username.strip()))).first()
    user = User.model_validate(row._mapping) if row is not None else None
    # The hash check runs in a thread (it takes tens of milliseconds of CPU by design), and
    # runs also for an unknown user, so the answer's timing tells nothing.
    matches = await asyncio.to_thread(
        verify_password, user.password_hash if user is not None else None, password
    )
    if user is None or not matches or not user.active or not is_staff(user):
        await sign_in_limits.record_failure(engine, limits)
        log.info("sign-in refused", extra={"reason": "credentials or role"})
        return _login_page(request, 401, error="credentials", username=username)
    await sign_in_limits.clear(engine, user_key)
    if user.password_hash and needs_rehash(user.password_hash):
        new_hash = await asyncio.to_thread(hash_password, password)
        async with engine.begin() as conn:
            await conn.execute(
                update(User).where(User.id == user.id).values(password_hash=new_hash)
            )
    return await _start_session(request, user, "password")


@router.post("/logout")
async def logout(request: Request, signed: PostingSession) -> Response:
    await revoke(request.app.state.engine, signed.session_id)
    log.info("signed out", extra={"user": signed.user.id})
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE)
    return response


# ------------------------------------------------------------------ OpenID Connect
def _redirect_uri(request: Request) -> str:
    settings = request.app.state.settings
    return settings.oidc_redirect_url or f"{expected_origin(request)}/login/oidc/callback"


def _state_hash(state: str) -> str:
    return hashlib.sha256(state.encode("utf-8")).hexdigest()


@router.get("/login/oidc")
async def oidc_begin(request: Request) -> Response:
    settings = request.app.state.settings
    if not settings.oidc_enabled:
        return RedirectResponse("/login", status_code=303)
    try:
        begun = await oidc_start(settings, _redirect_uri(request))
    except OidcError as exc:
        log.warning("single sign-on unavailable", extra={"err": str(exc)})
        return RedirectResponse("/login?error=oidc_unavailable", status_code=303)
    now = datetime.now(UTC)
    async with request.app.state.engine.begin() as conn:
        await conn.execute(delete(OidcLogin).where(OidcLogin.created_at < now - OIDC_MAX_AGE))
        await conn.execute(
            OidcLogin.__table__.insert().values(
                state_hash=_state_hash(begun.state),
                nonce=begun.nonce,
                code_verifier=begun.code_verifier,
                next_path="/",
                created_at=now,
            )
        )
    response = RedirectResponse(begun.url, status_code=303)
    # Binds the answer to this browser: a state that arrives in another browser is refused.
    response.set_cookie(
        OIDC_STATE_COOKIE,
        begun.state,
        httponly=True,
        samesite="lax",  # the provider sends the browser back with a top-level GET
        secure=secure_cookies(request),
        max_age=int(OIDC_MAX_AGE.total_seconds()),
    )
    return response


@router.get("/login/oidc/callback")
async def oidc_callback(
    request: Request, state: str = "", code: str = "", error: str | None = None
) -> Response:
    settings = request.app.state.settings
    engine = request.app.state.engine
    cookie_state = request.cookies.get(OIDC_STATE_COOKIE, "")
    if not settings.oidc_enabled or error or not code or not state:
        return _oidc_failed("oidc")
    if not secrets.compare_digest(state, cookie_state):
        return _oidc_failed("oidc")
    async with engine.begin() as conn:
        row = (
            await conn.execute(
                delete(OidcLogin)
                .where(OidcLogin.state_hash == _state_hash(state))
                .returning(OidcLogin.nonce, OidcLogin.code_verifier, OidcLogin.created_at)
            )
        ).first()
    if row is None or row.created_at < datetime.now(UTC) - OIDC_MAX_AGE:
        return _oidc_failed("oidc")
    try:
        claims = await oidc_finish(
            settings, _redirect_uri(request), code, row.nonce, row.code_verifier
        )
    except OidcError as exc:
        log.warning("single sign-on refused", extra={"err": str(exc)})
        return _oidc_failed("oidc")
    claim = settings.oidc_user_claim
    name = claims.get(claim)
    column = User.email if claim == "email" else User.id
    user = None
    if isinstance(name, str) and name:
        async with engine.connect() as conn:
            found = (await conn.execute(select(User).where(column == name))).first()
        user = User.model_validate(found._mapping) if found is not None else None
    if user is None or not user.active or not is_staff(user):
        log.info("single sign-on for no active staff user", extra={"claim": claim})
        return _oidc_failed("oidc_unknown_user")
    response = await _start_session(request, user, "oidc")
    response.delete_cookie(OIDC_STATE_COOKIE)
    return response


def _oidc_failed(code: str) -> Response:
    response = RedirectResponse(f"/login?error={code}", status_code=303)
    response.delete_cookie(OIDC_STATE_COOKIE)
    return response
