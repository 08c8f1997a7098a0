"""The scrubber masks a case's personal values wherever they appear in text a channel reads,
and nothing else (case numbers, times and ordinary numbers stay as they are)."""

from __future__ import annotations

from datetime import UTC, datetime

from api.access import Scrubber
from api.history_pages import decode_cursor, encode_cursor
from caseflow.domain import CaseState, CaseType, Channel, Customer, FaultRecord, Phase

NOW = datetime(2026, 12, 1, tzinfo=UTC)


def _state() -> CaseState:
    return CaseState(
        case_id="FLT-20261201-000123",
        case_type=CaseType.FAULT,
        phase=Phase.NEW,
        customer=Customer(name="王五", phone="13812345678", customer_id="ID-77"),
        channel=Channel.PHONE,
        reply_channel=Channel.PHONE,
        description="x",
        department="network_ops",
        assignee=None,
        policy_version="2026.2",
        opened_at=NOW,
        updated_at=NOW,
        fault=FaultRecord(service_number="021-55501234", location="张江"),
    )


def test_known_values_and_any_mobile_or_id_number_are_masked():
    scrub = Scrubber(_state())
    text = (
        "case FLT-20261201-000123 at 2026-12-01T09:41:43Z: called 13812345678 and "
        "+8613998765432, line 021-55501234, customer ID-77, ID 11010519491231002X, 3 tries"
    )
    assert scrub.text(text) == (
        "case FLT-20261201-000123 at 2026-12-01T09:41:43Z: called 138****5678 and "
        "+86*******5432, line 021*****1234, customer ID*77, ID 110***********002X, 3 tries"
    )
    assert scrub.tree({"a": ["13812345678", 5], "b": {"c": "ok"}}) == {
        "a": ["138****5678", 5],
        "b": {"c": "ok"},
    }


def test_a_history_cursor_round_trips():
    cursor = encode_cursor("run-1", b"\x00token", 7)
    assert decode_cursor(cursor) == ("run-1", b"\x00token", 7)
