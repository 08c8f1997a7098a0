"""The Temporal UI, served under caseflow's own origin at /temporal/ to signed-in supervisors and
admins, read-only (CASEFLOW_TEMPORAL_UI_UPSTREAM; `caseflow dev` sets it).

Why: the UI decodes payloads by calling a codec endpoint from the browser, and has no way to
send caseflow credentials with those calls (the dev server takes only `--ui-codec-endpoint`;
forwarding a token needs the UI's own sign-in). Served here, the UI and `/codec` share one
origin, so the browser sends the supervisor's session cookie with each decode as a same-origin
request, and `/codec` checks it like any page request (api/routers/codec.py); without a staff
session `/codec` still answers 401.

What the proxy does:
- only staff sessions of supervisors and admins get through (others: sign-in, or 403);
- only reads: GET and HEAD, and the UI's read-only workflow queries; anything that would
  change a case (terminate, signal, reset, update, start) is refused with 405, since actions
  on cases go through caseflow, where they are checked and recorded;
- the UI's settings answer names this origin's `/codec` (whatever host the reader used) and
  turns the UI's write actions off, so it offers none;
- caseflow's own cookies never reach the UI server, and the UI's cookies stay under
  /temporal.
The UI server must run with public path /temporal (`--ui-public-path` on the dev server,
TEMPORAL_UI_PUBLIC_PATH for the temporalio/ui image).
"""

from __future__ import annotations

import json
import logging
import re

import httpx
from fastapi import APIRouter, HTTPException, Request, status
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.background import BackgroundTask

from api.deps import NotSignedIn
from api.page_auth import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    expected_origin,
    is_supervising,
    page_session,
)
from api.page_render import LANG_COOKIE
from caseflow.settings import TEMPORAL_UI_PATH

log = logging.getLogger("caseflow.api.temporal_ui")
router = APIRouter(include_in_schema=False)

HOP_BY_HOP = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailer",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "host",
    }
)
CASEFLOW_COOKIES = frozenset({SESSION_COOKIE, LOGIN_CSRF_COOKIE, LANG_COOKIE})
# Workflow queries read a workflow's state and change nothing; the UI runs them on its pages.
READ_ONLY_POSTS = re.compile(r"^/temporal/api/v1/namespaces/[^/]+/workflows/[^/]+/query/[^/]+$")
SETTINGS = f"{TEMPORAL_UI_PATH}/api/v1/settings"
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def ui_client(upstream: str) -> httpx.AsyncClient:
    """One connection pool to the UI server for the app's life (made in the lifespan)."""
    return httpx.AsyncClient(base_url=upstream.rstrip("/"), timeout=30.0)


def _cookie_header(value: str) -> str:
    kept = []
    for part in value.split(";"):
        name = part.split("=", 1)[0].strip()
        if name and name not in CASEFLOW_COOKIES:
            kept.append(part.strip())
    return "; ".join(kept)


def _request_headers(request: Request) -> list[tuple[str, str]]:
    headers = []
    for name, value in request.headers.items():
        lower = name.lower()
        if lower in HOP_BY_HOP or lower in ("authorization", "content-length"):
            continue
        if lower == "cookie":
            value = _cookie_header(value)
            if not value:
                continue
        headers.append((name, value))
    return headers


def _response_headers(upstream: httpx.Response) -> list[tuple[str, str]]:
    headers = []
    for name, value in upstream.headers.multi_items():
        lower = name.lower()
        if lower in HOP_BY_HOP:
            continue
        if lower == "set-cookie":  # the UI's cookies stay under its path
            value = re.sub(r"(?i)\bpath=/(;|$)", f"Path={TEMPORAL_UI_PATH}\\1", value)
        headers.append((name, value))
    headers.append(("referrer-policy", "same-origin"))
    return headers


async def _reader(request: Request, api: bool):
    """The signed-in supervisor or admin; a page request without a session goes to sign-in,
    the UI's own API calls get 401."""
    try:
        signed = await page_session(request)
    except NotSignedIn:
        if api:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "sign in to caseflow to use the Temporal UI"
            ) from None
        raise
    if not is_supervising(signed.user):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN, "only supervisors and admins use the Temporal UI"
        )
    return signed.user


def _settings(body: bytes, origin: str) -> dict:
    settings = json.loads(body)
    codec = settings.get("Codec") or {}
    codec.update(Endpoint=f"{origin}/codec", PassAccessToken=False, IncludeCredentials=False)
    settings["Codec"] = codec
    settings["DisableWriteActions"] = True
    return settings


@router.api_route(TEMPORAL_UI_PATH, methods=METHODS)
@router.api_route(TEMPORAL_UI_PATH + "/{path:path}", methods=METHODS)
async def temporal_ui(request: Request, path: str = "") -> Response:
    settings = request.app.state.settings
    client: httpx.AsyncClient | None = getattr(request.app.state, "temporal_ui", None)
    if not settings.temporal_ui_upstream or client is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            "the Temporal UI is not served here (set CASEFLOW_TEMPORAL_UI_UPSTREAM)",
        )
    url_path = request.url.path
    await _reader(request, api=url_path.startswith(f"{TEMPORAL_UI_PATH}/api/"))
    method = request.method
    allowed = method in ("GET", "HEAD") or (method == "POST" and READ_ONLY_POSTS.match(url_path))
    if not allowed:
        log.info("Temporal UI write refused", extra={"method": method, "path": url_path[:200]})
        return JSONResponse(
            {
                "detail": "the Temporal UI is read-only through caseflow: act on cases with "
                "caseflow's pages or API, where every action is checked and recorded"
            },
            status_code=status.HTTP_405_METHOD_NOT_ALLOWED,
            headers={"Allow": "GET, HEAD"},
        )
    upstream_request = client.build_request(
        method,
        url_path,
        params=request.url.query or None,
        headers=_request_headers(request),
        content=await request.body() if method == "POST" else None,
    )
    try:
        upstream = await client.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        log.warning("Temporal UI unreachable", extra={"err": type(exc).__name__})
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the Temporal UI server does not answer; try again shortly",
        ) from None
    if url_path == SETTINGS and upstream.status_code == 200:
        body = await upstream.aread()
        await upstream.aclose()
        return JSONResponse(
            _settings(body, expected_origin(request)), headers={"Cache-Control": "no-store"}
        )
    response = StreamingResponse(
        upstream.aiter_raw(),
        status_code=upstream.status_code,
        background=BackgroundTask(upstream.aclose),
    )
    # As the UI sent them, repeated ones (Set-Cookie, Vary) included.
    response.raw_headers = [
        (name.lower().encode("latin-1"), value.encode("latin-1"))
        for name, value in _response_headers(upstream)
    ]
    return response
