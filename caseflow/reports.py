"""The standards' figures, computed in PostgreSQL from the read model.

A report covers the cases *filed* in its period (months and quarters cut at local midnight in
the policy's zone: caseflow/periods.py), whatever has become of them since. Each query is one
round-trip over the period's rows (indexed on `opened_at`) and their audit events, so it stays
fast with 100 000 cases and never asks Temporal about each case.

Definitions (the README's "Figures" section says the same for people):

- decided: archived with an outcome that counts (the case-type registry's `counted`); the
  customer's own choices (converted, declined, not confirmed, no response) are in no base.
- resolution rate (the 95 % target): decided cases resolved *within the standard's time*:
  resolved, and the type's time-limit window (handling; restoration for faults and outages)
  never breached. A case resolved before that clock ever started (an inquiry answered at first
  contact) kept it. `resolved_rate` is the same without the time condition.
- first-contact resolution (首问负责, 002 §7.3, 000 §3.1): a decided case resolved without a
  transfer, a reopening or a reassignment, by the person who first took it (or answered and
  resolved at first contact).
- callback coverage: cases that reached feedback (result delivered, or archived with an
  outcome owed a callback) whose callback was attempted: a `callback_attempt` or `callback`
  audit event, or a recorded verdict.
- satisfaction rate: "satisfied" of all verdicts; "basically satisfied" is counted apart and in
  `satisfied_or_basically_rate`, never in the target figure.
- reopen rate: cases reopened at least once of those whose result reached the customer.
- repeat-complaint rate: complaints linked to an earlier one (`links.repeat_of`) of all.
- complaints per 10 000 customers: complaints / the configured customer base × 10 000.

Customer figures leave internal case types (outages) out; the window table keeps them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine

from caseflow.domain import CaseType, Satisfaction, WindowName
from caseflow.domain.case_types import CASE_TYPES


@dataclass(frozen=True)
class Target:
    threshold: float
    comparison: str  # ">=" (at least) or "<" (below)
    source: str  # where the standards set it (file and section)
    reading: str  # which reading, where the texts disagree, and why

    def met(self, value: float | None) -> bool | None:
        if value is None:
            return None
        return value >= self.threshold if self.comparison == ">=" else value < self.threshold


TARGET_RULES: dict[str, Target] = {
    "resolution_rate": Target(
        0.95,
        ">=",
        "001 §9.1.4; 000 §7.2",
        "both tie the 95 % to resolving in time, so it applies to resolution within the "
        "standard's time limit",
    ),
    "callback_coverage": Target(
        0.80, ">=", "000 §4.2", "satisfaction callbacks cover at least 80 % of the problems"
    ),
    "satisfaction_rate": Target(
        0.95,
        ">=",
        "000 §1.3.2",
        "the strictest of 000 §1.3.2 (95 %), 000 §4.3 (90 %) and 001 §9.1.4 (85 %): a figure "
        "that meets it meets all three; counts 'satisfied' only",
    ),
    "complaints_per_10k": Target(
        50, "<", "000 §1.3.2", "a complaint rate below 0.5 % of customers = 50 per 10 000"
    ),
}
# The plain thresholds, by figure (the reports page reads these).
TARGETS = {name: rule.threshold for name, rule in TARGET_RULES.items()}


@dataclass(frozen=True)
class Metric:
    key: str
    zh: str
    en: str
    rate: bool = False


# Every figure a report shows, in order, with its Chinese and English names.
METRICS: tuple[Metric, ...] = (
    Metric("cases", "受理总量", "cases filed"),
    Metric("complaints", "投诉量", "complaints filed"),
    Metric("archived", "已办结（计入口径）", "decided"),
    Metric("archived_unclassified", "未归类结案", "archived, outcome unclassified"),
    Metric("resolved", "已解决", "resolved"),
    Metric("resolved_on_time", "时限内解决", "resolved within the time limit"),
    Metric("resolution_rate", "时限内解决率", "resolution rate within the time limit", True),
    Metric("resolved_rate", "解决率（不论时限）", "resolution rate, any time", True),
    Metric("first_contact", "首问解决量", "resolved at first contact"),
    Metric("first_contact_rate", "首问解决率", "first-contact resolution rate", True),
    Metric("callback_base", "应回访量", "reached feedback (owed a callback)"),
    Metric("callbacks", "已回访量", "callbacks attempted"),
    Metric("callback_coverage", "回访率", "callback coverage", True),
    Metric("satisfied", "满意", "satisfied"),
    Metric("basically_satisfied", "基本满意", "basically satisfied"),
    Metric("unsatisfied", "不满意", "unsatisfied"),
    Metric("satisfaction_rate", "满意率（仅计满意）", "satisfaction rate (satisfied only)", True),
    Metric(
        "satisfied_or_basically_rate",
        "满意及基本满意率",
        "satisfied or basically satisfied",
        True,
    ),
    Metric("reopened", "重开量", "reopened"),
    Metric("reopen_rate", "重开率", "reopen rate", True),
    Metric("repeat_complaints", "重复投诉量", "repeat complaints"),
    Metric("repeat_complaint_rate", "重复投诉率", "repeat-complaint rate", True),
    Metric("customer_base", "客户数", "customer base"),
    Metric("complaints_per_10k", "万户投诉率（件/万户）", "complaints per 10 000 customers"),
)


@dataclass
class WindowFigure:
    case_type: str
    window: str
    closed: int
    on_time: int
    breached_open: int

    @property
    def on_time_rate(self) -> float | None:
        finished = self.closed + self.breached_open
        return self.on_time / finished if finished else None


@dataclass
class CategoryFigure:
    """Statistics by category (附件一 §7.1), per local month of filing."""

    month: str | None
    case_type: str
    category: str
    cases: int
    decided: int
    resolved: int
    resolved_on_time: int


@dataclass
class AgentFigure:
    """Per handler: the cases whose result they recorded."""

    agent: str
    handled: int
    on_time: int
    satisfied: int
    basically_satisfied: int
    unsatisfied: int
    reopened: int

    @property
    def on_time_rate(self) -> float | None:
        return _ratio(self.on_time, self.handled)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.satisfied, self.satisfied + self.basically_satisfied + self.unsatisfied)


def _ratio(numerator: int, denominator: int | float | None) -> float | None:
    return numerator / denominator if denominator else None


@dataclass
class Report:
    since: datetime | None
    until: datetime | None
    label: str = ""
    total: int = 0
    complaints: int = 0
    archived: int = 0  # decided: archived with an outcome that counts
    resolved: int = 0
    resolved_on_time: int = 0
    first_contact: int = 0
    callback_base: int = 0  # reached feedback: the cases owed a callback
    callbacks: int = 0  # of those, the callback was attempted
    satisfied: int = 0
    basically_satisfied: int = 0
    unsatisfied: int = 0
    reopened: int = 0
    reopen_base: int = 0
    repeat_complaints: int = 0
    unclassified: int = 0  # archived with an outcome no case type declares (a bug to look at)
    customer_base: float | None = None  # customers served (average over the period's months)
    windows: list[WindowFigure] = field(default_factory=list)
    by_category: list[tuple[str, str, int]] = field(default_factory=list)  # type, category, n
    by_department: list[tuple[str, str, int]] = field(default_factory=list)
    categories: list[CategoryFigure] = field(default_factory=list)
    agents: list[AgentFigure] = field(default_factory=list)

    @property
    def rated(self) -> int:
        return self.satisfied + self.basically_satisfied + self.unsatisfied

    @property
    def resolution_rate(self) -> float | None:
        return _ratio(self.resolved_on_time, self.archived)

    @property
    def resolved_rate(self) -> float | None:
        return _ratio(self.resolved, self.archived)

    @property
    def first_contact_rate(self) -> float | None:
        return _ratio(self.first_contact, self.archived)

    @property
    def callback_coverage(self) -> float | None:
        return _ratio(self.callbacks, self.callback_base)

    @property
    def satisfaction_rate(self) -> float | None:
        return _ratio(self.satisfied, self.rated)

    @property
    def satisfied_or_basically_rate(self) -> float | None:
        return _ratio(self.satisfied + self.basically_satisfied, self.rated)

    @property
    def reopen_rate(self) -> float | None:
        return _ratio(self.reopened, self.reopen_base)

    @property
    def repeat_complaint_rate(self) -> float | None:
        return _ratio(self.repeat_complaints, self.complaints)

    @property
    def complaints_per_10k(self) -> float | None:
        return _ratio(self.complaints * 10_000, self.customer_base)

    # The numerator and denominator behind each rate, for the exports.
    RATE_PARTS = {
        "resolution_rate": ("resolved_on_time", "archived"),
        "resolved_rate": ("resolved", "archived"),
        "first_contact_rate": ("first_contact", "archived"),
        "callback_coverage": ("callbacks", "callback_base"),
        "satisfaction_rate": ("satisfied", "rated"),
        "reopen_rate": ("reopened", "reopen_base"),
        "repeat_complaint_rate": ("repeat_complaints", "complaints"),
        "complaints_per_10k": ("complaints", "customer_base"),
    }

    def value(self, key: str) -> float | int | None:
        if key == "cases":
            return self.total
        if key == "archived_unclassified":
            return self.unclassified
        return getattr(self, key)


_PERIOD = (
    "(CAST(:since AS timestamptz) IS NULL OR c.opened_at >= :since) AND "
    "(CAST(:until AS timestamptz) IS NULL OR c.opened_at < :until)"
)

# One row per case of the period with what it counts for; the queries below aggregate it.
_FLAGS = f"""
WITH rules AS (
  SELECT * FROM unnest(CAST(:r_type AS text[]), CAST(:r_outcome AS text[]),
    CAST(:r_resolved AS bool[]), CAST(:r_counted AS bool[]), CAST(:r_owed AS bool[]))
    AS r(case_type, outcome, resolved, counted, owed)
),
period AS (SELECT c.* FROM cases c WHERE {_PERIOD}),
ev AS (
  SELECT e.case_id,
    bool_or(e.kind IN ('callback', 'callback_attempt')) AS attempted,
    bool_or(e.kind = 'breach' AND e.window IN ('handling', 'restoration')) AS limit_breached,
    bool_or(e.kind = 'assigned') AS reassigned,
    bool_or(e.kind = 'resolved_at_first_contact') AS at_first_contact,
    (array_agg(e.actor_id ORDER BY e.seq) FILTER (WHERE e.kind = 'accepted'))[1] AS first_taker
  FROM case_events e JOIN period p ON p.case_id = e.case_id
  GROUP BY e.case_id
),
base AS (
  SELECT p.case_id, p.case_type, coalesce(p.category, '-') AS category, p.phase,
    CASE WHEN CAST(:tz AS text) IS NULL THEN NULL
      ELSE to_char(p.opened_at AT TIME ZONE CAST(:tz AS text), 'YYYY-MM') END AS month,
    p.case_type = ANY(CAST(:facing AS text[])) AS facing,
    p.phase = 'archived' AND coalesce(r.counted, false) AS decided,
    p.phase = 'archived' AND coalesce(r.resolved, false) AS resolved,
    p.phase = 'archived' AND r.outcome IS NULL AS unclassified,
    p.phase = 'feedback_given' OR (p.phase = 'archived' AND coalesce(r.owed, false))
      AS reached_feedback,
    coalesce(ev.attempted, false) OR jsonb_typeof(p.state->'satisfaction') = 'object'
      AS attempted,
    p.state->'satisfaction'->>'satisfaction' AS verdict,
    p.reopen_count > 0 AS reopened,
    p.case_type = 'complaint' AND p.state->'links'->>'repeat_of' IS NOT NULL AS repeat,
    -- the time limit: never breached, and not closed late (a window that never opened, as at
    -- first contact, was kept)
    NOT coalesce(ev.limit_breached, false) AND coalesce(p.state->'windows'->(
      CASE WHEN p.case_type = ANY(CAST(:restoration AS text[])) THEN 'restoration'
        ELSE 'handling' END)->>'state', 'met') NOT IN ('met_late', 'breached') AS limit_kept,
    jsonb_typeof(p.state->'resolution') = 'object'
      OR jsonb_typeof(p.state->'fulfilment') = 'object'
      OR p.state->'fault'->>'restored_at' IS NOT NULL AS has_result,
    coalesce(ev.reassigned, false) AS reassigned,
    coalesce(ev.at_first_contact, false) AS at_first_contact,
    ev.first_taker,
    coalesce(CAST(p.state->>'transfer_count' AS int), 0) AS transfers,
    -- who recorded the result: resolution, fulfilment or restoration (not by an outage),
    -- else whoever held the case when it was resolved (an unsubscribe)
    coalesce(p.state->'resolution'->>'resolved_by', p.state->'fulfilment'->>'by',
      CASE WHEN p.state->'fault'->>'restored_by' LIKE :outage_prefix THEN NULL
        ELSE p.state->'fault'->>'restored_by' END,
      CASE WHEN p.phase = 'archived' AND coalesce(r.resolved, false) THEN p.assignee END)
      AS handler
  FROM period p
  LEFT JOIN rules r ON r.case_type = p.case_type AND r.outcome = p.state->>'outcome'
  LEFT JOIN ev ON ev.case_id = p.case_id
),
f AS (
  SELECT *, resolved AND NOT reopened AND transfers = 0 AND NOT reassigned
      AND (at_first_contact OR (handler IS NOT NULL AND handler = first_taker))
      AS first_contact
  FROM base
)
"""

_SUMMARY = (
    _FLAGS
    + """
SELECT count(*) AS total,
  count(*) FILTER (WHERE case_type = 'complaint') AS complaints,
  count(*) FILTER (WHERE facing AND decided) AS archived,
  count(*) FILTER (WHERE facing AND resolved) AS resolved,
  count(*) FILTER (WHERE facing AND resolved AND limit_kept) AS resolved_on_time,
  count(*) FILTER (WHERE facing AND first_contact) AS first_contact,
  count(*) FILTER (WHERE facing AND reached_feedback) AS callback_base,
  count(*) FILTER (WHERE facing AND reached_feedback AND attempted) AS callbacks,
  count(*) FILTER (WHERE facing AND verdict = :satisfied) AS satisfied,
  count(*) FILTER (WHERE facing AND verdict = :basically) AS basically_satisfied,
  count(*) FILTER (WHERE facing AND verdict = :unsatisfied) AS unsatisfied,
  count(*) FILTER (WHERE facing AND reopened) AS reopened,
  count(*) FILTER (WHERE facing AND (reached_feedback OR reopened)) AS reopen_base,
  count(*) FILTER (WHERE repeat) AS repeat_complaints,
  count(*) FILTER (WHERE unclassified) AS unclassified
FROM f
"""
)

_AGENTS = (
    _FLAGS
    + """
SELECT handler,
  count(*) FILTER (WHERE has_result OR resolved) AS handled,
  count(*) FILTER (WHERE (has_result OR resolved) AND limit_kept) AS on_time,
  count(*) FILTER (WHERE verdict = :satisfied) AS satisfied,
  count(*) FILTER (WHERE verdict = :basically) AS basically_satisfied,
  count(*) FILTER (WHERE verdict = :unsatisfied) AS unsatisfied,
  count(*) FILTER (WHERE reopened) AS reopened
FROM f WHERE facing AND handler IS NOT NULL
GROUP BY handler ORDER BY handler
"""
)

_CATEGORIES = (
    _FLAGS
    + """
SELECT month, case_type, category, count(*),
  count(*) FILTER (WHERE decided), count(*) FILTER (WHERE resolved),
  count(*) FILTER (WHERE resolved AND limit_kept)
FROM f GROUP BY 1, 2, 3 ORDER BY 1, 2, 4 DESC, 3
"""
)


def customer_base(
    months: tuple[str, ...], default: int | None, by_month: dict[str, int]
) -> float | None:
    """The period's customers: the average of its months' bases (a base is a head count, not
    a flow, so a quarter's is not the sum). None when any month has none configured."""
    values = [by_month.get(month, default) for month in months]
    if not values or any(v is None for v in values):
        return None
    return sum(values) / len(values)


def _registry_params() -> dict:
    """What each way of ending counts for, per case type, from the case-type registry."""
    rules = [
        (case_type.value, outcome.value, rule.resolved, rule.counted, rule.callback_owed)
        for case_type, spec in CASE_TYPES.items()
        for outcome, rule in spec.outcomes.items()
    ]
    return {
        "r_type": [r[0] for r in rules],
        "r_outcome": [r[1] for r in rules],
        "r_resolved": [r[2] for r in rules],
        "r_counted": [r[3] for r in rules],
        "r_owed": [r[4] for r in rules],
        "facing": [t.value for t, s in CASE_TYPES.items() if s.customer_facing],
        "restoration": [
            t.value for t, s in CASE_TYPES.items() if WindowName.RESTORATION in s.windows
        ],
        "outage_prefix": CASE_TYPES[CaseType.OUTAGE].prefix + "-%",
        "satisfied": Satisfaction.SATISFIED.value,
        "basically": Satisfaction.BASICALLY_SATISFIED.value,
        "unsatisfied": Satisfaction.UNSATISFIED.value,
    }


async def build_report(
    engine: AsyncEngine,
    since: datetime | None = None,
    until: datetime | None = None,
    *,
    timezone: str | None = None,
    customer_base: float | None = None,
    label: str = "",
) -> Report:
    """The figures for cases filed in [since, until). `timezone` (the policy's) splits the
    category statistics by local month; `customer_base` is the period's customers."""
    params = {"since": since, "until": until, "tz": timezone, **_registry_params()}
    report = Report(since=since, until=until, label=label, customer_base=customer_base)
    async with engine.connect() as conn:
        row = (await conn.execute(text(_SUMMARY), params)).one()
        for name, value in row._mapping.items():
            setattr(report, name, value)
        report.agents = [AgentFigure(*r) for r in await conn.execute(text(_AGENTS), params)]
        report.categories = [
            CategoryFigure(*r) for r in await conn.execute(text(_CATEGORIES), params)
        ]
        rows = await conn.execute(
            text(
                f"""
                SELECT case_type, w.key AS window,
                  count(*) FILTER (WHERE w.value->>'state' IN ('met', 'met_late')) AS closed,
                  count(*) FILTER (WHERE w.value->>'state' = 'met') AS on_time,
                  count(*) FILTER (WHERE w.value->>'state' = 'breached') AS breached_open
                FROM cases c, jsonb_each(c.state->'windows') AS w
                WHERE {_PERIOD}
                GROUP BY case_type, w.key ORDER BY case_type, w.key
                """
            ),
            params,
        )
        report.windows = [WindowFigure(*r) for r in rows]
        report.by_category = await _breakdown(conn, "category", params)
        report.by_department = await _breakdown(conn, "department", params)
    return report


async def _breakdown(conn, column: str, params: dict) -> list[tuple[str, str, int]]:
    """Cases per type and `column` (a fixed column name, never user input)."""
    rows = await conn.execute(
        text(
            f"SELECT case_type, coalesce({column}, '-'), count(*) FROM cases c "
            f"WHERE {_PERIOD} GROUP BY 1, 2 ORDER BY 1, 3 DESC"
        ),
        params,
    )
    return [tuple(r) for r in rows]


def _cell(value: float | int | None, rate: bool) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if rate or isinstance(value, float) else str(value)


def report_csv(report: Report) -> str:
    """The statistics (附件一 §7.1) as CSV, UTF-8, one section per table; every target with
    its source in a section of its own."""
    import csv
    import io

    out = io.StringIO()
    w = csv.writer(out)
    w.writerow(["period", report.label])
    w.writerow(["period_start", report.since.isoformat() if report.since else ""])
    w.writerow(["period_end", report.until.isoformat() if report.until else ""])
    w.writerow([])
    w.writerow(["metric", "value", "target"])
    for m in METRICS:
        target = TARGET_RULES.get(m.key)
        w.writerow([m.key, _cell(report.value(m.key), m.rate), target.threshold if target else ""])
    w.writerow([])
    w.writerow(["target_of", "comparison", "target", "source"])
    for key, target in TARGET_RULES.items():
        w.writerow([key, target.comparison, target.threshold, target.source])
    w.writerow([])
    w.writerow(["case_type", "window", "closed", "on_time", "breached_open", "on_time_rate"])
    for f in report.windows:
        w.writerow(
            [
                f.case_type,
                f.window,
                f.closed,
                f.on_time,
                f.breached_open,
                _cell(f.on_time_rate, True),
            ]
        )
    w.writerow([])
    w.writerow(["case_type", "category", "cases"])
    w.writerows(report.by_category)
    w.writerow([])
    w.writerow(["case_type", "department", "cases"])
    w.writerows(report.by_department)
    w.writerow([])
    w.writerow(
        ["month", "case_type", "category", "cases", "decided", "resolved", "resolved_on_time"]
    )
    for c in report.categories:
        w.writerow(
            [
                c.month or "",
                c.case_type,
                c.category,
                c.cases,
                c.decided,
                c.resolved,
                c.resolved_on_time,
            ]
        )
    w.writerow([])
    w.writerow(
        [
            "agent",
            "handled",
            "on_time",
            "on_time_rate",
            "satisfied",
            "basically_satisfied",
            "unsatisfied",
            "satisfaction_rate",
            "reopened",
        ]
    )
    for a in report.agents:
        w.writerow(
            [
                a.agent,
                a.handled,
                a.on_time,
                _cell(a.on_time_rate, True),
                a.satisfied,
                a.basically_satisfied,
                a.unsatisfied,
                _cell(a.satisfaction_rate, True),
                a.reopened,
            ]
        )
    return out.getvalue()
