"""The FastAPI application: JSON API under /api/v1, pages for people at /, metrics, health."""

from __future__ import annotations

import json
import logging
import re
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import install_error_handlers
from api.openapi import install_openapi
from api.page_errors import install_page_handlers
from api.ratelimit import RateLimiter
from api.routers import (
    actions,
    admin_users,
    attachments,
    case_page,
    cases,
    codec,
    docs,
    floor,
    health,
    me,
    metrics,
    pages,
    personal_data,
    policy,
    reports,
    revive,
    sign_in,
    temporal_ui,
)
from api.schemas import ERROR_RESPONSES
from api.web_security import CodecCORS, PageSecurityHeaders
from caseflow.attachments import build_blob_store
from caseflow.case_numbers import CaseNumberBlock
from caseflow.db import make_engine
from caseflow.logging import setup_logging
from caseflow.policy import PolicyBook
from caseflow.security import TokenCache
from caseflow.settings import Settings, get_settings
from caseflow.temporal import connect

log = logging.getLogger("caseflow.api")
STATIC_DIR = Path(__file__).resolve().parent / "static"
UPLOAD_PATHS = re.compile(r"/api/v1/cases/[^/]+/attachments")


class BodyTooLarge(StarletteHTTPException):
    """Raised while the body streams in. An HTTPException so FastAPI's body parsing lets it
    through (it turns any other error there into a 400) and the JSON handler answers 413."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body larger than {max_bytes} bytes")


class BodyLimit:
    """Refuse request bodies over the limit with 413 before they are parsed (or reach a
    workflow), whether or not the client declared a Content-Length; and NUL in the URL."""

    def __init__(
        self, app: ASGIApp, max_bytes: int, uploads: re.Pattern | None = None, upload_bytes: int = 0
    ) -> None:
        self.app = app
        self.default_bytes = max_bytes
        self.uploads = uploads  # paths that take files: their own, larger cap
        self.upload_bytes = upload_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        upload = self.uploads is not None and scope.get("method") == "POST"
        upload = upload and self.uploads.fullmatch(scope.get("path", "")) is not None
        max_bytes = self.upload_bytes if upload else self.default_bytes
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            # NUL cannot be stored or matched in PostgreSQL text: refuse it as invalid input.
            await _reply(send, 422, "invalid request: NUL character in the URL")
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await _reply(send, 413, BodyTooLarge(max_bytes).detail)
            return
        seen = 0

        async def limited() -> Message:
            # Chunked uploads declare no length: count what actually arrives.
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > max_bytes:
                    raise BodyTooLarge(max_bytes)
            return message

        try:
            await self.app(scope, limited, send)
        except BodyTooLarge as exc:  # read outside a route (no exception handler ran)
            await _reply(send, exc.status_code, exc.detail)


async def _reply(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


def create_app(settings: Settings | None = None, book: PolicyBook | None = None) -> FastAPI:
    """The app for `settings` (default: the environment). Nothing connects here: the Temporal
    client, the database engine and the policy book are made in the lifespan, on start."""
    from_environment = settings is None
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        if from_environment:
            setup_logging(settings)  # the served app owns the process's logging; tests do not
        app.state.settings = settings
        # Invalid policy files stop the start here, naming the file and the problem.
        app.state.book = book or PolicyBook.load(settings.policy_dir, settings.policy_version)
        app.state.engine = make_engine(settings.database_url)
        app.state.case_numbers = CaseNumberBlock(
            app.state.engine, settings.case_number_block, app.state.book.active.timezone
        )
        app.state.token_cache = TokenCache(settings.auth_cache_seconds)
        app.state.limiter = RateLimiter(app.state.engine)
        app.state.blobs = build_blob_store(settings, app.state.engine)
        try:
            app.state.temporal = await connect(settings)
        except RuntimeError as exc:
            log.error(
                "cannot reach Temporal",
                extra={"temporal": settings.temporal_address, "err": str(exc)},
            )
            await app.state.engine.dispose()
            raise
        log.info(
            "api ready",
            extra={
                "temporal": settings.temporal_address,
                "task_queue": settings.task_queue,
                "policy_version": app.state.book.active_version,
            },
        )
        # The Temporal UI served at /temporal/ (api/routers/temporal_ui.py), when configured.
        app.state.temporal_ui = (
            temporal_ui.ui_client(settings.temporal_ui_upstream)
            if settings.temporal_ui_upstream
            else None
        )
        try:
            yield
        finally:
            if app.state.temporal_ui is not None:
                await app.state.temporal_ui.aclose()
            await app.state.engine.dispose()

    app = FastAPI(
        title="caseflow",
        version="0.1.0",
        summary="Telecom customer-service cases as durable Temporal workflows",
        description=(
            "Complaints, inquiries, unsubscribes, fault repairs (with outages) and service "
            "requests, each a Temporal workflow with SLA timers from the Chinese telecom "
            "service standards. Authenticate with "
            "`Authorization: Bearer <token>`; `caseflow dev` prints demo tokens.\n\n"
            'Errors are always `{"detail": "..."}`: 401 no or bad token, 403 role or '
            "department, 404 unknown case, 409 not allowed in the case's phase (or archived), "
            "413 body too large, 422 invalid input, 429 too many requests (see `Retry-After`), "
            "503 Temporal or PostgreSQL unreachable."
        ),
        lifespan=lifespan,
        docs_url=None,  # served by api/routers/docs.py from local files, not a CDN
        redoc_url=None,
    )
    install_error_handlers(app)
    install_openapi(app)
    install_page_handlers(app)
    for router in (
        personal_data.search_router,  # before cases: /cases/search is not a case id
        cases.router,
        actions.router,
        revive.router,
        attachments.router,
        reports.router,
        personal_data.router,
        policy.router,
        me.router,
    ):
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)
    app.include_router(codec.router, responses=ERROR_RESPONSES)
    if settings.temporal_ui_url:
        # The Temporal UI calls the codec endpoint from the browser, with the user's token;
        # no other path answers cross-origin requests.
        app.add_middleware(CodecCORS, origin=settings.temporal_ui_url)
    app.include_router(health.router)
    app.include_router(metrics.router)
    for router in (sign_in.router, floor.router, case_page.router, pages.router):
        app.include_router(router)
    app.include_router(temporal_ui.router)
    app.include_router(admin_users.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.include_router(docs.router)
    app.mount(docs.ASSETS_URL, docs.assets(), name="docs-assets")
    app.add_middleware(PageSecurityHeaders)
    app.add_middleware(
        BodyLimit,
        max_bytes=settings.max_body_bytes,
        uploads=UPLOAD_PATHS,
        # the file plus its multipart envelope; the route checks the file itself exactly
        upload_bytes=settings.attachment_max_bytes + 64 * 1024,
    )
    return app


# `uvicorn api.main:app`: configured from the environment; it connects only when it starts.
app = create_app()
