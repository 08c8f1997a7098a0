"""The readable history over the committed histories (tests/histories, payloads in clear): the
events in words in both languages and the policy's zone, the timeline rows each record wrote,
and the anonymised form that retention and erasure keep."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from api.history_words import Words, describe
from caseflow.codec import EncryptionCodec, new_key_setting, parse_keys
from caseflow.history.decode import Decoded, Undecodable, decode_tree
from caseflow.history.readable import KINDS, readable_run, run_number
from caseflow.readmodel.erasure import ANONYMISED, anonymised_history

HISTORIES = Path(__file__).resolve().parents[1] / "histories"
ZONE = "Asia/Shanghai"  # the packaged policies' zone


def run_of(name: str):
    data = json.loads((HISTORIES / f"{name}.json").read_text(encoding="utf-8"))
    events = asyncio.run(decode_tree(data["events"], None))
    return readable_run(events, run_number(events), "run-id"), events


def texts(rows, language: str) -> list[str]:
    words = Words(language, ZONE)
    return [describe(r, words) for r in rows]


def test_an_escalation_reads_as_what_happened():
    rows, _ = run_of("complaint_escalation")
    en = texts(rows, "en")
    assert en[0] == "channel.hotline filed the case: complaint"
    assert "recorded on the timeline: breach of response → escalated to level 2" in en
    assert "recorded on the timeline: escalated to level 3" in en
    assert "supervisor: Acknowledge escalation (update acknowledge) → new" in en
    assert en[-1] == "run completed: the case is archived"
    zh = texts(rows, "zh-CN")
    assert "写入时间线：响应超时 → 升级至第 2 级" in zh
    assert zh[-1] == "运行结束：工单已归档"
    # Times in the policy's zone: the case was filed at 15:06 UTC, 23:06 in Shanghai.
    assert rows[0].at.hour == 15 and "2026-12-03 23:06" in en[2]


def test_every_record_names_its_timeline_rows_and_every_row_points_at_one():
    rows, _ = run_of("complaint_full")
    recorded = [r.seq for row in rows for r in row.recorded]
    assert recorded == sorted(recorded) and recorded[0] == 1  # the whole timeline, in order
    for row in rows:
        if row.kind == "update" and row.status == "completed":
            assert row.timeline_seq == row.result["seq"]  # the state after the update
    first = next(i for i, r in enumerate(rows) if r.kind == "recorded")
    assert rows[first].timeline_seq == 1
    assert all(r.timeline_seq is not None for r in rows[first:])


def test_updates_keep_the_actor_and_the_arguments_without_it():
    rows, _ = run_of("complaint_full")
    resolve = next(r for r in rows if r.kind == "update" and r.name == "resolve")
    written = next(r for row in rows for r in row.recorded if r.kind == "resolved")
    assert resolve.actor == written.actor_id == "agent.product"  # after the transfer
    assert "actor" not in resolve.args and resolve.args["result"]
    assert resolve.result["phase"] == "resolved"  # the state summarised, not whole
    assert set(resolve.result) == {
        "phase",
        "assignee",
        "department",
        "escalation_level",
        "outcome",
        "seq",
    }


def test_a_continued_run_knows_its_number_and_what_it_continues():
    rows, events = run_of("complaint_continued")
    assert run_number(events) == rows[0].run > 1
    assert rows[0].kind == "run_started" and "continues" in rows[0].args
    assert "customer" in rows[0].args  # the input as filed, without the carried state
    assert "carried" not in rows[0].args


@pytest.mark.parametrize("path", sorted(HISTORIES.glob("*.json")), ids=lambda p: p.stem)
def test_every_committed_history_reads_in_both_languages(path):
    rows, _ = run_of(path.stem)
    assert rows and {r.kind for r in rows} <= set(KINDS)
    for language in ("zh-CN", "en"):
        assert all(texts(rows, language))


def test_encrypted_payloads_decode_with_the_codec_and_a_missing_key_is_named():
    codec = EncryptionCodec(parse_keys(new_key_setting("k1")))
    other = EncryptionCodec(parse_keys(new_key_setting("k9")))
    from google.protobuf.json_format import MessageToDict
    from temporalio.api.common.v1 import Payload

    plain = Payload(metadata={"encoding": b"json/plain"}, data=b'{"text": "hi"}')
    mine = MessageToDict(asyncio.run(codec.encode([plain]))[0])
    theirs = MessageToDict(asyncio.run(other.encode([plain]))[0])
    decoded = asyncio.run(decode_tree({"a": mine, "b": [theirs]}, codec))
    assert decoded["a"] == Decoded({"text": "hi"})
    assert isinstance(decoded["b"][0], Undecodable) and "'k9'" in decoded["b"][0].reason


def test_anonymised_history_keeps_who_what_when_and_no_free_text():
    rows, _ = run_of("complaint_full")
    stored = [r.model_dump(mode="json") for r in rows]
    before = json.dumps(stored, ensure_ascii=False)
    assert "张三" in before and "13800138000" in before
    after = anonymised_history(stored)
    text = json.dumps(after, ensure_ascii=False)
    assert "张三" not in text and "13800138000" not in text
    assert [e["kind"] for e in after] == [e["kind"] for e in stored]
    assert [e["actor"] for e in after] == [e["actor"] for e in stored]
    resolve = next(e for e in after if e["name"] == "resolve")
    assert "result" not in resolve["args"] and resolve["result"]["phase"] == "resolved"
    notes = [r for e in after for r in e["recorded"] if r["kind"] == "resolved"]
    assert notes and all(r["summary"] == f"resolved: {ANONYMISED}" for r in notes)
