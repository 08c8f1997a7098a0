"""Signed actor claims: the actor an action names is the one the API authenticated.

Anyone who can reach Temporal's frontend can send a case an update naming any actor
(`{"user_id": "anyone", "role": "admin"}`), start a case as any channel, or send a case the
signals cases send each other. Payload encryption does not stop that: `/codec/encode` gives a
supervisor valid ciphertext for any claim. So the API signs what it sends: an HMAC over the
case (workflow id), the kind and name of the call, its update id, when it was issued and a
digest of its arguments (the actor among them), with a key it shares with the workers only
(`CASEFLOW_CLAIM_KEYS`, never used by `/codec`). The workers check it before anything enters
the case's history (caseflow.claim_interceptors).

Pure functions (hmac and json only): the workers call them inside workflow code.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import Enum
from typing import Any

from caseflow.codec import parse_keys

HEADER = "caseflow-claim"  # the Temporal header the claim travels in
VERSION = 1
# How far an update's issue time may lie from the case's clock: an update is delivered within
# seconds; a captured claim is worthless after this (and only repeats the same call before it).
MAX_SKEW = timedelta(minutes=10)


class ClaimError(Exception):
    """Why a claim is refused (a message without personal data: ids and names of calls)."""


@dataclass(frozen=True)
class ClaimKeys:
    """The active key signs; every listed key verifies (list the old one while rotating)."""

    keys: dict[str, bytes]

    @property
    def active(self) -> str:
        return next(iter(self.keys))

    @classmethod
    def parse(cls, setting: str) -> ClaimKeys:
        return cls(parse_keys(setting, "claim"))


@dataclass(frozen=True)
class Claim:
    """What travels in the header: the key id, the issue time (updates) and the MAC."""

    kid: str
    mac: str
    at: datetime | None = None

    def to_json(self) -> bytes:
        at = self.at.astimezone(UTC).isoformat() if self.at else None
        return json.dumps({"v": VERSION, "kid": self.kid, "at": at, "mac": self.mac}).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Claim:
        try:
            raw = json.loads(data)
            at = datetime.fromisoformat(raw["at"]) if raw.get("at") else None
            if raw.get("v") != VERSION:
                raise ClaimError(f"claim version {raw.get('v')!r} is not {VERSION}")
            return cls(kid=str(raw["kid"]), mac=str(raw["mac"]), at=at)
        except (ValueError, KeyError, TypeError) as exc:
            raise ClaimError("the claim header is malformed") from exc


@dataclass(frozen=True)
class Call:
    """What a claim is about: `kind` is start, update or signal; `name` the workflow type,
    update or signal name; `update_id` binds an update to Temporal's deduplication."""

    kind: str
    workflow_id: str
    name: str
    args: tuple[Any, ...]
    update_id: str | None = None


def sign(keys: ClaimKeys, call: Call, at: datetime | None = None) -> Claim:
    kid = keys.active
    return Claim(kid=kid, mac=_mac(keys.keys[kid], call, at), at=at)


def verify(
    keys: ClaimKeys,
    claim: Claim | None,
    call: Call,
    now: datetime | None = None,
    max_age: timedelta = MAX_SKEW,
) -> None:
    """Raises ClaimError unless `claim` signs `call`; with `now`, also unless it was issued
    within `max_age` of it."""
    if claim is None:
        raise ClaimError(f"{call.kind} {call.name!r} carries no signed claim")
    key = keys.keys.get(claim.kid)
    if key is None:
        raise ClaimError(f"{call.kind} {call.name!r} is signed with an unknown key {claim.kid!r}")
    if not hmac.compare_digest(_mac(key, call, claim.at), claim.mac):
        raise ClaimError(f"{call.kind} {call.name!r} does not match its signature")
    if now is not None and (claim.at is None or abs(now - claim.at) > max_age):
        raise ClaimError(f"{call.kind} {call.name!r} was signed too long ago")


def _mac(key: bytes, call: Call, at: datetime | None) -> str:
    digest = hashlib.sha256(
        json.dumps(canonical(list(call.args)), sort_keys=True, separators=(",", ":")).encode()
    ).hexdigest()
    issued = at.astimezone(UTC).isoformat() if at else ""
    text = "\n".join(
        (str(VERSION), call.kind, call.workflow_id, call.name, call.update_id or "", issued, digest)
    )
    return hmac.new(key, text.encode(), hashlib.sha256).hexdigest()


def canonical(value: Any) -> Any:
    """A JSON value that is the same on both sides of the wire: the API's objects and the
    worker's, decoded from JSON. Datetimes in UTC; dataclass fields at their default left out,
    so a field added with a default does not break claims between versions."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: canonical(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if not _at_default(f, getattr(value, f.name))
        }
    if isinstance(value, Enum):
        return canonical(value.value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat() if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(canonical(k)): canonical(v) for k, v in value.items()}
    if isinstance(value, set | frozenset):
        return sorted((canonical(v) for v in value), key=json.dumps)
    if isinstance(value, list | tuple):
        return [canonical(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    raise TypeError(f"cannot sign a {type(value).__name__}")


def _at_default(f: dataclasses.Field, value: Any) -> bool:
    if f.default is not dataclasses.MISSING:
        return value == f.default
    if f.default_factory is not dataclasses.MISSING:
        return value == f.default_factory()
    return False
