"""Replay the committed histories with today's workflow code: a change that would break running
cases (new commands, reordered timers or activities without `workflow.patched`) fails here."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from temporalio.client import WorkflowHistory
from temporalio.worker import Replayer

from caseflow.temporal import DATA_CONVERTER
from workflows.registry import ALL_WORKFLOWS

HISTORIES = sorted((Path(__file__).resolve().parent.parent / "histories").glob("*.json"))


def test_histories_are_committed():
    names = {p.stem for p in HISTORIES}
    assert {"complaint_full", "complaint_escalation", "inquiry_converted",
            "unsubscribe_done"} <= names


@pytest.mark.parametrize("path", HISTORIES, ids=[p.stem for p in HISTORIES])
async def test_history_replays(path: Path):
    data = json.loads(path.read_text(encoding="utf-8"))
    history = WorkflowHistory.from_json(path.stem, data)
    replayer = Replayer(workflows=ALL_WORKFLOWS, data_converter=DATA_CONVERTER)
    result = await replayer.replay_workflow(history, raise_on_replay_failure=True)
    assert result.replay_failure is None
