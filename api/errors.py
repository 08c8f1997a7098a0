"""Every failure becomes a 4xx/503 whose `detail` says what is wrong; never a bare 500.

Bodies are always {"detail": "...", ...}: `reason` carries the workflow's error type and
`errors` the per-field problems of an invalid request.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, InterfaceError, OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from temporalio.client import WorkflowUpdateFailedError, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.exceptions import ApplicationError
from temporalio.service import RPCError, RPCStatusCode

from api.deps import NotSignedIn
from caseflow.domain.errors import RefusalKind

log = logging.getLogger(__name__)

# Workflow validators refuse with an ApplicationError whose type is a RefusalKind.
APPLICATION_ERROR_STATUS = {
    RefusalKind.INVALID_STATE.value: status.HTTP_409_CONFLICT,
    RefusalKind.FORBIDDEN.value: status.HTTP_403_FORBIDDEN,
    RefusalKind.INVALID_INPUT.value: status.HTTP_422_UNPROCESSABLE_CONTENT,
}
# Temporal's type for an update that was accepted but the workflow finished before answering it.
UPDATE_OUTLIVED_WORKFLOW = "AcceptedUpdateCompletedWorkflow"
# Temporal's NOT_FOUND messages for an update that met a workflow just closing or closed (as
# when 20 callbacks race to archive a case): the case exists, its workflow is over -> 409.
WORKFLOW_CLOSED_MESSAGES = ("already completed", "aborted by closing workflow")
UPDATE_ABORTED = "workflow update was aborted"
BUSY_RETRY_AFTER_S = 1


class ServiceUnavailable(Exception):
    """A dependency (Temporal, PostgreSQL, a worker) did not answer in time."""


def _json(
    http_status: int, detail: str, headers: dict[str, str] | None = None, **extra
) -> JSONResponse:
    return JSONResponse({"detail": detail, **extra}, status_code=http_status, headers=headers)


def _case(request: Request) -> str:
    return request.path_params.get("case_id") or "the case"


def _archived(request: Request) -> JSONResponse:
    return _json(
        status.HTTP_409_CONFLICT,
        f"case {_case(request)} is archived: its workflow has completed, no action applies",
        reason="Archived",
    )


def _field_problems(exc: RequestValidationError) -> list[str]:
    problems = []
    for err in exc.errors():
        loc = [str(p) for p in err.get("loc", ())]
        if loc and loc[0] == "body":
            loc = loc[1:] or ["body"]
        elif len(loc) > 1 and loc[0] in ("query", "path", "header"):
            loc = [f"{loc[0]} parameter {'.'.join(loc[1:])}"]
        problems.append(f"{'.'.join(loc)}: {err.get('msg')}" if loc else str(err.get("msg")))
    return problems


def _allowed_methods(request: Request) -> list[str]:
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches(request.scope)  # PARTIAL: the path fits, the method not
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= route.methods
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        return _json(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid request: " + "; ".join(_field_problems(exc)),
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
            return _json(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                f"invalid request: the body is not valid JSON ({exc.detail})",
            )
        headers = getattr(exc, "headers", None)
        if exc.status_code == status.HTTP_405_METHOD_NOT_ALLOWED:
            # Starlette names only the first route matching the path; a path served by several
            # routes (GET and POST /cases) allows the methods of all of them.
            headers = {**(headers or {}), "Allow": ", ".join(_allowed_methods(request))}
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=headers)

    @app.exception_handler(WorkflowUpdateFailedError)
    async def _update_failed(request: Request, exc: WorkflowUpdateFailedError) -> JSONResponse:
        cause = exc.cause
        if isinstance(cause, ApplicationError):
            if cause.type == UPDATE_OUTLIVED_WORKFLOW:
                return _archived(request)
            http_status = APPLICATION_ERROR_STATUS.get(cause.type or "")
            if http_status is None:
                # Not one of the validators' types: still the workflow's refusal, not ours.
                log.warning("unexpected update failure", extra={"type": cause.type})
                http_status = status.HTTP_409_CONFLICT
            # The refusal's stable code (caseflow.domain.errors), for pages that translate.
            code = str(cause.details[0]) if cause.details else None
            return _json(http_status, cause.message, reason=cause.type, code=code)
        return _json(status.HTTP_409_CONFLICT, f"action rejected: {cause or exc}")

    @app.exception_handler(WorkflowUpdateRPCTimeoutOrCancelledError)
    async def _update_timeout(
        request: Request, exc: WorkflowUpdateRPCTimeoutOrCancelledError
    ) -> JSONResponse:
        return _json(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            f"case {_case(request)} did not answer in time (is a worker running?); the action "
            "may still apply: check the case before retrying",
        )

    @app.exception_handler(RPCError)
    async def _rpc(request: Request, exc: RPCError) -> JSONResponse:
        if exc.status == RPCStatusCode.NOT_FOUND:
            if any(m in exc.message for m in WORKFLOW_CLOSED_MESSAGES):
                return _archived(request)  # the update reached a workflow that just finished
            return _json(
                status.HTTP_404_NOT_FOUND,
                f"case {_case(request)} not found in Temporal (a workflow's history is kept "
                "only for the namespace's retention period)",
            )
        if exc.status == RPCStatusCode.RESOURCE_EXHAUSTED or UPDATE_ABORTED in exc.message:
            # Temporal admits 10 updates in flight per workflow (and aborts queued ones when
            # the run's in-memory registry is lost under load): the case is busy, not broken.
            return _json(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"case {_case(request)} is busy with other actions; retry shortly",
                reason="Busy",
                headers={"Retry-After": str(BUSY_RETRY_AFTER_S)},
            )
        if exc.status in (RPCStatusCode.UNAVAILABLE, RPCStatusCode.DEADLINE_EXCEEDED):
            return _json(
                status.HTTP_503_SERVICE_UNAVAILABLE,
                "the workflow service (Temporal) is unavailable; retry shortly",
            )
        log.error("temporal rpc failed", extra={"status": exc.status.name, "err": exc.message})
        return _json(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the workflow service (Temporal) refused the call; retry shortly",
        )

    @app.exception_handler(ServiceUnavailable)
    async def _unavailable(request: Request, exc: ServiceUnavailable) -> JSONResponse:
        return _json(status.HTTP_503_SERVICE_UNAVAILABLE, str(exc))

    @app.exception_handler(DBAPIError)
    async def _db_error(request: Request, exc: DBAPIError) -> JSONResponse:
        if isinstance(exc, OperationalError | InterfaceError) or exc.connection_invalidated:
            return await _db_down(request, exc)
        if isinstance(exc, DataError):
            # PostgreSQL's message may quote the value (personal data): logged by type only.
            log.warning("value refused by the database", extra={"err": type(exc.orig).__name__})
            return _json(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "a value in the request cannot be stored (out of range or an invalid character)",
            )
        if isinstance(exc, IntegrityError):
            return _json(
                status.HTTP_409_CONFLICT, "the request conflicts with a concurrent change; retry"
            )
        log.error("database error", extra={"err": type(exc).__name__}, exc_info=exc)
        return _json(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the case database refused the request; nothing was changed, retry shortly",
        )

    # asyncpg raises plain OSError (connection refused, socket gone) while connecting.
    @app.exception_handler(OSError)
    async def _db_down(request: Request, exc: Exception) -> JSONResponse:
        log.warning("database unavailable", extra={"err": type(exc).__name__})
        return _json(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "the case database (PostgreSQL) is unavailable; nothing was changed, retry shortly",
        )

    @app.exception_handler(NotSignedIn)
    async def _sign_in(request: Request, exc: NotSignedIn) -> RedirectResponse:
        return RedirectResponse("/login", status_code=303)
