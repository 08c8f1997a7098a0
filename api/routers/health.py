"""Liveness and readiness: 200 only when PostgreSQL and Temporal both answer."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from sqlalchemy import text

from api.deps import EngineDep, TemporalDep

router = APIRouter(tags=["health"])


@router.get("/healthz", summary="Readiness: database and Temporal reachable")
async def healthz(engine: EngineDep, temporal: TemporalDep) -> JSONResponse:
    checks: dict[str, str] = {}
    try:
        async with asyncio.timeout(3):
            async with engine.connect() as conn:
                await conn.execute(text("SELECT 1"))
        checks["database"] = "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready"
        checks["database"] = f"unavailable: {type(exc).__name__}"
    try:
        async with asyncio.timeout(3):
            await temporal.service_client.check_health()
        checks["temporal"] = "ok"
    except Exception as exc:  # noqa: BLE001
        checks["temporal"] = f"unavailable: {type(exc).__name__}"
    ok = all(v == "ok" for v in checks.values())
    return JSONResponse(
        {"status": "ok" if ok else "degraded", **checks}, status_code=200 if ok else 503
    )
