"""Every payload of a Temporal history, decrypted and read as JSON.

Temporal's JSON form of a history holds payloads wherever the workflow's data went: inputs,
update arguments and results, local activities' results, signals, summaries (user metadata),
search attributes. Each is `{"metadata": {"encoding": <base64>, ...}, "data": <base64>}`;
encrypted ones (`binary/encrypted`) go through the payload codec first. A payload that cannot
be decrypted (a key this process does not have, a tampered one) becomes an `Undecodable`
value naming why, never an error: one bad payload does not hide a case's history.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from google.protobuf.json_format import ParseDict
from google.protobuf.json_format import ParseError as JsonParseError
from google.protobuf.message import DecodeError
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

from caseflow.codec import KeyError_


@dataclass(frozen=True)
class Decoded:
    """A payload read: its JSON value (None for Temporal's null)."""

    value: Any


@dataclass(frozen=True)
class Undecodable:
    """A payload that could not be read, and why (never its bytes)."""

    reason: str


def _is_payload(node: Any) -> bool:
    return (
        isinstance(node, dict)
        and isinstance(node.get("metadata"), dict)
        and "encoding" in node["metadata"]
        and set(node) <= {"metadata", "data", "externalPayloads"}
    )


def _value(payload: Payload) -> Decoded | Undecodable:
    encoding = payload.metadata.get("encoding", b"").decode(errors="replace")
    if encoding == "binary/null":
        return Decoded(None)
    if encoding in ("json/plain", "json/protobuf"):
        try:
            return Decoded(json.loads(payload.data))
        except ValueError:
            return Undecodable(f"not JSON ({encoding})")
    return Undecodable(f"{encoding or 'no encoding'}, {len(payload.data)} bytes")


async def _read(node: dict, codec: PayloadCodec | None) -> Decoded | Undecodable:
    try:
        payload = ParseDict(node, Payload())
    except (JsonParseError, binascii.Error, ValueError):
        return Undecodable("not a payload in Temporal's JSON")
    if codec is not None:
        try:
            payload = (await codec.decode([payload]))[0]
        except KeyError_:
            key = payload.metadata.get("encryption-key-id", b"").decode(errors="replace")
            return Undecodable(f"encrypted with key {key!r}, which this service does not have")
        except (InvalidTag, DecodeError, ValueError):
            return Undecodable("does not decrypt: tampered, truncated or not ours")
    return _value(payload)


async def decode_tree(node: Any, codec: PayloadCodec | None) -> Any:
    """A copy of `node` (Temporal's JSON) with every payload replaced by its value."""
    if _is_payload(node):
        return await _read(node, codec)
    if isinstance(node, dict):
        return {k: await decode_tree(v, codec) for k, v in node.items()}
    if isinstance(node, list):
        return [await decode_tree(v, codec) for v in node]
    return node


def plain(node: Any) -> Any:
    """A decoded tree's values as plain JSON (an undecodable payload as a note saying why)."""
    if isinstance(node, Decoded):
        return node.value
    if isinstance(node, Undecodable):
        return {"undecodable": node.reason}
    if isinstance(node, dict):
        return {k: plain(v) for k, v in node.items()}
    if isinstance(node, list):
        return [plain(v) for v in node]
    return node


def first_value(payloads: Any) -> Any:
    """The value of the first payload of a decoded `{"payloads": [...]}` (None if none)."""
    items = payloads.get("payloads") if isinstance(payloads, dict) else None
    return plain(items[0]) if items else None


def all_values(payloads: Any) -> list:
    items = payloads.get("payloads") if isinstance(payloads, dict) else None
    return [plain(p) for p in items or []]


def b64text(value: str) -> str:
    """A base64 metadata value as text (e.g. an encoding name)."""
    try:
        return base64.b64decode(value).decode(errors="replace")
    except (binascii.Error, ValueError):
        return value
