"""Temporal's event history of a case, one bounded page at a time.

A case continues as new before its run nears Temporal's limits, so its history is a list of
runs, each up to thousands of events. A page holds events of one run only, at most `limit` of
them. Temporal pages whole event batches (a page may come back longer than asked), so the
cursor names the run, Temporal's page token and how many events of that Temporal page were
already shown; the last page of a run points on to the first page of the next run.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import HTTPException, status
from google.protobuf.json_format import MessageToDict
from pydantic import BaseModel, Field
from temporalio.api.common.v1 import WorkflowExecution
from temporalio.api.history.v1 import History
from temporalio.api.workflowservice.v1 import GetWorkflowExecutionHistoryRequest
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode


class RunPage(BaseModel):
    run_id: str
    status: str | None
    start_time: str
    close_time: str | None
    history: dict[str, Any] = Field(description='Temporal\'s JSON: {"events": [...]}')


class HistoryPage(BaseModel):
    case_id: str
    runs: list[RunPage] = Field(description="The run this page's events belong to")
    run_ids: list[str] = Field(description="Every run Temporal still retains, oldest first")
    next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null: done")


def _bad_cursor() -> HTTPException:
    return HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, "invalid history cursor")


def encode_cursor(run_id: str, token: bytes, skip: int = 0) -> str:
    raw = json.dumps({"run": run_id, "token": base64.b64encode(token).decode(), "skip": skip})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[str, bytes, int]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        skip = int(raw.get("skip", 0))
        if skip < 0:
            raise ValueError(skip)
        return str(raw["run"]), base64.b64decode(raw["token"], validate=True), skip
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error):
        raise _bad_cursor() from None


async def case_runs(temporal: Client, case_id: str) -> list:
    """Every run of the case Temporal still retains, oldest first (all share the case id)."""
    query = f"WorkflowId = '{case_id.replace(chr(39), '')}'"
    runs = [run async for run in temporal.list_workflows(query)]
    return sorted(runs, key=lambda r: r.start_time)


async def history_page(
    temporal: Client, case_id: str, cursor: str | None, limit: int
) -> HistoryPage:
    runs = await case_runs(temporal, case_id)
    run_ids = [r.run_id for r in runs]
    if not runs:
        return HistoryPage(case_id=case_id, runs=[], run_ids=[], next_cursor=None)
    index, token, skip = 0, b"", 0
    if cursor:
        run_id, token, skip = decode_cursor(cursor)
        if run_id not in run_ids:
            raise _bad_cursor()
        index = run_ids.index(run_id)
    run = runs[index]
    try:
        resp = await temporal.workflow_service.get_workflow_execution_history(
            GetWorkflowExecutionHistoryRequest(
                namespace=temporal.namespace,
                execution=WorkflowExecution(workflow_id=case_id, run_id=run.run_id),
                maximum_page_size=limit,
                next_page_token=token,
            ),
            retry=True,
        )
    except RPCError as err:
        if err.status == RPCStatusCode.INVALID_ARGUMENT:
            raise _bad_cursor() from None
        raise
    events = list(resp.history.events)[skip:]
    if len(events) > limit:
        next_cursor = encode_cursor(run.run_id, token, skip + limit)
        events = events[:limit]
    elif resp.next_page_token:
        next_cursor = encode_cursor(run.run_id, resp.next_page_token)
    elif index + 1 < len(runs):
        next_cursor = encode_cursor(runs[index + 1].run_id, b"")
    else:
        next_cursor = None
    page = RunPage(
        run_id=run.run_id,
        status=run.status.name if run.status else None,
        start_time=run.start_time.isoformat(),
        close_time=run.close_time.isoformat() if run.close_time else None,
        history=MessageToDict(History(events=events)),
    )
    return HistoryPage(case_id=case_id, runs=[page], run_ids=run_ids, next_cursor=next_cursor)
