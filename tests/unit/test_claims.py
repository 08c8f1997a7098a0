"""Signed actor claims (caseflow.claims): a claim signs one call to one case, with its content,
and nothing else; stale update claims and unknown keys are refused; a field added later at its
default does not break claims between versions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone

import pytest

from caseflow.claims import Call, Claim, ClaimError, ClaimKeys, canonical, sign, verify
from caseflow.codec import new_key_setting
from caseflow.domain import Actor, NoteAction, Role
from caseflow.settings import SettingError, Settings

KEYS = ClaimKeys.parse(new_key_setting("k1"))
NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
AGENT = Actor("agent.cs", Role.AGENT, "Li Na", "customer_service")


def note(text: str = "called back", actor: Actor = AGENT) -> Call:
    return Call("update", "CMP-1", "note", (NoteAction(actor, text),), "u-1")


def test_a_signed_call_verifies():
    call = note()
    verify(KEYS, sign(KEYS, call, NOW), call, NOW + timedelta(seconds=3))


@pytest.mark.parametrize(
    "other",
    [
        note(text="something else"),  # the content
        note(actor=Actor("admin", Role.ADMIN)),  # the actor
        Call("update", "CMP-2", "note", note().args, "u-1"),  # another case
        Call("update", "CMP-1", "resolve", note().args, "u-1"),  # another action
        Call("update", "CMP-1", "note", note().args, "u-2"),  # another update id
        Call("signal", "CMP-1", "note", note().args, "u-1"),  # another kind of call
    ],
)
def test_a_claim_signs_one_call_and_nothing_else(other):
    claim = sign(KEYS, note(), NOW)
    with pytest.raises(ClaimError, match="does not match"):
        verify(KEYS, claim, other, NOW)


def test_missing_stale_and_unknown_key_claims_are_refused():
    call = note()
    with pytest.raises(ClaimError, match="carries no signed claim"):
        verify(KEYS, None, call, NOW)
    with pytest.raises(ClaimError, match="too long ago"):
        verify(KEYS, sign(KEYS, call, NOW), call, NOW + timedelta(minutes=11))
    with pytest.raises(ClaimError, match="too long ago"):  # an update claim needs its time
        verify(KEYS, sign(KEYS, call), call, NOW)
    other = ClaimKeys.parse(new_key_setting("k9"))
    with pytest.raises(ClaimError, match="unknown key 'k9'"):
        verify(KEYS, sign(other, call, NOW), call, NOW)
    forged = Claim(kid="k1", mac="0" * 64, at=NOW)
    with pytest.raises(ClaimError, match="does not match"):
        verify(KEYS, forged, call, NOW)


def test_a_rotated_key_still_verifies_what_the_old_one_signed():
    old = ClaimKeys.parse(new_key_setting("k1"))
    rotated = ClaimKeys({"k2": b"\x01" * 32, **old.keys})  # k2 new and active, k1 kept
    call = note()
    verify(rotated, sign(old, call, NOW), call, NOW)
    assert sign(rotated, call, NOW).kid == "k2"


def test_the_header_round_trips_and_refuses_garbage():
    claim = sign(KEYS, note(), NOW)
    assert Claim.from_json(claim.to_json()) == claim
    for garbage in (b"", b"{}", b'{"v": 2, "kid": "k1", "mac": "x"}', b"not json"):
        with pytest.raises(ClaimError):
            Claim.from_json(garbage)


@dataclass
class Before:
    text: str


@dataclass
class After:
    text: str
    attachments: list[str] = field(default_factory=list)
    urgent: bool = False


def test_canonical_form_is_the_same_on_both_sides_of_the_wire():
    # The worker decodes the instant the API sent in another zone; the claim is the same.
    beijing = timezone(timedelta(hours=8))
    at = datetime(2026, 12, 1, 18, 0, tzinfo=beijing)
    assert canonical(at) == canonical(at.astimezone(UTC))
    # A field added with a default, at its default, leaves the claim as it was.
    assert canonical(After("x")) == canonical(Before("x"))
    assert canonical(After("x", urgent=True)) != canonical(Before("x"))
    with pytest.raises(TypeError, match="cannot sign"):
        canonical(object())


def test_the_key_setting_is_required_and_checked_in_words():
    with pytest.raises(SettingError, match="CASEFLOW_CLAIM_KEYS is not set.*caseflow keys"):
        Settings(claim_keys=None).claim_key_ring()
    with pytest.raises(SettingError, match="CASEFLOW_CLAIM_KEYS: claim key 'k1' must be 32"):
        Settings(claim_keys="k1:c2hvcnQ=").claim_key_ring()
    assert Settings(claim_keys=new_key_setting("k7")).claim_key_ring().active == "k7"
