"""What an uploaded file is, from its first bytes (magic numbers), never from its name or the
Content-Type the client claims: a renamed executable is refused whatever it calls itself."""

from __future__ import annotations

import filetype

# Evidence a customer or an agent sends: photos and screenshots, and documents as PDF.
ALLOWED_TYPES: dict[str, str] = {
    "image/jpeg": "jpg",
    "image/png": "png",
    "image/gif": "gif",
    "image/webp": "webp",
    "image/heic": "heic",
    "application/pdf": "pdf",
}


class UnsupportedType(ValueError):
    """The bytes are not one of the allowed kinds (the message names what they look like)."""


def sniff(head: bytes) -> str:
    """The MIME type of a file whose first bytes are `head` (a few hundred suffice)."""
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ALLOWED_TYPES:
        seen = kind.mime if kind else "unrecognised content"
        allowed = ", ".join(sorted(ALLOWED_TYPES))
        raise UnsupportedType(f"file type {seen} is not accepted (accepted: {allowed})")
    return kind.mime
