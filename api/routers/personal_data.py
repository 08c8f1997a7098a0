"""One customer's data by phone: staff's phone search, and personal-data requests under the
PIPL (an export of everything held, and an erasure before the retention period where the law
allows). The phone travels in the request body, never in a URL, so access logs never hold it;
every search and export is written to the personal-data access log, every erasure to the
case's audit trail."""

from __future__ import annotations

import io
import logging
import re
import zipfile
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field

from api.action_bodies import Body
from api.deps import EngineDep, UserDep, require_role
from caseflow.domain import STAFF, Role
from caseflow.pii import record_access
from caseflow.readmodel.customers import cases_of_phone, erase_customer, export_customer

log = logging.getLogger("caseflow.api.personal_data")
search_router = APIRouter(prefix="/cases", tags=["cases"])
router = APIRouter(prefix="/personal-data", tags=["personal data"])
ADMINS = frozenset({Role.ADMIN})

Phone = Annotated[str, Field(pattern=r"^\+?[0-9]{5,20}$", examples=["13800138000"])]
Reference = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="The verified request's reference (ticket number), kept in the audit",
        examples=["PIPL-2026-0042"],
    ),
]


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", name)


class PhoneSearch(Body):
    phone: Phone


class FoundCase(BaseModel):
    case_id: str
    type: str
    phase: str
    category: str | None
    department: str | None
    assignee: str | None
    opened_at: datetime
    closed_at: datetime | None
    repeat_of: str | None = Field(description="The earlier complaint this one repeats")


@search_router.post(
    "/search",
    response_model=list[FoundCase],
    summary="Find a customer's cases by phone (staff)",
    description="Exact match on the customer's phone, newest first (at most 200); agents see "
    "their department's cases only. Every search is written to the personal-data access log, "
    "one row per case found (or one with no case when nothing matched).",
)
async def search_by_phone(body: PhoneSearch, user: UserDep, engine: EngineDep) -> list[FoundCase]:
    require_role(user, STAFF, "search cases by the customer's phone")
    found = await cases_of_phone(engine, body.phone)
    if user.role == Role.AGENT.value:
        found = [c for c in found if c["department"] == user.department]
    for case in found or [{"case_id": ""}]:
        await record_access(engine, case["case_id"], user.id, user.role, "phone search")
    log.info("phone search", extra={"user": user.id, "found": len(found)})
    return [FoundCase.model_validate(c) for c in found]


class ExportRequest(Body):
    phone: Phone
    request_ref: Reference


class ErasureRequest(Body):
    phone: Phone
    request_ref: Reference
    legal_basis: Annotated[
        str,
        Field(
            min_length=1,
            max_length=500,
            description="Why the law allows erasure before the retention period ends (e.g. "
            "PIPL art. 47: consent withdrawn, the purpose achieved); kept in the audit",
        ),
    ]


class ErasureView(BaseModel):
    erased: list[str]
    already: list[str]


@router.post(
    "/export",
    summary="Everything held about one customer, as a ZIP (admins)",
    description="For a verified personal-data request: `customer.json` (every case of the "
    "phone with its snapshot, audit trail, notifications, attachments' records, "
    "termination records and the stored readable history of its closed Temporal runs) and "
    "`attachments/<id>-<name>` with the files. Written to the "
    "personal-data access log for each case.",
    response_class=Response,
    responses={200: {"content": {"application/zip": {}}, "description": "The archive"}},
)
async def export(
    body: ExportRequest, request: Request, user: UserDep, engine: EngineDep
) -> Response:
    require_role(user, ADMINS, "export a customer's personal data")
    data = await export_customer(engine, request.app.state.blobs, body.phone)
    if not data.cases:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no case holds this phone")
    names = {m["id"]: m["filename"] for entry in data.cases for m in entry["attachments"]}
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("customer.json", data.json())
        for attachment_id, content in data.files.items():
            archive.writestr(f"attachments/{attachment_id}-{names[attachment_id]}", content)
    for entry in data.cases:
        await record_access(
            engine,
            entry["case"]["case_id"],
            user.id,
            user.role,
            f"personal-data export {body.request_ref}"[:80],
        )
    log.info("personal data exported", extra={"user": user.id, "cases": len(data.cases)})
    return Response(
        out.getvalue(),
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{_safe(body.request_ref)}.zip"'},
    )


@router.post(
    "/erase",
    response_model=ErasureView,
    summary="Erase one customer's personal data before the retention period (admins)",
    description="Where the law allows it (give the basis): every archived case of the phone "
    "loses the customer's personal data in every copy, exactly as retention does, each with "
    "an `erased` audit event naming the request. 409, with nothing erased, while any of the "
    "customer's cases is open (its workflow still holds the data): close it first. The stored "
    "readable histories of the cases' runs are anonymised too; Temporal keeps the closed "
    "workflows' encrypted histories until its namespace retention ends.",
)
async def erase(
    body: ErasureRequest, request: Request, user: UserDep, engine: EngineDep
) -> ErasureView:
    require_role(user, ADMINS, "erase a customer's personal data")
    result = await erase_customer(
        engine,
        request.app.state.blobs,
        body.phone,
        request_ref=body.request_ref,
        basis=body.legal_basis,
        actor_id=user.id,
        actor_role=user.role,
    )
    if result.open:
        raise HTTPException(
            status.HTTP_409_CONFLICT,
            f"the customer has open cases ({', '.join(result.open)}); close them before "
            "erasing: nothing was erased",
        )
    if not result.erased and not result.already:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "no case holds this phone")
    log.info("personal data erased", extra={"user": user.id, "cases": len(result.erased)})
    return ErasureView(erased=result.erased, already=result.already)
