"""Staff passwords: argon2id hashes (argon2-cffi's defaults, RFC 9106's low-memory profile).

Verification costs the same whether or not the user has a password, so the time a sign-in takes
does not tell which user names exist.
"""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_LENGTH = 8
MAX_LENGTH = 256  # hashing a megabyte-long "password" would be a cheap denial of service

_hasher = PasswordHasher()
# Checked when a user has no password (or no such user), to spend the same time as a real check.
_DUMMY_HASH = _hasher.hash("caseflow: no password is set for this user")


class WeakPassword(ValueError):
    """The password is too short or too long."""


def check_strength(password: str) -> None:
    if len(password) < MIN_LENGTH:
        raise WeakPassword(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise WeakPassword(f"a password has at most {MAX_LENGTH} characters")


def hash_password(password: str) -> str:
    check_strength(password)
    return _hasher.hash(password)


def verify_password(stored_hash: str | None, password: str) -> bool:
    """True when `password` matches; False otherwise, also for a user without a password."""
    if len(password) > MAX_LENGTH:
        return False
    try:
        return _hasher.verify(stored_hash or _DUMMY_HASH, password) and stored_hash is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(stored_hash: str) -> bool:
    """True when the hash was made with weaker parameters than today's: re-hash at sign-in."""
    try:
        return _hasher.check_needs_rehash(stored_hash)
    except InvalidHashError:
        return True
