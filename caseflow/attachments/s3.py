"""The attachment store in an S3-compatible bucket (AWS S3, MinIO, Alibaba Cloud OSS in its S3
mode), through boto3 (`pip install caseflow[s3]`). boto3 blocks, so each call runs in a worker
thread; objects carry no personal data in their keys (attachment ids only)."""

from __future__ import annotations

import asyncio

from caseflow.settings import Settings


class S3BlobStore:
    def __init__(self, client, bucket: str, prefix: str = "") -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = prefix

    @classmethod
    def from_settings(cls, settings: Settings) -> S3BlobStore:
        import boto3
        from botocore.config import Config

        if not settings.attachment_s3_bucket:
            raise ValueError("CASEFLOW_ATTACHMENT_STORE=s3 needs CASEFLOW_ATTACHMENT_S3_BUCKET")
        client = boto3.client(
            "s3",
            endpoint_url=settings.attachment_s3_endpoint,
            region_name=settings.attachment_s3_region,
            aws_access_key_id=settings.attachment_s3_access_key_id,
            aws_secret_access_key=settings.attachment_s3_secret_access_key,
            config=Config(retries={"max_attempts": 3, "mode": "standard"}),
        )
        return cls(client, settings.attachment_s3_bucket, settings.attachment_s3_prefix)

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    async def put(self, key: str, data: bytes, content_type: str) -> None:
        await asyncio.to_thread(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self._key(key),
            Body=data,
            ContentType=content_type,
        )

    async def get(self, key: str) -> bytes | None:
        def read() -> bytes | None:
            try:
                obj = self.client.get_object(Bucket=self.bucket, Key=self._key(key))
            except self.client.exceptions.NoSuchKey:
                return None
            return obj["Body"].read()

        return await asyncio.to_thread(read)

    async def delete(self, key: str) -> None:
        # S3 answers a delete of a missing key with success: retries need nothing more.
        await asyncio.to_thread(self.client.delete_object, Bucket=self.bucket, Key=self._key(key))
