"""The attachment store behind its port: PostgreSQL, and an S3-compatible bucket (moto's S3
server on 127.0.0.1, spoken to over real HTTP by boto3). Both store, read back, and delete
idempotently."""

from __future__ import annotations

import socket
import uuid

import pytest

from caseflow.attachments.postgres import PostgresBlobStore
from caseflow.attachments.s3 import S3BlobStore
from caseflow.settings import Settings


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def s3_settings():
    pytest.importorskip("boto3")
    server_mod = pytest.importorskip("moto.server")
    port = _free_port()
    server = server_mod.ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    settings = Settings(
        attachment_store="s3",
        attachment_s3_bucket="evidence",
        attachment_s3_endpoint=f"http://127.0.0.1:{port}",
        attachment_s3_region="cn-north-1",
        attachment_s3_prefix="caseflow/",
        attachment_s3_access_key_id="test",
        attachment_s3_secret_access_key="test",
    )
    store = S3BlobStore.from_settings(settings)
    store.client.create_bucket(
        Bucket="evidence", CreateBucketConfiguration={"LocationConstraint": "cn-north-1"}
    )
    yield settings
    server.stop()


async def _round_trip(store) -> None:
    key = f"ATT-{uuid.uuid4().hex}"
    data = b"\x89PNG\r\n\x1a\n" + uuid.uuid4().bytes * 1000
    assert await store.get(key) is None
    await store.put(key, data, "image/png")
    assert await store.get(key) == data
    await store.delete(key)
    assert await store.get(key) is None
    await store.delete(key)  # a second delete is no error: erasure retries safely


async def test_postgres_store(db_engine):
    await _round_trip(PostgresBlobStore(db_engine))


async def test_s3_store(s3_settings):
    store = S3BlobStore.from_settings(s3_settings)
    await _round_trip(store)
    key = f"ATT-{uuid.uuid4().hex}"
    await store.put(key, b"%PDF-1.7", "application/pdf")
    head = store.client.head_object(Bucket="evidence", Key=f"caseflow/{key}")
    assert head["ContentType"] == "application/pdf"  # under the configured prefix


def test_s3_needs_a_bucket():
    with pytest.raises(ValueError, match="ATTACHMENT_S3_BUCKET"):
        S3BlobStore.from_settings(Settings(attachment_store="s3"))
