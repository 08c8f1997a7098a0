"""The SLA policy in force, as loaded and validated at start."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import BookDep, UserDep
from api.schemas import PolicyView

router = APIRouter(tags=["policy"])


@router.get(
    "/policy",
    response_model=PolicyView,
    summary="The active SLA policy",
    description="The policy new cases pin: version, time zone, warning ratio, business hours "
    "and calendar overrides, category routing, the escalation ladder and every window row "
    "(case type × severity × tier × channel × category; the most specific row wins per "
    "window). `known_versions` lists every loaded version: running cases keep the version "
    "they started with.",
)
async def get_policy(user: UserDep, book: BookDep) -> PolicyView:
    return PolicyView(
        **book.active.model_dump(mode="json"),
        known_versions=sorted(book.policies),
    )
