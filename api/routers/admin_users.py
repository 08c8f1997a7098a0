"""Administrators manage staff here: create a user with a password, change department, ladder
role, on-duty flag, contact and password, and deactivate a user, handing each of their open
cases to someone else through the `assign` action of that case (so the workflow records it,
notifies, and checks it like any other reassignment).

Intake channels are API clients with tokens (`caseflow user add`): they are listed but not
made here, and they never get a password.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert

from api.action_bodies import body_model
from api.action_runner import perform_action
from api.page_auth import PageUser, PostingUser
from api.page_render import gettext_for, render
from caseflow.db.models import CaseRow, Department, User
from caseflow.domain import OPEN_PHASES, STAFF, Role
from caseflow.domain.actions import ACTIONS
from caseflow.i18n import N_
from caseflow.passwords import WeakPassword, check_strength, hash_password
from caseflow.security import hash_token, new_token
from caseflow.web_sessions import revoke_all

log = logging.getLogger(__name__)
router = APIRouter(prefix="/admin/users", include_in_schema=False)
LADDER_ROLES = ("agent", "team_lead", "supervisor", "manager")
STAFF_ROLES = tuple(r.value for r in (Role.AGENT, Role.SUPERVISOR, Role.ADMIN))
USER_ID_PATTERN = r"^[A-Za-z0-9._-]{2,64}$"
DONE = {
    "created": N_("admin", "user created"),
    "updated": N_("admin", "user updated"),
    "deactivated": N_("admin", "user deactivated, open cases handed over"),
    "activated": N_("admin", "user active again"),
}


def _done(request: Request) -> str | None:
    source = DONE.get(request.query_params.get("done", ""))
    return gettext_for(request).pgettext("admin", source) if source else None


def _require_admin(user: User) -> None:
    if user.role != Role.ADMIN.value:
        raise HTTPException(403, "only administrators manage users")


async def _departments(request: Request) -> list[str]:
    async with request.app.state.engine.connect() as conn:
        return list((await conn.execute(select(Department.id).order_by(Department.id))).scalars())


async def _list_page(request: Request, user: User, status_code: int = 200, **ctx) -> Response:
    async with request.app.state.engine.connect() as conn:
        users = (await conn.execute(select(User).order_by(User.role, User.id))).all()
    return render(
        request,
        "admin_users.html",
        status_code=status_code,
        user=user,
        users=users,
        departments=await _departments(request),
        staff_roles=STAFF_ROLES,
        ladder_roles=LADDER_ROLES,
        done=_done(request),
        **ctx,
    )


@router.get("", response_class=HTMLResponse)
async def users_page(request: Request, user: PageUser) -> Response:
    _require_admin(user)
    return await _list_page(request, user)


def _checked(
    departments: list[str], role: str, department: str | None, ladder_role: str | None
) -> str | None:
    """The problem with these choices (a catalog code), or None."""
    if role not in STAFF_ROLES:
        return "bad_role"
    if department and department not in departments:
        return "bad_department"
    if role == Role.AGENT.value and not department:
        return "agent_department"
    if ladder_role and ladder_role not in LADDER_ROLES:
        return "bad_ladder_role"
    return None


@router.post("")
async def create_user(
    request: Request,
    user: PostingUser,
    user_id: Annotated[str, Form(pattern=USER_ID_PATTERN)],
    name: Annotated[str, Form(min_length=1, max_length=200)],
    role: Annotated[str, Form(max_length=32)],
    password: Annotated[str, Form(max_length=1024)],
    department: Annotated[str, Form(max_length=64)] = "",
    ladder_role: Annotated[str, Form(max_length=32)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
) -> Response:
    _require_admin(user)
    problem = _checked(await _departments(request), role, department, ladder_role)
    try:
        check_strength(password)
    except WeakPassword:
        problem = problem or "weak_password"
    async with request.app.state.engine.connect() as conn:
        exists = (await conn.execute(select(User.id).where(User.id == user_id))).first()
    if exists is not None:
        problem = problem or "user_exists"
    if problem:
        return await _list_page(request, user, 422, problem=problem)
    password_hash = await asyncio.to_thread(hash_password, password)
    async with request.app.state.engine.begin() as conn:
        await conn.execute(
            insert(User).values(
                id=user_id,
                name=name,
                role=role,
                department=department or None,
                # An API token nobody is shown: `caseflow user add` issues one when needed.
                token_hash=hash_token(new_token()),
                active=True,
                email=email or None,
                phone=phone or None,
                ladder_role=ladder_role or None,
                on_duty=True,
                password_hash=password_hash,
            )
        )
    log.info("user created", extra={"by": user.id, "user": user_id, "role": role})
    return RedirectResponse(f"/admin/users/{user_id}?done=created", status_code=303)


async def _load(request: Request, user_id: str) -> User:
    async with request.app.state.engine.connect() as conn:
        row = (await conn.execute(select(User).where(User.id == user_id))).first()
    if row is None:
        raise HTTPException(404, f"no user {user_id}")
    return User.model_validate(row._mapping)


async def _open_cases(request: Request, user_id: str) -> list[str]:
    async with request.app.state.engine.connect() as conn:
        return list(
            (
                await conn.execute(
                    select(CaseRow.case_id)
                    .where(
                        CaseRow.assignee == user_id,
                        CaseRow.phase.in_([p.value for p in OPEN_PHASES]),
                    )
                    .order_by(CaseRow.case_id)
                )
            ).scalars()
        )


async def _user_page(
    request: Request, user: User, target: User, status_code: int = 200, **ctx
) -> Response:
    async with request.app.state.engine.connect() as conn:
        others = (
            await conn.execute(
                select(User.id, User.name, User.department)
                .where(User.active, User.id != target.id, User.role.in_([r.value for r in STAFF]))
                .order_by(User.id)
            )
        ).all()
    return render(
        request,
        "admin_user.html",
        status_code=status_code,
        user=user,
        target=target,
        open_cases=await _open_cases(request, target.id),
        others=others,
        departments=await _departments(request),
        ladder_roles=LADDER_ROLES,
        done=_done(request),
        **ctx,
    )


@router.get("/{user_id}", response_class=HTMLResponse)
async def user_page(request: Request, user: PageUser, user_id: str) -> Response:
    _require_admin(user)
    return await _user_page(request, user, await _load(request, user_id))


@router.post("/{user_id}")
async def update_user(
    request: Request,
    user: PostingUser,
    user_id: str,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    department: Annotated[str, Form(max_length=64)] = "",
    ladder_role: Annotated[str, Form(max_length=32)] = "",
    on_duty: Annotated[str, Form(max_length=8)] = "",
    email: Annotated[str, Form(max_length=254)] = "",
    phone: Annotated[str, Form(max_length=32)] = "",
    password: Annotated[str, Form(max_length=1024)] = "",
) -> Response:
    _require_admin(user)
    target = await _load(request, user_id)
    departments = await _departments(request)
    problem = None
    if target.role in STAFF_ROLES:
        problem = _checked(departments, target.role, department, ladder_role)
    if password:
        try:
            check_strength(password)
        except WeakPassword:
            problem = problem or "weak_password"
        if target.role not in STAFF_ROLES:
            problem = problem or "channel_password"
    if problem:
        return await _user_page(request, user, target, 422, problem=problem)
    values = dict(
        name=name,
        department=department or None,
        ladder_role=ladder_role or None,
        on_duty=on_duty in ("true", "on", "1"),
        email=email or None,
        phone=phone or None,
    )
    if password:
        values["password_hash"] = await asyncio.to_thread(hash_password, password)
    async with request.app.state.engine.begin() as conn:
        await conn.execute(update(User).where(User.id == user_id).values(**values))
    if password:
        await revoke_all(request.app.state.engine, user_id)  # a new password signs out others
    log.info("user updated", extra={"by": user.id, "user": user_id})
    return RedirectResponse(f"/admin/users/{user_id}?done=updated", status_code=303)


@router.post("/{user_id}/deactivate")
async def deactivate_user(
    request: Request,
    user: PostingUser,
    user_id: str,
    reassign_to: Annotated[str, Form(max_length=64)] = "",
) -> Response:
    """Hand every open case of the user to `reassign_to` (each through its `assign` action),
    then deactivate the user and end their sessions. If any case cannot be handed over, the
    user stays active and the page lists the cases that are left."""
    _require_admin(user)
    target = await _load(request, user_id)
    if target.id == user.id:
        return await _user_page(request, user, target, 422, problem="self")
    cases = await _open_cases(request, target.id)
    if cases and not reassign_to:
        return await _user_page(request, user, target, 422, problem="reassign_needed")
    if cases:
        successor = await _load(request, reassign_to)
        if not successor.active or successor.role not in STAFF_ROLES or successor.id == target.id:
            return await _user_page(request, user, target, 422, problem="bad_successor")
    assign = ACTIONS["assign"]
    left: list[str] = []
    for case_id in cases:
        body: BaseModel = body_model(assign)(assignee=successor.id, department=successor.department)
        try:
            await perform_action(
                assign,
                case_id,
                body,
                user,
                request.app.state.engine,
                request.app.state.temporal,
                request.app.state.settings,
            )
        except Exception:  # noqa: BLE001 - any refusal: this case stays, the rest go on
            log.warning("case not reassigned", extra={"case_id": case_id, "user": user_id})
            left.append(case_id)
    if left:
        return await _user_page(request, user, target, 409, problem="not_reassigned", left=left)
    async with request.app.state.engine.begin() as conn:
        await conn.execute(update(User).where(User.id == user_id).values(active=False))
    await revoke_all(request.app.state.engine, user_id)
    log.info("user deactivated", extra={"by": user.id, "user": user_id, "reassigned": len(cases)})
    return RedirectResponse(f"/admin/users/{user_id}?done=deactivated", status_code=303)


@router.post("/{user_id}/activate")
async def activate_user(request: Request, user: PostingUser, user_id: str) -> Response:
    _require_admin(user)
    await _load(request, user_id)
    async with request.app.state.engine.begin() as conn:
        await conn.execute(update(User).where(User.id == user_id).values(active=True))
    log.info("user activated", extra={"by": user.id, "user": user_id})
    return RedirectResponse(f"/admin/users/{user_id}?done=activated", status_code=303)
