"""The attachment store: where the bytes of evidence files live (never in Temporal).

Keys are attachment ids. `delete` of a missing key is not an error, so retention and erasure
can be retried after any failure."""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.settings import Settings


class BlobStore(Protocol):
    async def put(self, key: str, data: bytes, content_type: str) -> None: ...

    async def get(self, key: str) -> bytes | None: ...

    async def delete(self, key: str) -> None: ...


def build_blob_store(settings: Settings, engine: AsyncEngine) -> BlobStore:
    """The store the settings name: "postgres" (the read model's database) or "s3"."""
    if settings.attachment_store == "s3":
        from caseflow.attachments.s3 import S3BlobStore  # boto3 only where it is used

        return S3BlobStore.from_settings(settings)
    from caseflow.attachments.postgres import PostgresBlobStore

    return PostgresBlobStore(engine)
