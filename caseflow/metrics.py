"""Prometheus metrics for the API's /metrics, computed from the read model at scrape time.

Counting in PostgreSQL (not in process memory) keeps the figures exact and identical on every
API replica, whichever worker recorded the transition.
"""

from __future__ import annotations

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import CollectorRegistry
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

# Time-to-resolve buckets (seconds): 1 h, 4 h, 1 d, 3 d, 5 d, 10 d, 30 d.
RESOLVE_BUCKETS = (3600, 4 * 3600, 86400, 3 * 86400, 5 * 86400, 10 * 86400, 30 * 86400)


async def collect(engine: AsyncEngine) -> list:
    families: list = []
    async with engine.connect() as conn:
        opened = CounterMetricFamily(
            "caseflow_cases_opened", "Cases opened, by type", labels=["type"]
        )
        closed = CounterMetricFamily(
            "caseflow_cases_closed",
            "Cases archived, by type and outcome",
            labels=["type", "outcome"],
        )
        open_now = GaugeMetricFamily(
            "caseflow_cases_open", "Open cases, by type and phase", labels=["type", "phase"]
        )
        per_type: dict[str, int] = {}
        for case_type, phase, outcome, n in await conn.execute(
            text(
                "SELECT case_type, phase, coalesce(state->>'outcome', ''), count(*) "
                "FROM cases GROUP BY 1, 2, 3"
            )
        ):
            per_type[case_type] = per_type.get(case_type, 0) + n
            if phase == "archived":
                closed.add_metric([case_type, outcome], n)
            else:
                open_now.add_metric([case_type, phase], n)
        for case_type, n in sorted(per_type.items()):
            opened.add_metric([case_type], n)
        breaches = CounterMetricFamily(
            "caseflow_breaches",
            "SLA window breaches, by type and window",
            labels=["type", "window"],
        )
        escalations = CounterMetricFamily(
            "caseflow_escalations",
            "Escalations, by type and level reached",
            labels=["type", "level"],
        )
        warnings = CounterMetricFamily(
            "caseflow_warnings", "SLA warnings, by type and window", labels=["type", "window"]
        )
        for kind, case_type, window, level, n in await conn.execute(
            text(
                "SELECT e.kind, c.case_type, coalesce(e.window, ''), "
                "coalesce(e.data->>'level', ''), count(*) "
                "FROM case_events e JOIN cases c USING (case_id) "
                "WHERE e.kind IN ('breach', 'escalated', 'warning') GROUP BY 1, 2, 3, 4"
            )
        ):
            if kind == "breach":
                breaches.add_metric([case_type, window], n)
            elif kind == "warning":
                warnings.add_metric([case_type, window], n)
            else:
                escalations.add_metric([case_type, level], n)
        resolve = HistogramMetricFamily(
            "caseflow_time_to_resolve_seconds",
            "Time from intake to archive, by type",
            labels=["type"],
        )
        bucket_sql = ", ".join(f"count(*) FILTER (WHERE secs <= {b})" for b in RESOLVE_BUCKETS)
        for row in await conn.execute(
            text(
                f"SELECT case_type, {bucket_sql}, count(*), coalesce(sum(secs), 0) FROM ("
                "SELECT case_type, extract(epoch FROM closed_at - opened_at) AS secs "
                "FROM cases WHERE closed_at IS NOT NULL) t GROUP BY 1"
            )
        ):
            case_type, *counts, total, total_secs = row
            buckets = [(str(b), c) for b, c in zip(RESOLVE_BUCKETS, counts, strict=True)]
            buckets.append(("+Inf", total))
            resolve.add_metric([case_type], buckets, float(total_secs))
    families += [opened, closed, open_now, breaches, escalations, warnings, resolve]
    families += await _lost(engine)
    families += await _outbox(engine)
    return families


async def _lost(engine: AsyncEngine) -> list:
    """Cases the reconciler found open while their workflow had ended in Temporal: their time
    limits do not run until an administrator revives them. Anything above 0 needs a person."""
    async with engine.connect() as conn:
        lost = (
            await conn.execute(text("SELECT count(*) FROM cases WHERE lost_at IS NOT NULL"))
        ).scalar_one()
    return [
        GaugeMetricFamily(
            "caseflow_cases_lost",
            "Open cases whose workflow ended in Temporal (terminated, failed, timed out, "
            "cancelled or missing), not revived yet",
            value=lost,
        )
    ]


async def _outbox(engine: AsyncEngine) -> list:
    """The notifications outbox: what waits to be sent, how long the longest-waiting due row
    has waited (rows scheduled for later, e.g. business hours, are not yet due), and what was
    given up on. A backlog that only grows means delivery has stopped (no worker running, or a
    gateway refusing)."""
    async with engine.connect() as conn:
        row = await conn.execute(
            text(
                "SELECT count(*) FILTER (WHERE status = 'pending'), "
                "coalesce(extract(epoch FROM now() - min(coalesce(not_before, created_at)) "
                "FILTER (WHERE status = 'pending')), 0), "
                "count(*) FILTER (WHERE status = 'failed') FROM notifications"
            )
        )
        pending, oldest, failed = row.one()
    return [
        GaugeMetricFamily(
            "caseflow_outbox_pending", "Notifications waiting to be sent", value=pending
        ),
        GaugeMetricFamily(
            "caseflow_outbox_oldest_pending_seconds",
            "How long the longest-waiting due notification has been due (0 = none waits)",
            value=max(0.0, float(oldest)),
        ),
        GaugeMetricFamily(
            "caseflow_outbox_failed", "Notifications given up on after every retry", value=failed
        ),
    ]


class _Snapshot:
    """A collector over families gathered just before exposition (collect() is sync)."""

    def __init__(self, families: list) -> None:
        self.families = families

    def collect(self):
        yield from self.families


async def render_metrics(engine: AsyncEngine) -> bytes:
    from prometheus_client import generate_latest

    registry = CollectorRegistry()
    registry.register(_Snapshot(await collect(engine)))
    return generate_latest(registry)
