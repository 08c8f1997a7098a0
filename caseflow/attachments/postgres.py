"""The attachment store in PostgreSQL (the embedded stack, small installations): one bytea
row per file in `attachment_blobs`."""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.db.models import AttachmentBlob


class PostgresBlobStore:
    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(
                insert(AttachmentBlob)
                .values(key=key, data=data)
                .on_conflict_do_update(index_elements=["key"], set_={"data": data})
            )

    async def get(self, key: str) -> bytes | None:
        async with self.engine.connect() as conn:
            row = (
                await conn.execute(select(AttachmentBlob.data).where(AttachmentBlob.key == key))
            ).first()
        return None if row is None else bytes(row.data)

    async def delete(self, key: str) -> None:
        async with self.engine.begin() as conn:
            await conn.execute(delete(AttachmentBlob).where(AttachmentBlob.key == key))
