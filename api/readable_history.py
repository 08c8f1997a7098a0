"""A case's readable history across all its runs: from Temporal while it has a run, from the
store (caseflow/history/store.py) once the run closed and was kept there. A stored run is read
from the store even while Temporal still has it: it is the same history, cheaper to read, and
already anonymised when the case's data was erased.

Filters (who acted, which window, which kinds, between which instants) apply to the whole
history; the API pages through what remains, the pages and exports show it whole.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncEngine
from temporalio.client import Client
from temporalio.service import RPCError, RPCStatusCode

from api.history_pages import case_runs
from api.history_words import Words, describe
from api.ratelimit import Limit, RateLimiter
from caseflow.history.decode import decode_tree
from caseflow.history.readable import ReadableEvent, readable_run, run_number
from caseflow.history.store import HistoryStore
from caseflow.settings import Settings


class RunView(BaseModel):
    run: int = Field(description="1 = the case's first run; continue-as-new counts up")
    run_id: str
    workflow_type: str | None
    status: str | None = Field(description="running, completed, continued_as_new, terminated, ...")
    started_at: datetime
    closed_at: datetime | None
    source: Literal["temporal", "stored"] = Field(
        description="temporal: read from Temporal now; stored: caseflow's copy, kept after the run "
        "closed (Temporal keeps closed runs only for its namespace retention)"
    )
    anonymised: bool = Field(False, description="The stored copy lost its personal data")


class ReadableEventPublic(ReadableEvent):
    text: str = Field(description="The event in words, in `lang`, times in the policy's zone")


@dataclass
class HistoryFilter:
    actor: str | None = None
    window: str | None = None
    kinds: list[str] = field(default_factory=list)
    since: datetime | None = None
    until: datetime | None = None

    def keep(self, e: ReadableEvent) -> bool:
        return (
            (not self.actor or self.actor in e.actors())
            and (not self.window or self.window in e.windows())
            and (not self.kinds or e.kind in self.kinds)
            and (self.since is None or e.at >= self.since)
            and (self.until is None or e.at <= self.until)
        )

    @property
    def active(self) -> bool:
        return bool(self.actor or self.window or self.kinds or self.since or self.until)


@dataclass
class ReadableHistory:
    case_id: str
    runs: list[RunView]
    events: list[ReadableEvent]

    def actors(self) -> list[str]:
        return sorted({a for e in self.events for a in e.actors()})

    def windows(self) -> list[str]:
        return sorted({w for e in self.events for w in e.windows()})

    def filtered(self, f: HistoryFilter) -> list[ReadableEvent]:
        return [e for e in self.events if f.keep(e)]


async def limit_history_reads(limiter: RateLimiter, settings: Settings, user_id: str) -> None:
    """Count one readable-history read against the caller (JSON, page and exports alike): each
    fetches and decodes every run of the case, so past the limit the answer is 429."""
    limit = Limit(settings.rate_limit_history_reads, settings.rate_limit_history_window)
    await limiter.charge(f"history:{user_id}", limit, "history reads")


async def read_history(temporal: Client, engine: AsyncEngine, case_id: str) -> ReadableHistory:
    stored = {r.run_id: r for r in await HistoryStore(engine).runs(case_id)}
    runs: list[RunView] = []
    events: list[ReadableEvent] = []
    codec = temporal.data_converter.payload_codec
    for run in await case_runs(temporal, case_id):
        if run.run_id in stored:
            continue
        try:
            history = await temporal.get_workflow_handle(case_id, run_id=run.run_id).fetch_history()
        except RPCError as err:
            if err.status == RPCStatusCode.NOT_FOUND:
                continue  # deleted since it was listed (and not stored: nothing to show)
            raise
        decoded = await decode_tree(history.to_json_dict().get("events", []), codec)
        number = run_number(decoded)
        events += readable_run(decoded, number, run.run_id)
        runs.append(
            RunView(
                run=number,
                run_id=run.run_id,
                workflow_type=run.workflow_type,
                status=run.status.name.lower() if run.status else None,
                started_at=run.start_time,
                closed_at=run.close_time,
                source="temporal",
            )
        )
    for kept in stored.values():
        events += kept.events
        runs.append(
            RunView(
                run=kept.run,
                run_id=kept.run_id,
                workflow_type=kept.workflow_type,
                status=kept.status,
                started_at=kept.started_at,
                closed_at=kept.closed_at,
                source="stored",
                anonymised=kept.anonymised_at is not None,
            )
        )
    runs.sort(key=lambda r: (r.run, r.started_at))
    order = {r.run_id: i for i, r in enumerate(runs)}
    events.sort(key=lambda e: (order.get(e.run_id, 0), e.event_id))
    return ReadableHistory(case_id=case_id, runs=runs, events=events)


def in_words(events: list[ReadableEvent], words: Words) -> list[ReadableEventPublic]:
    return [ReadableEventPublic(**e.model_dump(), text=describe(e, words)) for e in events]
