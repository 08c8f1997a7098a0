"""Prometheus exposition, computed from the read model at scrape time."""

from __future__ import annotations

from fastapi import APIRouter, Response
from prometheus_client import CONTENT_TYPE_LATEST

from api.deps import EngineDep
from caseflow.metrics import render_metrics

router = APIRouter(include_in_schema=False)


@router.get("/metrics")
async def metrics(engine: EngineDep) -> Response:
    return Response(await render_metrics(engine), media_type=CONTENT_TYPE_LATEST)
