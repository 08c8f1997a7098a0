"""Reviving a lost case: a new run of its workflow from the read model's last recorded state.

The reconciler marks a case lost when its workflow ended in Temporal (terminated, failed, timed
out, cancelled) or is missing while the read model still has it open. An administrator revives
it here (the API route and the pages' form share this one code path): the new run carries the
recorded state exactly as continue-as-new would, so every window keeps its original deadline
and the escalation chain its next climb; whatever fell due while the case was lost fires at
once, dated at its original deadline. The run records a `revived` event first (its sequence
follows the reconciler's `lost` event), and that record clears the lost mark.

Temporal itself refuses a second run over a completed one (ALLOW_DUPLICATE_FAILED_ONLY: only a
terminated, failed, cancelled or timed-out last run, or none, may be followed), and over a
running one, so a revive can never fork a live case or reopen an archived one.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime

from fastapi import HTTPException, status
from pydantic import TypeAdapter
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client, WorkflowUpdateRPCTimeoutOrCancelledError
from temporalio.common import WorkflowIDConflictPolicy, WorkflowIDReusePolicy
from temporalio.exceptions import WorkflowAlreadyStartedError

from api.deps import actor_of
from api.errors import ServiceUnavailable
from caseflow.db.models import CaseRow, User
from caseflow.domain import CaseState, LostStatus, Phase, Revival
from caseflow.domain.case_types import spec
from caseflow.intake import policy_request, revived_input
from caseflow.policy import PolicyBook, PolicyError
from caseflow.search_attributes import initial_search_attributes
from caseflow.settings import Settings

log = logging.getLogger("caseflow.api.revival")
_state = TypeAdapter(CaseState)
REVIVE_TIMEOUT_S = 30


async def revive_case(
    case_id: str,
    reason: str,
    user: User,
    engine: AsyncEngine,
    temporal: Client,
    settings: Settings,
    book: PolicyBook,
) -> CaseState:
    """Start the lost case's new run and return its state once the revival is recorded."""
    async with engine.connect() as conn:
        row = (
            await conn.execute(
                select(
                    CaseRow.state, CaseRow.phase, CaseRow.lost_status, CaseRow.lost_run_id
                ).where(CaseRow.case_id == case_id)
            )
        ).first()
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"case {case_id} not found")
    if row.phase == Phase.ARCHIVED.value:
        raise HTTPException(status.HTTP_409_CONFLICT, f"case {case_id} is archived")
    if row.lost_status is None:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"case {case_id} is not lost: the reconciler has not found its workflow ended",
        )
    state = _state.validate_python(row.state)
    try:
        policy = book.resolve(policy_request(state, state.policy_version))
    except PolicyError as exc:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"case {case_id} cannot be revived: its policy {state.policy_version} is not "
            f"available here ({exc})",
        ) from None
    revival = Revival(
        by=user.id,
        at=datetime.now(UTC),
        reason=reason,
        lost=LostStatus(row.lost_status),
        lost_run_id=row.lost_run_id,
    )
    inp = revived_input(
        state,
        policy,
        revival,
        actor_of(user),
        search_attributes=settings.search_attributes,
        limits=settings.history_limits(),
    )
    state = inp.carried.state
    try:
        handle = await temporal.start_workflow(
            spec(state.case_type).workflow,
            inp,
            id=case_id,
            task_queue=settings.task_queue,
            id_conflict_policy=WorkflowIDConflictPolicy.FAIL,
            id_reuse_policy=WorkflowIDReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
            search_attributes=(
                initial_search_attributes(state) if settings.search_attributes else None
            ),
        )
    except WorkflowAlreadyStartedError:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"case {case_id} has a running or completed workflow in Temporal: nothing to revive",
        ) from None
    log.warning(
        "case revived",
        extra={"case_id": case_id, "by": user.id, "lost": row.lost_status, "run": state.run},
    )
    try:
        return await asyncio.wait_for(
            handle.execute_update("opened", result_type=CaseState), REVIVE_TIMEOUT_S
        )
    except (TimeoutError, WorkflowUpdateRPCTimeoutOrCancelledError):
        raise ServiceUnavailable(
            f"case {case_id} was revived but its new run has not recorded it yet (is a worker "
            "running?); read the case again shortly"
        ) from None
