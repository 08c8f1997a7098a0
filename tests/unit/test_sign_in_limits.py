"""The backoff of failed sign-ins, and the password hashes (argon2id)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from caseflow.passwords import WeakPassword, hash_password, needs_rehash, verify_password
from caseflow.sign_in_limits import Limit, address_key, user_key


def test_blocks_start_at_the_limit_and_double_up_to_the_longest():
    limit = Limit(5, timedelta(seconds=30), timedelta(minutes=15), timedelta(minutes=15))
    assert [limit.block_for(n) for n in range(1, 5)] == [None] * 4
    seconds = [limit.block_for(n).total_seconds() for n in range(5, 12)]
    assert seconds == [30, 60, 120, 240, 480, 900, 900]
    assert limit.block_for(10_000) == timedelta(minutes=15)


def test_keys_are_hashed_and_user_names_case_insensitive():
    assert user_key("Agent.CS ") == user_key("agent.cs") != address_key("agent.cs")
    assert "agent" not in user_key("agent.cs") and len(user_key("x")) == 64


def test_password_hashes_are_argon2id_and_verify():
    stored = hash_password("correct horse")
    assert stored.startswith("$argon2id$") and not needs_rehash(stored)
    assert verify_password(stored, "correct horse")
    assert not verify_password(stored, "wrong horse")
    assert not verify_password(None, "anything")  # no password set: never a match
    assert not verify_password("not a hash", "anything")
    with pytest.raises(WeakPassword):
        hash_password("short")
