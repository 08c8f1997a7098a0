"""Who is signed in to the pages, and the checks on every form post.

A page request is signed in by its session cookie (caseflow.web_sessions), never by a bearer
token. Only staff (agents, supervisors, administrators) may use the pages. Every state-changing
page request must come from the pages' own origin (its Origin header, else its Referer) and
carry its session's CSRF token; the sign-in form, which has no session yet, carries a random
token that must match a cookie set with the form (double submit).
"""

from __future__ import annotations

import hmac
import secrets
from datetime import timedelta
from typing import Annotated
from urllib.parse import urlsplit

from fastapi import Depends, Request
from fastapi.responses import Response

from api.deps import NotSignedIn
from caseflow.db.models import User
from caseflow.domain import STAFF, Role
from caseflow.web_sessions import SignedIn, csrf_matches, session_user

SESSION_COOKIE = "caseflow_session"
LOGIN_CSRF_COOKIE = "caseflow_login_csrf"
CSRF_FIELD = "csrf_token"


class PageRefused(Exception):
    """A page request refused; rendered as a page in the reader's language. `code` picks the
    message from the catalog (context "refusal")."""

    def __init__(self, status_code: int, code: str, headers: dict[str, str] | None = None):
        super().__init__(code)
        self.status_code = status_code
        self.code = code
        self.headers = headers or {}


def is_staff(user: User) -> bool:
    return user.role in {r.value for r in STAFF}


def is_supervising(user: User) -> bool:
    return user.role in (Role.SUPERVISOR.value, Role.ADMIN.value)


async def page_session(request: Request) -> SignedIn:
    session_id = request.cookies.get(SESSION_COOKIE)
    signed = None
    if session_id and len(session_id) <= 200:
        settings = request.app.state.settings
        idle = timedelta(minutes=settings.session_idle_minutes)
        signed = await session_user(request.app.state.engine, session_id, idle)
    if signed is None or not is_staff(signed.user):
        raise NotSignedIn
    request.state.signed_in = signed
    return signed


async def page_user(signed: Annotated[SignedIn, Depends(page_session)]) -> User:
    return signed.user


PageUser = Annotated[User, Depends(page_user)]


def expected_origin(request: Request) -> str:
    public = request.app.state.settings.public_url
    if public:
        parts = urlsplit(public)
        return f"{parts.scheme}://{parts.netloc}".lower()
    return f"{request.url.scheme}://{request.headers.get('host', '')}".lower()


def _origin_of(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower() if parts.scheme and parts.netloc else ""


def check_same_origin(request: Request) -> None:
    """Refuse (403) a state-changing request that does not come from the pages themselves.
    Browsers send Origin with every POST; Referer is the fallback; with neither, refuse."""
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        origin = _origin_of(request.headers.get("referer", "")) or origin
    if not origin or origin.lower() != expected_origin(request):
        raise PageRefused(403, "cross_origin")


async def _form_token(request: Request) -> str | None:
    # Starlette caches the parsed form: the route's own Form parameters read it again freely.
    form = await request.form()
    value = form.get(CSRF_FIELD)
    return value if isinstance(value, str) else None


async def posting_session(
    request: Request, signed: Annotated[SignedIn, Depends(page_session)]
) -> SignedIn:
    check_same_origin(request)
    if not csrf_matches(signed.session_id, await _form_token(request)):
        raise PageRefused(403, "csrf")
    return signed


async def posting_user(signed: Annotated[SignedIn, Depends(posting_session)]) -> User:
    return signed.user


PostingUser = Annotated[User, Depends(posting_user)]
PostingSession = Annotated[SignedIn, Depends(posting_session)]


# ------------------------------------------------------------------ the sign-in form
def new_login_csrf(response: Response, secure: bool) -> str:
    token = secrets.token_urlsafe(32)
    response.set_cookie(
        LOGIN_CSRF_COOKIE, token, httponly=True, samesite="strict", secure=secure, max_age=3600
    )
    return token


async def check_login_form(request: Request) -> None:
    check_same_origin(request)
    cookie = request.cookies.get(LOGIN_CSRF_COOKIE) or ""
    field = await _form_token(request) or ""
    if not cookie or not hmac.compare_digest(cookie, field):
        raise PageRefused(403, "csrf")


def secure_cookies(request: Request) -> bool:
    """Cookies are Secure when the pages are served over HTTPS (directly or, with uvicorn's
    proxy headers, behind a TLS-terminating proxy), or when public_url says https."""
    public = request.app.state.settings.public_url or ""
    return request.url.scheme == "https" or public.startswith("https://")
