"""The SLA policy in force, as loaded and validated at start."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import BookDep, UserDep

router = APIRouter(tags=["policy"])


@router.get(
    "/policy",
    summary="The active SLA policy",
    description="Windows per case type, severity, tier, channel and category; the working-time "
    "calendar; the escalation ladder. New cases pin the active version; running cases keep "
    "the version they started with.",
)
async def get_policy(user: UserDep, book: BookDep) -> dict:
    return {
        "active_version": book.active_version,
        "known_versions": sorted(book.policies),
        "policy": book.active.model_dump(mode="json"),
    }
