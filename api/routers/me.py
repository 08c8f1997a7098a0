"""Who am I: the user behind the bearer token."""

from __future__ import annotations

from fastapi import APIRouter

from api.deps import UserDep
from api.schemas import UserView

router = APIRouter(tags=["users"])


@router.get("/me", response_model=UserView, summary="The signed-in user")
async def me(user: UserDep) -> UserView:
    return UserView(id=user.id, name=user.name, role=user.role, department=user.department)
