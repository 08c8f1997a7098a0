"""The record of each attachment: which case, what file, who gave it, when; and the checks the
API makes before a workflow ever sees an attachment id."""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.attachments.port import BlobStore
from caseflow.db.models import Attachment

_UNSAFE = re.compile(r"[\x00-\x1f\x7f/\\\"]")


def new_attachment_id() -> str:
    return f"ATT-{uuid.uuid4().hex}"


def clean_filename(name: str | None, fallback: str) -> str:
    """A name safe to show and to put in a Content-Disposition header: no path, no control
    characters or quotes, at most 200 characters."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = _UNSAFE.sub("_", base).strip(" .")
    return base[:200] or fallback


@dataclass
class StoredFile:
    meta: Attachment
    data: bytes | None  # None once erased


class AttachmentRecords:
    def __init__(self, engine: AsyncEngine, blobs: BlobStore) -> None:
        self.engine = engine
        self.blobs = blobs

    async def add(
        self,
        case_id: str,
        filename: str | None,
        content_type: str,
        data: bytes,
        uploaded_by: str,
        uploaded_role: str,
    ) -> Attachment:
        """Store the bytes first, then the record: a record never points at missing bytes
        (a failure in between leaves only unreferenced bytes under a fresh id)."""
        attachment_id = new_attachment_id()
        extension = content_type.rsplit("/", 1)[-1]
        meta = Attachment(
            id=attachment_id,
            case_id=case_id,
            filename=clean_filename(filename, f"{attachment_id}.{extension}"),
            content_type=content_type,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=uploaded_by,
            uploaded_role=uploaded_role,
            uploaded_at=datetime.now(UTC),
            erased_at=None,
        )
        await self.blobs.put(attachment_id, data, content_type)
        async with self.engine.begin() as conn:
            await conn.execute(Attachment.__table__.insert().values(**meta.model_dump()))
        return meta

    async def for_case(self, case_id: str) -> list[Attachment]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(Attachment)
                .where(Attachment.case_id == case_id)
                .order_by(Attachment.uploaded_at, Attachment.id)
            )
            return [Attachment.model_validate(r._mapping) for r in rows]

    async def fetch(self, case_id: str, attachment_id: str) -> StoredFile | None:
        """The file, if it belongs to `case_id` (None otherwise: ids do not leak across cases)."""
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(
                    select(Attachment).where(
                        Attachment.id == attachment_id, Attachment.case_id == case_id
                    )
                )
            ).first()
        if row is None:
            return None
        meta = Attachment.model_validate(row._mapping)
        data = None if meta.erased_at else await self.blobs.get(attachment_id)
        return StoredFile(meta, data)


async def missing_attachments(engine: AsyncEngine, case_id: str, ids: list[str]) -> list[str]:
    """The ids among `ids` that are not live attachments of `case_id` (unknown, another
    case's, or erased), in the order given."""
    if not ids:
        return []
    async with engine.connect() as conn:
        found = set(
            (
                await conn.execute(
                    select(Attachment.id).where(
                        Attachment.id.in_(ids),
                        Attachment.case_id == case_id,
                        Attachment.erased_at.is_(None),
                    )
                )
            ).scalars()
        )
    return [i for i in ids if i not in found]
