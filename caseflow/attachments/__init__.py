"""Evidence files on cases (000 §2.3: screenshots, recordings; 001 §6.3.2: proof with the
result): what a file is, judged by its bytes; where the bytes live, behind one small port
(`BlobStore`: PostgreSQL for the embedded stack, an S3-compatible bucket in production); and
the record of each file (`AttachmentRecords`). Workflows hold attachment ids only."""

from caseflow.attachments.port import BlobStore, build_blob_store
from caseflow.attachments.records import AttachmentRecords, new_attachment_id
from caseflow.attachments.sniff import ALLOWED_TYPES, UnsupportedType, sniff

__all__ = [
    "ALLOWED_TYPES",
    "AttachmentRecords",
    "BlobStore",
    "UnsupportedType",
    "build_blob_store",
    "new_attachment_id",
    "sniff",
]
