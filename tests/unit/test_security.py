"""The API's token cache: remembers a user for its ttl, then asks again; bounded."""

from __future__ import annotations

from caseflow import security
from caseflow.security import TokenCache, hash_token


def test_a_remembered_user_expires_after_the_ttl(monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(security.time, "monotonic", lambda: now[0])
    cache = TokenCache[str](ttl=10)
    cache.put(hash_token("t"), "alice")
    now[0] += 9.9
    assert cache.get(hash_token("t")) == "alice"
    now[0] += 0.2
    assert cache.get(hash_token("t")) is None  # past the ttl: the caller asks the database


def test_ttl_zero_remembers_nothing():
    cache = TokenCache[str](ttl=0)
    cache.put("h", "alice")
    assert cache.get("h") is None


def test_the_cache_stays_bounded(monkeypatch):
    monkeypatch.setattr(TokenCache, "MAX_ENTRIES", 3)
    cache = TokenCache[str](ttl=60)
    for i in range(3):
        cache.put(f"h{i}", f"user{i}")
    cache.put("h3", "user3")  # full: it starts over rather than grow
    assert [cache.get(f"h{i}") for i in range(4)] == [None, None, None, "user3"]
