"""Bearer tokens: only their SHA-256 is stored, so a database dump reveals no credential."""

from __future__ import annotations

import hashlib
import secrets


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "cf_" + secrets.token_urlsafe(32)
