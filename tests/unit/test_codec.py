"""The payload codec: AES-256-GCM round trip, key rotation by key id, clear errors."""

from __future__ import annotations

import pytest
from temporalio.api.common.v1 import Payload

from caseflow.codec import EncryptionCodec, KeyError_, new_key_setting, parse_keys


def payload(text: str) -> Payload:
    return Payload(metadata={"encoding": b"json/plain"}, data=text.encode())


async def test_round_trip_hides_the_data():
    codec = EncryptionCodec(parse_keys(new_key_setting("k1")))
    (sealed,) = await codec.encode([payload('{"phone": "13800138000"}')])
    assert b"13800138000" not in sealed.data and sealed.metadata["encryption-key-id"] == b"k1"
    (opened,) = await codec.decode([sealed])
    assert opened == payload('{"phone": "13800138000"}')


async def test_rotation_reads_old_payloads_and_writes_with_the_new_key():
    old = new_key_setting("k1")
    (sealed_old,) = await EncryptionCodec(parse_keys(old)).encode([payload("a")])
    rotated = EncryptionCodec(parse_keys(f"{new_key_setting('k2')},{old}"))
    assert (await rotated.decode([sealed_old]))[0] == payload("a")
    (sealed_new,) = await rotated.encode([payload("b")])
    assert sealed_new.metadata["encryption-key-id"] == b"k2"


async def test_unknown_key_and_bad_settings_are_clear_errors():
    (sealed,) = await EncryptionCodec(parse_keys(new_key_setting("k9"))).encode([payload("x")])
    with pytest.raises(KeyError_, match="unknown key 'k9'"):
        await EncryptionCodec(parse_keys(new_key_setting("k1"))).decode([sealed])
    with pytest.raises(KeyError_, match="32 bytes"):
        parse_keys("k1:c2hvcnQ=")
    with pytest.raises(KeyError_):
        parse_keys("nocolon")
    clear = payload("plain")
    assert (await EncryptionCodec(parse_keys(new_key_setting())).decode([clear])) == [clear]
