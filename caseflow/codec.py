"""Payload encryption for Temporal: AES-256-GCM with key ids, so keys can be rotated.

Every payload a client or worker sends to Temporal (case inputs with the customer's name and
phone, action arguments, results) is encrypted before it leaves the process; Temporal stores
only ciphertext. Old keys stay listed for decryption; new payloads use the active key.
Settings: CASEFLOW_PAYLOAD_KEYS="k2:<base64 32 bytes>,k1:<base64 32 bytes>" (first = active).
"""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from temporalio.api.common.v1 import Payload
from temporalio.converter import PayloadCodec

ENCODING = b"binary/encrypted"
KEY_ID = "encryption-key-id"


class KeyError_(ValueError):
    """A key setting is malformed, or a payload names a key we do not have."""


def parse_keys(setting: str, what: str = "payload") -> dict[str, bytes]:
    """ "id:base64,id:base64" -> {id: key}; the first id is the active one (dicts keep order).
    `what` names the setting in errors (payload keys, claim keys)."""
    keys: dict[str, bytes] = {}
    for part in filter(None, (p.strip() for p in setting.split(","))):
        key_id, sep, encoded = part.partition(":")
        if not sep or not key_id:
            raise KeyError_(f"{what} keys look like 'k1:<base64 of 32 bytes>,k0:...'")
        try:
            key = base64.b64decode(encoded, validate=True)
        except ValueError:
            raise KeyError_(f"{what} key {key_id!r} is not base64") from None
        if len(key) != 32:
            raise KeyError_(f"{what} key {key_id!r} must be 32 bytes")
        keys[key_id] = key
    if not keys:
        raise KeyError_(f"no {what} keys given")
    return keys


def new_key_setting(key_id: str = "k1") -> str:
    return f"{key_id}:{base64.b64encode(os.urandom(32)).decode()}"


class EncryptionCodec(PayloadCodec):
    def __init__(self, keys: dict[str, bytes]) -> None:
        self.keys = {k: AESGCM(v) for k, v in keys.items()}
        self.active = next(iter(keys))

    async def encode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            nonce = os.urandom(12)
            data = nonce + self.keys[self.active].encrypt(nonce, p.SerializeToString(), None)
            out.append(
                Payload(metadata={"encoding": ENCODING, KEY_ID: self.active.encode()}, data=data)
            )
        return out

    async def decode(self, payloads: Sequence[Payload]) -> list[Payload]:
        out = []
        for p in payloads:
            if p.metadata.get("encoding") != ENCODING:
                out.append(p)  # written before encryption was turned on
                continue
            key_id = p.metadata.get(KEY_ID, b"").decode()
            cipher = self.keys.get(key_id)
            if cipher is None:
                raise KeyError_(f"payload encrypted with unknown key {key_id!r}")
            out.append(Payload.FromString(cipher.decrypt(p.data[:12], p.data[12:], None)))
        return out
