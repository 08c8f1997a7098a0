"""The FastAPI application: JSON API under /api/v1, pages for people at /, metrics, health."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from fastapi.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from api.errors import install_error_handlers
from api.routers import actions, cases, codec, health, me, metrics, pages, policy
from api.schemas import ERROR_RESPONSES
from caseflow.db import make_engine
from caseflow.logging import setup_logging
from caseflow.policy import PolicyBook, get_policy_book
from caseflow.settings import Settings, get_settings
from caseflow.temporal import connect

log = logging.getLogger("caseflow.api")
STATIC_DIR = Path(__file__).resolve().parent / "static"


class BodyLimit:
    """Refuse request bodies over the limit with 413 before they are parsed (or reach a
    workflow), whether or not the client declared a Content-Length; and NUL in the URL."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if "\x00" in scope.get("path", "") or b"%00" in scope.get("query_string", b""):
            # NUL cannot be stored or matched in PostgreSQL text: refuse it as invalid input.
            await _reply(send, 422, b'{"detail": "invalid request: NUL character in the URL"}')
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(send)
            return
        seen = 0

        async def limited() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise _TooLarge
            return message

        try:
            await self.app(scope, limited, send)
        except _TooLarge:
            await self._too_large(send)

    async def _too_large(self, send: Send) -> None:
        await _reply(send, 413, b'{"detail": "request body larger than %d bytes"}'
                     % self.max_bytes)


async def _reply(send: Send, status: int, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


class _TooLarge(Exception):
    pass


def create_app(
    settings: Settings | None = None, book: PolicyBook | None = None
) -> FastAPI:
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        app.state.settings = settings
        app.state.book = book or get_policy_book()  # invalid policy files stop the start here
        app.state.engine = make_engine(settings.database_url)
        app.state.temporal = await connect(settings)
        log.info("api ready", extra={"temporal": settings.temporal_address,
                                     "policy_version": app.state.book.active_version})
        try:
            yield
        finally:
            await app.state.engine.dispose()

    app = FastAPI(
        title="caseflow",
        version="0.1.0",
        summary="Telecom customer-service cases as durable Temporal workflows",
        description=(
            "Complaints, inquiries and unsubscribes, each a Temporal workflow with SLA timers "
            "from the Chinese telecom service standards. Authenticate with "
            "`Authorization: Bearer <token>`; `caseflow dev` prints demo tokens."
        ),
        lifespan=lifespan,
    )
    install_error_handlers(app)
    for router in (cases.router, actions.router, policy.router, me.router):
        app.include_router(router, prefix="/api/v1", responses=ERROR_RESPONSES)
    app.include_router(codec.router, responses=ERROR_RESPONSES)
    if settings.temporal_ui_url:
        # The Temporal UI calls the codec endpoint from the browser, with the user's token.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=[settings.temporal_ui_url.rstrip("/")],
            allow_methods=["POST"],
            allow_headers=["Authorization", "Content-Type", "X-Namespace"],
            allow_credentials=True,
        )
    app.include_router(health.router)
    app.include_router(metrics.router)
    app.include_router(pages.router)
    app.mount("/static", StaticFiles(directory=STATIC_DIR), name="static")
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    return app


def __getattr__(name: str) -> FastAPI:
    """`api.main:app` for uvicorn, built on first use from the environment, so importing this
    module (tests, tools) neither reads settings nor reconfigures logging."""
    if name != "app":
        raise AttributeError(name)
    global app
    settings = get_settings()
    setup_logging(settings)
    app = create_app(settings)
    return app
