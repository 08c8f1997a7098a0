"""Bearer tokens: only their SHA-256 is stored, so a database dump reveals no credential."""

from __future__ import annotations

import hashlib
import secrets
import time
from typing import Generic, TypeVar

T = TypeVar("T")


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "cf_" + secrets.token_urlsafe(32)


class TokenCache(Generic[T]):
    """Who a token belongs to, remembered for `ttl` seconds so that most requests authenticate
    without a database round trip. The price: a deactivated user is refused at the latest
    `ttl` seconds later. ttl = 0 looks the token up on every request."""

    MAX_ENTRIES = 10_000  # bounded: a flood of distinct tokens only ever empties it

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self._entries: dict[str, tuple[float, T]] = {}

    def get(self, token_hash: str) -> T | None:
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        if entry[0] <= time.monotonic():
            del self._entries[token_hash]
            return None
        return entry[1]

    def put(self, token_hash: str, value: T) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.MAX_ENTRIES:
            self._entries.clear()
        self._entries[token_hash] = (time.monotonic() + self.ttl, value)
