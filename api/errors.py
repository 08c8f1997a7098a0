"""Every failure becomes a 4xx/503 with a message that says what is wrong; never a bare 500."""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from temporalio.client import WorkflowUpdateFailedError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.routers.pages import NotSignedIn

log = logging.getLogger(__name__)

# Workflow validators raise ApplicationError with one of these types.
APPLICATION_ERROR_STATUS = {
    "InvalidState": status.HTTP_409_CONFLICT,
    "Forbidden": status.HTTP_403_FORBIDDEN,
    "InvalidInput": status.HTTP_422_UNPROCESSABLE_CONTENT,
}


class ServiceUnavailable(Exception):
    """A dependency (Temporal, PostgreSQL, a worker) did not answer in time."""


def _json(code: int, detail: str, **extra) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=code)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = []
        for err in exc.errors():
            where = ".".join(str(p) for p in err.get("loc", ()) if p != "body")
            problems.append(f"{where}: {err.get('msg')}" if where else str(err.get("msg")))
        return _json(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid request: " + "; ".join(problems),
            # The offending input is left out: it may carry a customer's personal data.
            errors=[
                {"loc": list(err.get("loc", ())), "msg": err.get("msg"), "type": err.get("type")}
                for err in exc.errors()
            ],
        )

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == status.HTTP_400_BAD_REQUEST:
            # FastAPI answers 400 for a body that is not JSON at all; it is invalid input.
            return _json(status.HTTP_422_UNPROCESSABLE_CONTENT,
                         f"invalid request: the body is not valid JSON ({exc.detail})")
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code,
                            headers=getattr(exc, "headers", None))

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update_failed(request: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            code = APPLICATION_ERROR_STATUS.get(cause.type or "", status.HTTP_409_CONFLICT)
            return _json(code, cause.message, reason=cause.type)
        return _json(status.HTTP_409_CONFLICT, f"action rejected: {cause or exc}")

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.NOT_FOUND:
            return _json(status.HTTP_404_NOT_FOUND, f"case not found in Temporal: {exc.message}")
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return _json(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the workflow service is unavailable; retry shortly",
            )
        log.error("temporal rpc failed", extra={"status": str(exc.status), "err": exc.message})
        return _json(status.HTTP_503_SERVICE_UNAVAILABLE, f"workflow service error: {exc.message}")

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return _json(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(OperationalError)
    @app.exception_handler(InterfaceError)
    @app.exception_handler(DBAPIError)
    @app.exception_handler(OSError)
    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", extra={"err": type(exc).__name__})
        return _json(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the case database is unavailable; nothing was changed, retry shortly",
        )

    @app.exception_handler(NotSignedIn)
    async def _sign_in(request: Request, exc: NotSignedIn) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)
