"""Evidence files on a case (000 §2.3, 001 §6.3.2): upload, list, download.

Who may: whoever may read the case (agents only their department's); an intake channel only
on cases it filed, and it lists and downloads only the files it uploaded itself. A file's type
is judged by its bytes; its size is capped (`CASEFLOW_ATTACHMENT_MAX_BYTES`). Actions refer to
files by id (`attachments` in note, resolve and feedback), checked to belong to the case.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, File, HTTPException, Request, Response, UploadFile, status
from pydantic import BaseModel

from api.deps import EngineDep, SettingsDep, UserDep
from api.routers.cases import check_can_read, load_state
from api.schemas import ErrorBody
from caseflow.attachments import ALLOWED_TYPES, AttachmentRecords, UnsupportedType, sniff
from caseflow.db.models import Attachment, User
from caseflow.domain import CaseState, Phase, Role
from caseflow.pii import UNMASKED_ROLES, record_access

router = APIRouter(prefix="/cases/{case_id}/attachments", tags=["attachments"])
CHUNK = 64 * 1024


class AttachmentView(BaseModel):
    id: str
    case_id: str
    filename: str
    content_type: str
    size: int
    sha256: str | None
    uploaded_by: str
    uploaded_role: str
    uploaded_at: datetime
    erased_at: datetime | None = None


def _records(request: Request) -> AttachmentRecords:
    return AttachmentRecords(request.app.state.engine, request.app.state.blobs)


def _check_channel(user: User, state: CaseState) -> None:
    """An intake channel acts for the customers whose cases it filed, no others."""
    if user.role == Role.CHANNEL.value and state.filed_by and state.filed_by != user.id:
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            f"case {state.case_id} was filed by another channel; a channel attaches files only "
            "to the cases it filed",
        )


def _visible(user: User, meta: Attachment) -> bool:
    # Channels see only what they gave; staff see everything on a case they may read.
    return user.role != Role.CHANNEL.value or meta.uploaded_by == user.id


async def _read_capped(upload: UploadFile, limit: int) -> bytes:
    chunks, size = [], 0
    while chunk := await upload.read(CHUNK):
        size += len(chunk)
        if size > limit:
            raise HTTPException(
                status.HTTP_413_CONTENT_TOO_LARGE, f"file larger than {limit} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


@router.post(
    "",
    status_code=status.HTTP_201_CREATED,
    response_model=AttachmentView,
    summary="Attach a file (image or PDF) to a case",
    description="Multipart upload, field `file`. Accepted: JPEG, PNG, GIF, WebP, HEIC and PDF, "
    "judged by the bytes (415 otherwise, whatever the name says); 413 over the size cap; 409 "
    "on an archived case. Answers with the attachment's id, to name in an action's "
    "`attachments`.",
    responses={415: {"model": ErrorBody, "description": "Not an accepted file type"}},
)
async def upload_attachment(
    case_id: str,
    request: Request,
    file: Annotated[UploadFile, File(description="The file")],
    user: UserDep,
    engine: EngineDep,
    settings: SettingsDep,
) -> AttachmentView:
    state = await load_state(engine, case_id)
    check_can_read(user, state)
    _check_channel(user, state)
    if state.phase == Phase.ARCHIVED:
        raise HTTPException(
            status.HTTP_409_CONFLICT, f"case {case_id} is archived; its record is closed"
        )
    data = await _read_capped(file, settings.attachment_max_bytes)
    try:
        content_type = sniff(data[:4096])
    except UnsupportedType as exc:
        raise HTTPException(status.HTTP_415_UNSUPPORTED_MEDIA_TYPE, str(exc)) from None
    meta = await _records(request).add(
        case_id, file.filename, content_type, data, user.id, user.role
    )
    return AttachmentView.model_validate(meta.model_dump())


@router.get(
    "",
    response_model=list[AttachmentView],
    summary="The case's attachments",
    description="Same read rights as the case; an intake channel sees only its own uploads.",
)
async def list_attachments(
    case_id: str, request: Request, user: UserDep, engine: EngineDep
) -> list[AttachmentView]:
    state = await load_state(engine, case_id)
    check_can_read(user, state)
    return [
        AttachmentView.model_validate(m.model_dump())
        for m in await _records(request).for_case(case_id)
        if _visible(user, m)
    ]


@router.get(
    "/{attachment_id}",
    summary="Download an attachment",
    description="The file as uploaded. 404 for a file of another case (or, for an intake "
    "channel, one it did not upload); 410 once retention or an erasure removed it. Staff "
    "downloads are written to the personal-data access log.",
    response_class=Response,
    responses={
        200: {"content": {mime: {} for mime in ALLOWED_TYPES}, "description": "The file"},
        410: {"model": ErrorBody, "description": "Erased by retention or on request"},
    },
)
async def download_attachment(
    case_id: str, attachment_id: str, request: Request, user: UserDep, engine: EngineDep
) -> Response:
    state = await load_state(engine, case_id)
    check_can_read(user, state)
    stored = await _records(request).fetch(case_id, attachment_id)
    if stored is None or not _visible(user, stored.meta):
        raise HTTPException(
            status.HTTP_404_NOT_FOUND, f"case {case_id} has no attachment {attachment_id}"
        )
    if stored.data is None:
        raise HTTPException(
            status.HTTP_410_GONE, f"attachment {attachment_id} was erased (retention or request)"
        )
    if Role(user.role) in UNMASKED_ROLES:
        await record_access(engine, case_id, user.id, user.role, "attachment download")
    name = stored.meta.filename
    return Response(
        stored.data,
        media_type=stored.meta.content_type,
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
        },
    )
